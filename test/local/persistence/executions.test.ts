import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createClock } from "../../../local/clock/clock.ts";
import { Engine } from "../../../local/engine/index.ts";
import { CHUNK_BYTES, ExecutionStore } from "../../../local/persistence/executions.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "cplane-executions-"));
  dirs.push(dir);
  return dir;
}

/** An engine with a machine that finishes at once and one that waits for the clock. */
function engine(options: { retainExecutions?: number } = {}) {
  const clock = createClock({ mode: { kind: "manual" }, start: 0 });
  const e = new Engine({ clock, ...options });
  const quick = e.createStateMachine({
    name: "quick",
    definition: { StartAt: "Done", States: { Done: { Type: "Pass", End: true } } },
  }).stateMachineArn;
  const slow = e.createStateMachine({
    name: "slow",
    definition: { StartAt: "Wait", States: { Wait: { Type: "Wait", Seconds: 60, End: true } } },
  }).stateMachineArn;
  const run = async (input: unknown = {}) => {
    const { executionArn } = e.startExecution({ stateMachineArn: quick, input: JSON.stringify(input) });
    await e.waitForExecution(executionArn);
    return executionArn;
  };
  return { engine: e, clock, run, slow };
}

const named = (dir: string) =>
  JSON.parse(readFileSync(join(dir, "executions.json"), "utf8")) as {
    version: number;
    chunks: { file: string; dead: string[] }[];
    executions: { arn: string; status: string }[];
  };
const onDisk = (dir: string) => readdirSync(join(dir, "executions")).sort();

describe("the execution store", () => {
  it("writes a finished execution once; later writes carry only what changed", async () => {
    // Prepare
    const dir = dataDir();
    const { engine: e, run, slow } = engine();
    for (let i = 0; i < 3; i++) await run({ i });
    const waiting = e.startExecution({ stateMachineArn: slow }).executionArn;
    const store = new ExecutionStore(dir);

    // Act
    await store.capture(e)();
    const first = named(dir);
    await store.capture(e)();
    const unchanged = named(dir);
    await run({ i: 3 });
    await store.capture(e)();
    const more = named(dir);

    // Assess
    expect(first.executions.map((x) => x.arn)).toEqual([waiting]);
    expect(first.chunks).toHaveLength(1);
    expect(unchanged.chunks).toEqual(first.chunks);
    expect(more.chunks).toHaveLength(1);
    expect(more.chunks[0]?.file).not.toBe(first.chunks[0]?.file);
    expect(onDisk(dir)).toEqual([more.chunks[0]?.file]);
    const loaded = await new ExecutionStore(dir).load();
    expect(loaded?.map((x) => x.status).sort()).toEqual([
      "RUNNING",
      "SUCCEEDED",
      "SUCCEEDED",
      "SUCCEEDED",
      "SUCCEEDED",
    ]);
  });

  it("seals full chunks, folds one that is mostly forgotten, and loads exactly what the engine holds", async () => {
    // Prepare: executions large enough to fill more than one chunk, then most of the first forgotten
    const dir = dataDir();
    const { engine: e, run } = engine({ retainExecutions: 12 });
    const big = "x".repeat(200_000);
    const store = new ExecutionStore(dir);
    for (let i = 0; i < 12; i++) await run({ i, big });
    await store.capture(e)();
    const filled = named(dir);

    // Act: twelve more, so that the first twelve are forgotten by the engine
    for (let i = 12; i < 24; i++) await run({ i, big });
    await store.capture(e)();
    const after = named(dir);

    // Assess
    expect(12 * 600_000).toBeGreaterThan(CHUNK_BYTES);
    expect(filled.chunks.length).toBeGreaterThan(1);
    expect(after.chunks.map((c) => c.file)).not.toContain(filled.chunks[0]?.file);
    expect(onDisk(dir)).toEqual(after.chunks.map((c) => c.file).sort());
    const loaded = await new ExecutionStore(dir).load();
    const kept = e.exportExecutions().map((x) => x.arn);
    expect(kept).toHaveLength(12);
    expect(loaded?.map((x) => x.arn).sort()).toEqual([...kept].sort());
  });

  it("after a failed write, writes everything anew the next time", async () => {
    // Prepare: a write that fails (a file where the chunk folder must be)
    const dir = dataDir();
    const { engine: e, run } = engine();
    await run({ i: 0 });
    const store = new ExecutionStore(dir);
    await store.capture(e)();
    await run({ i: 1 });
    rmSync(join(dir, "executions"), { recursive: true });
    writeFileSync(join(dir, "executions"), "in the way");
    await expect(store.capture(e)()).rejects.toThrow();

    // Act: the obstacle gone, nothing new
    rmSync(join(dir, "executions"));
    await store.capture(e)();

    // Assess
    expect((await new ExecutionStore(dir).load())?.map((x) => x.status)).toEqual(["SUCCEEDED", "SUCCEEDED"]);
  });

  it("reads the older format, a bare array of executions", async () => {
    const dir = dataDir();
    const { engine: e, run } = engine();
    await run();
    writeFileSync(join(dir, "executions.json"), JSON.stringify(e.exportExecutions()));

    const loaded = await new ExecutionStore(dir).load();

    expect(loaded?.map((x) => x.status)).toEqual(["SUCCEEDED"]);
  });
});
