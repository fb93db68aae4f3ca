import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EventLog, type LoggedEvent } from "../../../local/bus/event-log.ts";
import { EVENT_CHUNK_BYTES, EventLogStore } from "../../../local/persistence/event-log.ts";

const START = Date.parse("2026-03-01T12:00:00Z");
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "cplane-events-"));
  dirs.push(dir);
  return dir;
}

function logged(id: string, detail: Record<string, unknown> = {}): LoggedEvent {
  return {
    busName: "cplane",
    ingestedAt: START,
    event: {
      version: "0",
      id,
      "detail-type": "Thing Happened",
      source: "test",
      account: "000000000000",
      time: "2026-03-01T12:00:00Z",
      region: "us-east-1",
      resources: [],
      detail,
    },
  };
}

const chunkFiles = (dir: string) => readdirSync(join(dir, "events")).sort();

describe("the event log store", () => {
  it("writes what was logged since the last checkpoint, and loads the log as it was", async () => {
    // Prepare
    const dir = dataDir();
    const log = new EventLog(() => START);
    const store = new EventLogStore(dir);
    log.append(logged("a"));
    log.append(logged("b"));

    // Act: two checkpoints, then nothing new; then a restart
    const first = await store.capture(log)();
    log.append(logged("c"));
    await store.capture(log)();
    const files = chunkFiles(dir);
    const idle = await store.capture(log)();
    const restarted = new EventLogStore(dir);
    const restored = new EventLog(() => START);
    restored.restore((await restarted.load()) ?? []);

    // Assess: the idle checkpoint wrote only the index; the restored log continues the numbering
    expect(first).toBeGreaterThan(0);
    expect(idle).toBe(readFileSync(join(dir, "events.json")).byteLength);
    expect(chunkFiles(dir)).toEqual(files);
    expect(restored.all().map((e) => [e.seq, e.event.id])).toEqual([
      [1, "a"],
      [2, "b"],
      [3, "c"],
    ]);
    expect(restored.append(logged("d")).seq).toBe(4);
  });

  it("seals full chunks, and removes those whose events all left the log", async () => {
    // Prepare: events of about a quarter chunk each, a log that keeps three
    const dir = dataDir();
    const log = new EventLog(() => START, { count: 3 });
    const store = new EventLogStore(dir);
    const blob = "x".repeat(EVENT_CHUNK_BYTES / 4);

    // Act: twelve events, a checkpoint after each
    for (let n = 0; n < 12; n++) {
      log.append(logged(`e${n}`, { blob }));
      await store.capture(log)();
    }
    const loaded = (await new EventLogStore(dir).load()) ?? [];

    // Assess: on disk, the chunk (or two) holding the three retained events, not the history
    expect(chunkFiles(dir).length).toBeLessThanOrEqual(2);
    expect(loaded.map((e) => e.event.id)).toEqual(["e9", "e10", "e11"]);
  });

  it("after a failed write, writes the whole log the next time", async () => {
    // Prepare: a checkpoint, then one that fails (its folder is a file)
    const dir = dataDir();
    const log = new EventLog(() => START);
    const store = new EventLogStore(dir);
    log.append(logged("a"));
    await store.capture(log)();
    log.append(logged("b"));
    rmSync(join(dir, "events"), { recursive: true });
    writeFileSync(join(dir, "events"), "in the way");
    await expect(store.capture(log)()).rejects.toThrow();

    // Act
    rmSync(join(dir, "events"));
    log.append(logged("c"));
    await store.capture(log)();

    // Assess
    const loaded = (await new EventLogStore(dir).load()) ?? [];
    expect(loaded.map((e) => e.event.id)).toEqual(["a", "b", "c"]);
  });
});
