/**
 * What the schedules' own runs change waits longer for its checkpoint than what someone asked for
 * (local/persistence/checkpoints.ts): at speed 60 the DR copy schedule runs every 2.5 s of wall time,
 * and writing each run on its own was most of an idle fleet's checkpoints (issue #12).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createClock } from "../../local/clock/clock.ts";
import { createRuntime, type Runtime } from "../../local/runtime.ts";

const dir = mkdtempSync(join(tmpdir(), "cplane-background-checkpoints-"));
let runtime: Runtime | undefined;
afterAll(async () => {
  await runtime?.close();
  rmSync(dir, { recursive: true, force: true });
});

const wall = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("checkpoints of background work", () => {
  it("a scheduled run's changes wait for the background delay; a request's change takes them along", async () => {
    // Prepare: a runtime at rest, everything written.
    const clock = createClock({ mode: { kind: "manual" }, start: Date.parse("2026-06-02T09:00:00Z") });
    runtime = await createRuntime({
      clock,
      dataDir: dir,
      demoFleet: true,
      checkpoints: { quietMs: 50, maxDelayMs: 100, backgroundDelayMs: 600_000 },
    });
    const checkpoints = runtime.checkpoints;
    if (!checkpoints) throw new Error("no checkpoints");
    const copies = new Promise<string>((resolve) =>
      runtime?.engine.subscribe((event) => {
        if (
          event.kind !== "status" ||
          !event.execution.stateMachineArn.endsWith(":cplane-local-dr-snapshot-copies")
        )
          return;
        if (event.execution.status !== "RUNNING") resolve(event.execution.status);
      }),
    );
    await checkpoints.flush();
    const written = checkpoints.status.written;

    // Act: the copy schedule runs on its own (every 5 simulated minutes).
    await clock.advance(5 * 60_000);
    expect(await copies).toBe("SUCCEEDED");
    await wall(1_500);

    // Assess: its changes are pending, not written (a request's would have been within 100 ms).
    expect(checkpoints.status).toMatchObject({ written, pending: true });

    // Act: someone changes something.
    await runtime.cloud.send({
      service: "SecretsManager",
      operation: "CreateSecret",
      region: "us-east-1",
      input: { Name: "cplane/background-checkpoints", SecretString: "s" },
    });
    await wall(1_500);

    // Assess: one checkpoint took both.
    expect(checkpoints.status).toMatchObject({ written: written + 1, pending: false });
  }, 60_000);
});
