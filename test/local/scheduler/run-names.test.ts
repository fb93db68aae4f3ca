/**
 * A schedule run names the execution it starts with its own execution id (the
 * `<aws.scheduler.execution-id>` context attribute): `runNow`'s caller finds the execution it started,
 * and a retry of a start finds the execution under the same name rather than starting a second one.
 */
import { describe, expect, it } from "vitest";
import type { DeliveryKey, TargetDispatcher } from "../../../local/bus/bus.ts";
import { createClock } from "../../../local/clock/clock.ts";
import { createLocalScheduler } from "../../../local/scheduler/scheduler.ts";

const SFN = "arn:aws:states:us-east-1:000000000000:stateMachine:backup-sweeper";
const ROLE = "arn:aws:iam::000000000000:role/cplane-local-schedule-test";

describe("a schedule run's execution", () => {
  it("is named after the run's execution id, on every attempt", async () => {
    const clock = createClock({ mode: { kind: "manual" }, start: Date.parse("2026-03-01T00:00:00Z") });
    const starts: { input: string; delivery: DeliveryKey | undefined }[] = [];
    let failures = 1;
    const dispatcher: TargetDispatcher = {
      startExecution: async (_arn, input, delivery) => {
        starts.push({ input, delivery });
        if (failures-- > 0) throw Object.assign(new Error("busy"), { name: "ServiceUnavailable" });
        return {};
      },
      invokeFunction: async () => ({}),
    };
    const scheduler = createLocalScheduler({ clock, dispatcher, backoffMs: () => 1_000 });
    scheduler.createSchedule({
      Name: "sweeper",
      ScheduleExpression: "rate(1 hour)",
      FlexibleTimeWindow: { Mode: "OFF" },
      Target: { Arn: SFN, RoleArn: ROLE, Input: '{"run":"<aws.scheduler.execution-id>"}' },
    });

    const { executionId } = scheduler.runNow({ Name: "sweeper" });
    await scheduler.drain();
    await clock.advance(1_000);
    await scheduler.drain();

    expect(starts).toHaveLength(2);
    for (const start of starts) {
      expect(start.delivery).toEqual({ id: executionId });
      expect(JSON.parse(start.input)).toEqual({ run: executionId });
    }
    expect(scheduler.invocations().map((i) => [i.executionId, i.attempt, i.ok])).toEqual([
      [executionId, 1, false],
      [executionId, 2, true],
    ]);
  });
});
