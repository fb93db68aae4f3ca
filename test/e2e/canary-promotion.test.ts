/**
 * Canary promotion on the local runtime, the paths that end well or are refused: a good release
 * promoted through every step, each step's pods ready before its traffic moves, and (api) a bake at
 * 100 % while stable still runs (stable then runs it, the canary is gone), a push resolved through the
 * configuration, bad input refused before anything changes, a second canary of a service refused.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
  results,
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

describe("canary promotion of a good release", () => {
  it("promotes api through 10, 25 and 50 % to 100 %: stable runs the new image, the canary is gone", async () => {
    // Prepare: what the cluster looks like when the canary takes all traffic
    let arn = "";
    let atFull: { weights: Record<string, number>; stableImage?: string } | undefined;
    const stop = onEvent(
      runtime,
      "Canary Step Promoted",
      (d) => d.executionArn === arn && d.weight === 100,
      () => {
        atFull = {
          weights: weights(runtime, "api"),
          stableImage: imageOf(deployment(runtime, "api-stable")),
        };
      },
    );

    // Act
    arn = start(runtime, { service: "api", image: "cplane/api:1.1.0", bakeMinutes: 10 });
    const done = await output(runtime, arn);
    stop();

    // Assess
    expect(done.status, done.cause).toBe("SUCCEEDED");
    expect(done.result).toMatchObject({
      outcome: "promoted",
      service: "api",
      image: "cplane/api:1.1.0",
      step: 100,
    });
    expect(imageOf(deployment(runtime, "api-stable"))).toBe("cplane/api:1.1.0");
    expect(deployment(runtime, "api-canary")).toBeUndefined();
    expect(weights(runtime, "api")).toEqual({ stable: 100, canary: 0 });
    const steps = events(runtime, "Canary Step Promoted").filter((e) => e.detail.executionArn === arn);
    expect(steps.map((e) => e.detail.weight)).toEqual([25, 50, 100]);
    // Each step's traffic moved only once its pods were ready: a pod per started share of stable's 3.
    const states = entered(runtime, arn).map((s) => s.name);
    const checks = results(runtime, arn, "CheckCanaryRollout") as { ready: boolean; replicas: number }[];
    expect(checks.filter((c) => c.ready).map((c) => c.replicas)).toEqual([1, 1, 2, 3]);
    const shifts = states.flatMap((name, i) => (name === "ShiftTraffic" ? [states[i - 1]] : []));
    expect(shifts).toEqual([
      "IsCanaryRolloutReady",
      "IsCanaryRolloutReady",
      "IsCanaryRolloutReady",
      "IsCanaryRolloutReady",
    ]);
    // api bakes at 100 % while stable still runs the old image, before stable is replaced.
    expect(atFull).toEqual({ weights: { stable: 0, canary: 100 }, stableImage: "cplane/api:1.0.0" });
    const fullBake = states.slice(states.lastIndexOf("ShiftTraffic"), states.indexOf("Promote"));
    expect(fullBake.filter((name) => name === "Analyze").length).toBeGreaterThanOrEqual(10);
    const report = await getReport(arn);
    const decision = report.decisions.find((d) => d.name === "stage-4-100pct");
    expect(decision).toMatchObject({
      outcome: "pass",
      thresholds: { maxP99Ms: 500, maxErrorRatePercent: 1 },
    });
    expect(decision?.inputs?.baselineBusinessSuccessPercent).toBeGreaterThan(95);
    const promoted = events(runtime, "Canary Promoted").find((e) => e.detail.executionArn === arn);
    expect(promoted?.detail).toMatchObject({
      service: "api",
      previousImage: "cplane/api:1.0.0",
      steps: [10, 25, 50, 100],
    });
  }, 120_000);

  it("runs api's default rollout (10/25/50 %, then 100 % while stable still runs, an hour each) in about four simulated hours", async () => {
    // Act
    const arn = start(runtime, { service: "api", image: "cplane/api:1.2.0" });
    const done = await output(runtime, arn);

    // Assess: four hour-long bakes, analysed every minute, plus the rollouts
    expect(done.status, done.cause).toBe("SUCCEEDED");
    expect(done.result).toMatchObject({ outcome: "promoted", step: 100 });
    const states = entered(runtime, arn);
    const simulatedSeconds = ((states.at(-1)?.at ?? 0) - (states[0]?.at ?? 0)) / 1000;
    expect(simulatedSeconds).toBeGreaterThanOrEqual(4 * 3600);
    expect(simulatedSeconds).toBeLessThan(4 * 3600 + 15 * 60);
    const analyses = states.filter((s) => s.name === "Analyze").length;
    expect(analyses).toBeGreaterThanOrEqual(240);
    expect(analyses).toBeLessThanOrEqual(248);
    console.log(`default promotion: ${simulatedSeconds} simulated s, ${states.length} states entered`);
    // Three states per analysis (Bake, Analyze, Judge), and a few dozen for everything else (each
    // stage's scale and readiness wait among them).
    expect(states.length).toBeLessThan(3 * analyses + 80);
  }, 180_000);

  it("resolves a push to main of acme/shop-api to api's image of that commit, and skips a repository with no service", async () => {
    // Prepare
    const push = (repository: string) => ({
      trigger: "git-push",
      repository,
      commit: "3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f",
      branch: "main",
      pusher: "dev",
      deliveryId: `delivery-${repository}`,
    });

    // Act
    const promoted = await output(runtime, start(runtime, push("acme/shop-api")));
    const skipped = await output(runtime, start(runtime, push("acme/docs")));

    // Assess
    expect(promoted.status, promoted.cause).toBe("SUCCEEDED");
    expect(promoted.result).toMatchObject({
      outcome: "promoted",
      service: "api",
      image: "cplane/api:3c4d5e6f7081",
    });
    expect(imageOf(deployment(runtime, "api-stable"))).toBe("cplane/api:3c4d5e6f7081");
    expect(skipped.result).toEqual({
      outcome: "skipped",
      reason: "repository acme/docs deploys no configured service",
    });
  }, 180_000);
});
