/**
 * A region outage in the local cloud reaches the bus as AWS delivers it: the region-health alarm of
 * the demo fleet goes to ALARM and its `CloudWatch Alarm State Change` event lands on the default bus,
 * where the failover rule listens.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REGION_HEALTH_ALARM_PREFIX } from "../../events/rules.ts";
import { createClock } from "../../local/clock/clock.ts";
import { createRuntime, type Runtime } from "../../local/runtime.ts";

let runtime: Runtime;

beforeAll(async () => {
  runtime = await createRuntime({ clock: createClock({ mode: { kind: "manual" } }), demoFleet: true });
}, 120_000);
afterAll(async () => {
  await runtime?.close();
});

describe("a region outage on the local runtime", () => {
  it("turns the region-health alarm to ALARM and puts its event on the default bus", async () => {
    // Act
    runtime.cloud.faults.regionDown(runtime.region);
    for (let minute = 0; minute < 10; minute++) {
      await runtime.clock.advance(60_000);
      await runtime.bus.drain();
    }

    // Assess
    const alarms = runtime.bus
      .events({ busName: "default" })
      .filter((logged) => logged.event["detail-type"] === "CloudWatch Alarm State Change")
      .map((logged) => logged.event.detail as { alarmName: string; state: { value: string } });
    expect(alarms).toContainEqual(
      expect.objectContaining({
        alarmName: `${REGION_HEALTH_ALARM_PREFIX}${runtime.region}`,
        state: expect.objectContaining({ value: "ALARM" }),
      }),
    );
  });
});
