/**
 * What the runtime acknowledged exists from then on: the served StartExecution and PutEvents journal
 * what they did before they answer, and the next start applies again what its checkpoint lacks, once.
 * A crash is played here by copying the data directory while the runtime lives (what a SIGKILL would
 * leave on disk); test/e2e/crash-recovery.test.ts kills a real process.
 */
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { LOCK_FILE } from "../../../local/persistence/lock.ts";
import { createRuntime, type Runtime } from "../../../local/runtime.ts";
import type { AwsJsonService } from "../../../local/server/aws-json.ts";
import { serve } from "../../../local/start.ts";

const run = promisify(execFile);
const dirs: string[] = [];
const runtimes: Runtime[] = [];
afterEach(async () => {
  for (const runtime of runtimes.splice(0)) await runtime.close();
});
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "cplane-acknowledged-"));
  dirs.push(dir);
  return dir;
}

/** A runtime whose checkpoints wait a minute: what it does meanwhile is only in the journal. */
async function start(dir: string): Promise<Runtime> {
  const runtime = await createRuntime({
    speed: "manual",
    dataDir: dir,
    checkpoints: { quietMs: 60_000, maxDelayMs: 60_000 },
  });
  runtimes.push(runtime);
  return runtime;
}

/** What a SIGKILL of `runtime` would leave: its data directory as it is now, without its lock. */
function crashCopy(dir: string): string {
  const copy = dataDir();
  cpSync(dir, copy, { recursive: true });
  rmSync(join(copy, LOCK_FILE), { force: true });
  return copy;
}

function call(runtime: Runtime, prefix: string, operation: string, input: Record<string, unknown>) {
  const service = runtime.services.find((s: AwsJsonService) => s.targetPrefix === prefix);
  const op = service?.operations[operation];
  if (!op) throw new Error(`no ${prefix}.${operation}`);
  return op(input) as Promise<Record<string, unknown>>;
}

const tenantRequested = (name: string) => ({
  Source: "cplane.tenants",
  DetailType: "Tenant Requested",
  EventBusName: "cplane",
  Detail: JSON.stringify({ name, tier: "basic", adminEmail: "ops@journal.example" }),
});

function onboardingsOf(runtime: Runtime, tenant: string): string[] {
  const { executions } = runtime.engine.listExecutions({
    stateMachineArn: runtime.stateMachineArn("tenant-onboarding"),
    maxResults: 1000,
  });
  return executions
    .map((e) => runtime.engine.describeExecution(e.executionArn))
    .filter((e) => (JSON.parse(e.input) as { name?: string }).name === tenant)
    .map((e) => e.executionArn);
}

describe("acknowledged requests and a crash", () => {
  it("has every answered start and event on disk before the answer, and the next start applies them again", async () => {
    // Prepare
    const dir = dataDir();
    const first = await start(dir);

    // Act: answered, then a crash before any checkpoint
    const started = await call(first, "AWSStepFunctions", "StartExecution", {
      stateMachineArn: first.stateMachineArn("tenant-onboarding"),
      name: "journaled-start",
      input: JSON.stringify({ name: "Journal Co", tier: "basic", adminEmail: "ops@journal.example" }),
    });
    const put = (await call(first, "AWSEvents", "PutEvents", {
      Entries: [
        tenantRequested("Event Co"),
        { Source: "journal.test", DetailType: "Noted", Detail: "{}", EventBusName: "cplane" },
      ],
    })) as { Entries: { EventId: string }[] };
    const copy = crashCopy(dir);
    const second = await start(copy);

    // Assess: the execution and both events exist; the event's rule started one onboarding
    const arn = String(started.executionArn);
    const ids = put.Entries.map((e) => e.EventId);
    expect(first.journal?.status.appended).toBe(3);
    expect(second.replayed).toEqual({ started: [arn], events: ids, failed: [] });
    expect(second.engine.describeExecution(arn)).toMatchObject({
      name: "journaled-start",
      status: "RUNNING",
    });
    // The log also holds what the replayed executions publish as they run on (which of them is there
    // by now depends on timing); the acknowledged events are there once each, and nothing else is theirs.
    const logged = second.bus.events({ busName: "cplane" }).map((e) => e.event);
    expect(
      logged
        .filter((e) => ids.includes(e.id))
        .map((e) => e.id)
        .sort(),
    ).toEqual([...ids].sort());
    expect(
      logged.filter((e) => !ids.includes(e.id) && ["Tenant Requested", "Noted"].includes(e["detail-type"])),
    ).toEqual([]);
    expect(onboardingsOf(second, "Event Co")).toHaveLength(1);
  }, 120_000);

  it("does not deliver an event twice when the checkpoint kept the execution its delivery started", async () => {
    // Prepare: an event acknowledged; its journal as a crash would leave it; then a checkpoint with
    // the execution its rule started, whose events file did not land (the crash came between)
    const dir = dataDir();
    const first = await start(dir);
    await call(first, "AWSEvents", "PutEvents", { Entries: [tenantRequested("Once Co")] });
    const journalBefore = crashCopy(dir);
    await first.checkpoints?.flush();
    expect(onboardingsOf(first, "Once Co")).toHaveLength(1);
    const copy = crashCopy(dir);
    rmSync(join(copy, "events.json"));
    rmSync(join(copy, "journal"), { recursive: true });
    cpSync(join(journalBefore, "journal"), join(copy, "journal"), { recursive: true });

    // Act
    const second = await start(copy);

    // Assess: the event is back in the log, and its delivery found the execution it had started
    expect(second.replayed.events).toHaveLength(1);
    expect(onboardingsOf(second, "Once Co")).toEqual(onboardingsOf(first, "Once Co"));
  }, 120_000);

  it("keeps the bus log across a restart, within its retention, and the listing says how much it shows", async () => {
    // Prepare: three events, a clean stop
    const dir = dataDir();
    const first = await start(dir);
    for (const n of [1, 2, 3]) {
      await call(first, "AWSEvents", "PutEvents", {
        Entries: [{ Source: "journal.test", DetailType: `Noted ${n}`, Detail: "{}", EventBusName: "cplane" }],
      });
    }
    runtimes.splice(runtimes.indexOf(first), 1);
    await first.close();
    expect(readdirSync(join(dir, "journal")).filter((f) => f.endsWith(".log"))).toEqual([]);

    // Act: a restart, listed by the CLI
    const second = await start(dir);
    const server = await serve(second, 0);
    try {
      const listed = await run(process.execPath, [
        "local/cli/bin.ts",
        "events",
        "list",
        "--limit",
        "2",
        "--endpoint",
        server.url,
      ]);
      const refused = await run(process.execPath, [
        "local/cli/bin.ts",
        "events",
        "list",
        "--limit",
        "0",
        "--endpoint",
        server.url,
      ]).catch((error: { code: number; stderr: string }) => error);

      // Assess
      expect(second.bus.events({ busName: "cplane" }).map((e) => e.event["detail-type"])).toEqual([
        "Noted 1",
        "Noted 2",
        "Noted 3",
      ]);
      expect(listed.stdout).toContain("Noted 3");
      expect(listed.stdout).not.toContain("Noted 1");
      expect(listed.stdout).toMatch(
        /2 of \d+ event\(s\), newest last \(the log keeps the last 10000 events of the last 7 simulated days; --limit N shows more\)/,
      );
      expect(refused).toMatchObject({
        code: 2,
        stderr: expect.stringContaining("--limit must be a positive integer"),
      });
    } finally {
      await server.close();
    }
    expect(JSON.parse(readFileSync(join(dir, "events.json"), "utf8"))).toMatchObject({ version: 1 });
  }, 120_000);
});
