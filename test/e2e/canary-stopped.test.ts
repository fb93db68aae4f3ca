/**
 * A canary stopped from outside (StopExecution) or timed out runs no Catch, so its own rollback never
 * runs: the rule `execution-stopped-clean-up` starts `operation-cleanup`, which rolls it back as the
 * workflow would have (every request on stable, the canary Deployment gone, the service's lease free),
 * records the run report and publishes `Canary Rolled Back` with the reason; a second delivery of the
 * same status change changes and announces nothing again.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readLease } from "../../functions/ops/lib/leases.ts";
import { getReport } from "../../functions/reports/lib/store.ts";
import type { Runtime } from "../../local/runtime.ts";
import {
  canaryRuntime,
  deployment,
  entered,
  events,
  imageOf,
  onEvent,
  output,
  weights,
} from "./canary/support.ts";

let runtime: Runtime;

beforeAll(async () => {
  runtime = await canaryRuntime();
}, 120_000);
afterAll(async () => {
  await runtime?.close();
});

function startOn(stateMachineArn: string, input: unknown): string {
  return runtime.engine.startExecution({ stateMachineArn, input: JSON.stringify(input) }).executionArn;
}

/** The clean-up executions started for `executionArn` (their input is the status change's detail). */
function cleanups(executionArn: string) {
  return runtime.engine
    .listExecutions({ stateMachineArn: runtime.stateMachineArn("operation-cleanup") })
    .executions.filter((e) => {
      const input = runtime.engine.describeExecution(e.executionArn).input;
      return (JSON.parse(input ?? "{}") as { executionArn?: string }).executionArn === executionArn;
    });
}

async function cleanedUp(executionArn: string) {
  for (let i = 0; i < 6000; i++) {
    const [first] = cleanups(executionArn);
    if (first) return output(runtime, first.executionArn);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no clean-up started for ${executionArn}`);
}

/** Stops the execution as soon as it waits in a bake (the clock held until then), as a person would. */
function stopInBake(arn: () => string, weight: number, cause: string) {
  return onEvent(
    runtime,
    "Canary Step Promoted",
    (d) => d.executionArn === arn() && d.weight === weight,
    () => {
      void runtime.clock.track(
        (async () => {
          while (
            !runtime.engine.listPendingTasks().some((t) => t.executionArn === arn() && t.stateName === "Bake")
          )
            await new Promise((resolve) => setTimeout(resolve, 5));
          runtime.engine.stopExecution(arn(), { cause });
        })(),
      );
    },
  );
}

describe("a canary stopped from outside", () => {
  it("is rolled back by the clean-up: weights on stable, no canary, lease free, reported and announced", async () => {
    // Prepare: a person stops the canary while it bakes at 25 %
    let arn = "";
    const stop = stopInBake(() => arn, 25, "stopped by oncall: wrong image");

    // Act
    arn = startOn(runtime.stateMachineArn("canary-promotion"), {
      service: "api",
      image: "cplane/api:6.0.0",
      bakeMinutes: 30,
    });
    const stopped = await output(runtime, arn);
    const cleanup = await cleanedUp(arn);
    stop();

    // Assess
    expect(stopped.status).toBe("ABORTED");
    expect(entered(runtime, arn).at(-1)?.name).toBe("Bake");
    expect(cleanup.status, cleanup.cause).toBe("SUCCEEDED");
    expect(cleanup.result).toMatchObject({
      status: "ABORTED",
      canary: { service: "api", rolledBack: true, removed: true },
      released: ["service:api"],
    });
    expect(weights(runtime, "api")).toEqual({ stable: 100, canary: 0 });
    expect(deployment(runtime, "api-canary")).toBeUndefined();
    expect(imageOf(deployment(runtime, "api-stable"))).toBe("cplane/api:1.0.0");
    expect((await readLease("service:api"))?.holders ?? {}).toEqual({});
    const announced = events(runtime, "Canary Rolled Back").filter((e) => e.detail.executionArn === arn);
    expect(announced).toHaveLength(1);
    expect(announced[0]?.detail).toMatchObject({
      service: "api",
      image: "cplane/api:6.0.0",
      atWeight: 25,
      outcome: "aborted",
      reason: "stopped from outside (ABORTED): stopped by oncall: wrong image",
    });
    const report = await getReport(arn);
    expect(report).toMatchObject({
      workflow: "canary-promotion",
      outcome: "aborted",
      reason: "rolled back: stopped from outside (ABORTED): stopped by oncall: wrong image",
      decisions: [{ name: "stopped-from-outside", outcome: "ABORTED", subject: "api" }],
    });
    expect(report.steps.map((s) => s.name)).toContain("Bake");
  }, 180_000);

  it("does nothing twice when the status change is delivered again", async () => {
    // Prepare: a canary stopped and cleaned up once
    let arn = "";
    const stop = stopInBake(() => arn, 25, "stopped twice");
    arn = startOn(runtime.stateMachineArn("canary-promotion"), {
      service: "api",
      image: "cplane/api:6.0.1",
      bakeMinutes: 30,
    });
    await output(runtime, arn);
    const first = await cleanedUp(arn);
    stop();
    const [run] = cleanups(arn);
    const detail = runtime.engine.describeExecution(run?.executionArn ?? "").input ?? "{}";
    const reportBefore = await getReport(arn);

    // Act: the rule fires again with the same detail
    const again = await output(
      runtime,
      startOn(runtime.stateMachineArn("operation-cleanup"), JSON.parse(detail)),
    );

    // Assess
    expect(first.status, first.cause).toBe("SUCCEEDED");
    expect(again.status, again.cause).toBe("SUCCEEDED");
    expect(again.result).toMatchObject({ status: "ABORTED", canary: null, released: [] });
    expect(events(runtime, "Canary Rolled Back").filter((e) => e.detail.executionArn === arn)).toHaveLength(
      1,
    );
    expect(weights(runtime, "api")).toEqual({ stable: 100, canary: 0 });
    expect(deployment(runtime, "api-canary")).toBeUndefined();
    expect(await getReport(arn)).toEqual(reportBefore);
  }, 180_000);

  it("rolls back a canary that timed out, reporting it timed out", async () => {
    // Prepare: the same definition with a 30-minute execution timeout (the deployed one has 24 hours),
    // named as a deployment names it, so that the rule and the clean-up know it for a canary
    const deployed = runtime.engine.describeStateMachine(runtime.stateMachineArn("canary-promotion"));
    const definition = { ...JSON.parse(deployed.definition), TimeoutSeconds: 1800 };
    const { stateMachineArn } = runtime.engine.createStateMachine({
      name: "cplane-local-quick-canary-promotion",
      definition,
    });

    // Act: an hour's bake at 10 % outlasts it
    const arn = startOn(stateMachineArn, { service: "api", image: "cplane/api:6.0.2", bakeMinutes: 60 });
    const timedOut = await output(runtime, arn);
    const cleanup = await cleanedUp(arn);

    // Assess
    expect(timedOut.status).toBe("TIMED_OUT");
    expect(cleanup.status, cleanup.cause).toBe("SUCCEEDED");
    expect(weights(runtime, "api")).toEqual({ stable: 100, canary: 0 });
    expect(deployment(runtime, "api-canary")).toBeUndefined();
    expect((await readLease("service:api"))?.holders ?? {}).toEqual({});
    const announced = events(runtime, "Canary Rolled Back").find((e) => e.detail.executionArn === arn);
    expect(announced?.detail).toMatchObject({ atWeight: 10, outcome: "rolled-back" });
    expect(String(announced?.detail.reason)).toMatch(/^stopped from outside \(TIMED_OUT\): /);
    expect(await getReport(arn)).toMatchObject({ outcome: "timed-out" });
  }, 180_000);
});
