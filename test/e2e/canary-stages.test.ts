/**
 * Canary promotion on the local runtime, between steps: a step's new pods must be ready before its
 * traffic moves (a step whose pods never become ready rolls back at its progress deadline, traffic never
 * having moved to it); and api's bake at 100 %, while stable still runs, rolls back to stable when the
 * canary's business success falls below the baseline stable had at the previous step.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Runtime } from "../../local/runtime.ts";
import {
  behave,
  canaryRuntime,
  deployment,
  entered,
  events,
  imageOf,
  onEvent,
  output,
  start,
  weights,
} from "./canary/support.ts";

let runtime: Runtime;

beforeAll(async () => {
  runtime = await canaryRuntime();
}, 120_000);
afterAll(async () => {
  await runtime?.close();
});

describe("a step's pods", () => {
  it("roll back the canary when they never become ready, before any traffic moves to the step", async () => {
    // Prepare: the canary's first pod is ready; from then on its new pods never are
    const image = "cplane/api:7.0.0";
    let arn = "";
    const stop = onEvent(
      runtime,
      "Canary Started",
      (d) => d.executionArn === arn,
      () => runtime.cloud.eks.brokenImages.add(image),
    );

    // Act: 50 % of stable's 3 pods is 2
    arn = start(runtime, { service: "api", image, steps: [10, 50, 100], bakeMinutes: 10 });
    const done = await output(runtime, arn);
    stop();
    runtime.cloud.eks.brokenImages.delete(image);

    // Assess
    expect(done.status, done.cause).toBe("SUCCEEDED");
    expect(done.result).toMatchObject({ outcome: "rolled-back", step: 50 });
    const reason = String(done.result?.reason);
    expect(reason).toContain("CanaryRolloutFailedError");
    expect(reason).toContain("canary Deployment api-canary (2 pods for 50 %) never became ready");
    expect(reason).toContain("ProgressDeadlineExceeded");
    const states = entered(runtime, arn);
    expect(states.filter((s) => s.name === "ShiftTraffic")).toHaveLength(1);
    const scaled = states.find((s) => s.name === "ScaleCanary")?.at ?? 0;
    const rolledBack = states.find((s) => s.name === "Rollback")?.at ?? 0;
    // Kubernetes' progress deadline (600 s), seen at the next poll (at most 30 s later).
    expect((rolledBack - scaled) / 1000).toBeGreaterThanOrEqual(600);
    expect((rolledBack - scaled) / 1000).toBeLessThanOrEqual(640);
    expect(weights(runtime, "api")).toEqual({ stable: 100, canary: 0 });
    expect(deployment(runtime, "api-canary")).toBeUndefined();
    expect(events(runtime, "Canary Step Promoted").filter((e) => e.detail.executionArn === arn)).toEqual([]);
  }, 180_000);
});

describe("api's bake at 100 %", () => {
  it("rolls back to stable, still running, when business success falls below stable's baseline from 50 %", async () => {
    // Prepare: the release is good until it takes all traffic, then 90 % of business transactions succeed
    const image = "cplane/api:7.1.0";
    let arn = "";
    const stop = onEvent(
      runtime,
      "Canary Step Promoted",
      (d) => d.executionArn === arn && d.weight === 100,
      () => behave(runtime, "api", "7.1.0", { businessSuccessRate: 0.9 }),
    );

    // Act
    arn = start(runtime, { service: "api", image, bakeMinutes: 30 });
    const done = await output(runtime, arn);
    stop();

    // Assess
    expect(done.status, done.cause).toBe("SUCCEEDED");
    expect(done.result).toMatchObject({
      outcome: "rolled-back",
      step: 100,
      breach: { gate: "business-success", threshold: 2 },
    });
    const measured = (done.result?.breach as { measured?: number } | undefined)?.measured ?? 0;
    expect(measured).toBeGreaterThan(6);
    expect(measured).toBeLessThan(10);
    expect(String(done.result?.reason)).toContain("below stable's baseline at 50 %");
    expect(weights(runtime, "api")).toEqual({ stable: 100, canary: 0 });
    expect(imageOf(deployment(runtime, "api-stable"))).toBe("cplane/api:1.0.0");
    expect(deployment(runtime, "api-canary")).toBeUndefined();
    const names = entered(runtime, arn).map((s) => s.name);
    expect(names).not.toContain("Promote");
    const rolledBack = events(runtime, "Canary Rolled Back").find((e) => e.detail.executionArn === arn);
    expect(rolledBack?.detail).toMatchObject({ atWeight: 100, breach: { gate: "business-success" } });
    expect(rolledBack?.detail.metrics).toMatchObject({ baselineBusinessSuccessPercent: expect.any(Number) });
  }, 180_000);
});
