/**
 * The runtime on an instant clock comes to rest when nothing but its schedules remain (issue #12): the
 * DR upkeep and the scratch sweeper run on their own every few simulated minutes, and they read the
 * cloud and its Kubernetes API; that must not count as someone using the cloud, or the heartbeat it
 * keeps alive for an hour after the last use would carry the clock from one scheduled run to the next
 * for ever (days of simulated time a minute, a core busy, the data directory growing).
 */
import { afterAll, describe, expect, it } from "vitest";
import { createClock } from "../../local/clock/clock.ts";
import { createRuntime, type Runtime } from "../../local/runtime.ts";
import { restingTime } from "../local/cloud/support.ts";

let runtime: Runtime | undefined;
afterAll(async () => {
  await runtime?.close();
});

describe("an idle runtime on an instant clock", () => {
  it("runs its schedules while time passes, then comes to rest and stays there", async () => {
    // Prepare
    const clock = createClock({ mode: { kind: "instant" } });
    const started = clock.now();
    const runs = new Map<string, number>();
    runtime = await createRuntime({ clock, demoFleet: true });
    runtime.engine.subscribe((event) => {
      if (event.kind !== "status" || event.execution.status !== "RUNNING") return;
      const workflow = event.execution.stateMachineArn.split(":").pop() ?? "";
      runs.set(workflow, (runs.get(workflow) ?? 0) + 1);
    });

    // Act
    const rested = await restingTime(clock, { quietMs: 500, withinMs: 30_000 });
    await new Promise((resolve) => setTimeout(resolve, 500));

    // Assess: at rest within the heartbeat's hour (and a little), having run the copy schedule meanwhile
    expect(clock.now()).toBe(rested);
    expect(rested - started).toBeLessThan(2 * 60 * 60_000);
    expect(runs.get("cplane-local-dr-snapshot-copies") ?? 0).toBeGreaterThan(0);
    expect(clock.pendingForegroundTimers()).toBe(0);
  }, 120_000);
});
