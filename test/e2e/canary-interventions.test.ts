/**
 * Canary promotion on the local runtime when people and alarms step in: an inconclusive analysis (no
 * traffic) asks a person, who continues it or rolls it back; a canary alarm entering ALARM aborts the
 * canary; a person aborts one; a rollout that never becomes ready is rolled back; a second canary of
 * a service is refused while the first runs.
 */
import type { SetAlarmStateCommand } from "@aws-sdk/client-cloudwatch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decide } from "../../functions/ops/lib/approvals.ts";
import { asOperator } from "../../local/iam/identity.ts";
import { type Runtime, TENANT_TABLE } from "../../local/runtime.ts";
import {
  behave,
  canaryRuntime,
  deployment,
  entered,
  events,
  onEvent,
  output,
  start,
  weights,
} from "./canary/support.ts";

let runtime: Runtime;
const store = { table: TENANT_TABLE, busName: "cplane" };

beforeAll(async () => {
  runtime = await canaryRuntime();
}, 120_000);
afterAll(async () => {
  await runtime?.close();
});

/** Decides the execution's first approval as soon as it is asked, holding the clock until it is decided. */
function answer(arn: () => string, approved: boolean, reason: string) {
  return onEvent(
    runtime,
    "Approval Requested",
    (d) => d.executionArn === arn(),
    () => {
      const requested = events(runtime, "Approval Requested").find((e) => e.detail.executionArn === arn());
      const approvalId = String(requested?.detail.approvalId);
      // A person answers, not the handler whose event this listener runs in.
      asOperator(() => {
        void runtime.clock.track(
          new Promise((resolve) => setTimeout(resolve, 50)).then(() =>
            decide({ approvalId, approved, decidedBy: "oncall", reason, now: runtime.clock.now() }, store),
          ),
        );
      });
    },
  );
}

const quiet = () => {
  for (const version of ["stable", "canary"]) behave(runtime, "api", version, { requestsPerMinute: 0 });
};
const busy = () => {
  for (const version of ["stable", "canary"]) behave(runtime, "api", version, { requestsPerMinute: 600 });
};

describe("an inconclusive analysis", () => {
  it("asks a person when there is no traffic, and an approval continues the rollout to promotion", async () => {
    // Prepare
    quiet();
    let arn = "";
    const stop = answer(() => arn, true, "no traffic at night; the release is a config change");

    // Act
    arn = start(runtime, { service: "api", image: "cplane/api:3.0.1", steps: [50, 100], bakeMinutes: 10 });
    const done = await output(runtime, arn);
    stop();
    busy();

    // Assess
    expect(done.status, done.cause).toBe("SUCCEEDED");
    expect(done.result).toMatchObject({ outcome: "promoted" });
    const asked = events(runtime, "Approval Requested").find((e) => e.detail.executionArn === arn);
    expect(asked?.detail).toMatchObject({ gate: "InconclusiveAnalysis" });
    expect(String(asked?.detail.question)).toContain("inconclusive");
    const names = entered(runtime, arn).map((s) => s.name);
    expect(names).toContain("InconclusiveAnalysis");
    expect(names).toContain("Promote");
  }, 120_000);

  it("rolls back when the person rejects it", async () => {
    // Prepare
    quiet();
    let arn = "";
    const stop = answer(() => arn, false, "not without traffic");

    // Act
    arn = start(runtime, { service: "api", image: "cplane/api:3.0.2", bakeMinutes: 10 });
    const done = await output(runtime, arn);
    stop();
    busy();

    // Assess
    expect(done.status, done.cause).toBe("SUCCEEDED");
    expect(done.result).toMatchObject({ outcome: "rolled-back", step: 10 });
    expect(String(done.result?.reason)).toContain("rejected by oncall: not without traffic");
    expect(weights(runtime, "api")).toEqual({ stable: 100, canary: 0 });
    expect(deployment(runtime, "api-canary")).toBeUndefined();
  }, 120_000);
});

describe("aborting a canary", () => {
  it("aborts web's canary when its error alarm enters ALARM, with the alarm as the breached gate", async () => {
    // Prepare: the alarm fires as soon as the canary exists (before its first bake: the abort waits for it)
    let arn = "";
    const stop = onEvent(
      runtime,
      "Canary Started",
      (d) => d.executionArn === arn,
      () => {
        void runtime.clock.track(
          runtime.cloud.send({
            service: "CloudWatch",
            operation: "SetAlarmState",
            region: runtime.region,
            input: {
              AlarmName: "cplane-canary-errors",
              StateValue: "ALARM",
              StateReason:
                "Threshold Crossed: 2 out of the last 2 datapoints [4.8 (01/12/26 10:01:00)] were greater than the threshold (1.0).",
            } satisfies SetAlarmStateCommand["input"],
          }),
        );
      },
    );

    // Act
    arn = start(runtime, { service: "web", image: "cplane/web:4.0.0", bakeMinutes: 30 });
    const done = await output(runtime, arn);
    stop();

    // Assess
    expect(done.status, done.cause).toBe("SUCCEEDED");
    expect(done.result).toMatchObject({
      outcome: "aborted",
      service: "web",
      breach: { gate: "alarm", measured: 4.8, threshold: 1 },
    });
    expect(String(done.result?.reason)).toContain("cplane-canary-errors entered ALARM");
    expect(weights(runtime, "web")).toEqual({ stable: 100, canary: 0 });
    expect(deployment(runtime, "web-canary")).toBeUndefined();
    const rolledBack = events(runtime, "Canary Rolled Back").find((e) => e.detail.executionArn === arn);
    expect(rolledBack?.detail).toMatchObject({ outcome: "aborted", breach: { gate: "alarm" } });
  }, 120_000);

  it("aborts at once when a person asks during a bake", async () => {
    // Prepare: once the canary takes traffic, a person aborts it
    let arn = "";
    const stop = onEvent(
      runtime,
      "Canary Step Promoted",
      (d) => d.executionArn === arn && d.weight === 25,
      () => {
        void runtime.clock.track(
          new Promise((resolve) => setTimeout(resolve, 50)).then(() =>
            runtime.functions.invoke("canary/signal", {
              service: "api",
              command: "abort",
              requestedBy: "oncall",
              reason: "customer reports",
            }),
          ),
        );
      },
    );

    // Act
    arn = start(runtime, { service: "api", image: "cplane/api:3.0.3", bakeMinutes: 60 });
    const done = await output(runtime, arn);
    stop();

    // Assess
    expect(done.status, done.cause).toBe("SUCCEEDED");
    expect(done.result).toMatchObject({
      outcome: "aborted",
      step: 25,
      reason: "customer reports",
      breach: null,
    });
    const states = entered(runtime, arn);
    const shifted = states.filter((s) => s.name === "ShiftTraffic").at(-1)?.at ?? 0;
    const rollback = states.find((s) => s.name === "Rollback")?.at ?? 0;
    // Well within the hour's bake: the abort ended the wait it came in.
    expect(rollback - shifted).toBeLessThan(60_000);
    expect(weights(runtime, "api")).toEqual({ stable: 100, canary: 0 });
  }, 120_000);
});

describe("refusals and rollouts that fail", () => {
  it("rolls back a canary whose pods never become ready (ProgressDeadlineExceeded)", async () => {
    // Prepare
    runtime.cloud.eks.brokenImages.add("cplane/api:9.9.9");

    // Act
    const arn = start(runtime, { service: "api", image: "cplane/api:9.9.9" });
    const done = await output(runtime, arn);

    // Assess
    expect(done.status, done.cause).toBe("SUCCEEDED");
    expect(done.result).toMatchObject({ outcome: "rolled-back", step: 10 });
    expect(String(done.result?.reason)).toContain("CanaryRolloutFailedError");
    expect(String(done.result?.reason)).toContain("ProgressDeadlineExceeded");
    expect(weights(runtime, "api")).toEqual({ stable: 100, canary: 0 });
    expect(deployment(runtime, "api-canary")).toBeUndefined();
    expect(entered(runtime, arn).map((s) => s.name)).not.toContain("ShiftTraffic");
  }, 120_000);

  it("refuses a second canary of a service while the first runs, changing nothing", async () => {
    // Prepare: the second starts the moment the first has deployed its canary
    let first = "";
    let second = "";
    const stop = onEvent(
      runtime,
      "Canary Started",
      (d) => d.executionArn === first,
      () => {
        second = start(runtime, { service: "api", image: "cplane/api:3.1.1" });
      },
    );

    // Act
    first = start(runtime, { service: "api", image: "cplane/api:3.1.0", bakeMinutes: 10 });
    const [firstDone, secondDone] = [await output(runtime, first), await output(runtime, second)];
    stop();

    // Assess
    expect(secondDone.status).toBe("FAILED");
    expect(secondDone.error).toBe("LocksHeldError");
    expect(secondDone.cause).toContain(`lock service:api is held exclusive by ${first}`);
    expect(entered(runtime, second).map((s) => s.name)).not.toContain("DeployCanary");
    expect(firstDone.result).toMatchObject({ outcome: "promoted", image: "cplane/api:3.1.0" });
  }, 120_000);

  it("refuses an unknown service and an image of another repository by name, before anything changes", async () => {
    // Act
    const unknown = await output(
      runtime,
      start(runtime, { service: "billing", image: "cplane/billing:1.0.0" }),
    );
    const foreign = await output(runtime, start(runtime, { service: "api", image: "cplane/web:1.0.0" }));

    // Assess
    expect(unknown).toMatchObject({ status: "FAILED", error: "UnknownServiceError" });
    expect(foreign).toMatchObject({ status: "FAILED", error: "ImageRepositoryMismatchError" });
  }, 120_000);
});
