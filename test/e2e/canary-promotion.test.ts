/**
 * Canary promotion on the local runtime, the paths that end well or are refused: a good release
 * promoted through every step (stable then runs it, the canary is gone), a push resolved through the
 * configuration, bad input refused before anything changes, a second canary of a service refused.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Runtime } from "../../local/runtime.ts";
import {
  canaryRuntime,
  deployment,
  entered,
  events,
  imageOf,
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

describe("canary promotion of a good release", () => {
  it("promotes api through 10, 25 and 50 % to 100 %: stable runs the new image, the canary is gone", async () => {
    // Act
    const arn = start(runtime, { service: "api", image: "cplane/api:1.1.0", bakeMinutes: 10 });
    const done = await output(runtime, arn);

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
    expect(steps.map((e) => e.detail.weight)).toEqual([25, 50]);
    const promoted = events(runtime, "Canary Promoted").find((e) => e.detail.executionArn === arn);
    expect(promoted?.detail).toMatchObject({
      service: "api",
      previousImage: "cplane/api:1.0.0",
      steps: [10, 25, 50, 100],
    });
  }, 120_000);

  it("runs the default rollout (10/25/50/100 %, an hour per step) in about three simulated hours", async () => {
    // Act
    const arn = start(runtime, { service: "api", image: "cplane/api:1.2.0" });
    const done = await output(runtime, arn);

    // Assess: three hour-long bakes, analysed every minute, plus the rollouts
    expect(done.status, done.cause).toBe("SUCCEEDED");
    expect(done.result).toMatchObject({ outcome: "promoted", step: 100 });
    const states = entered(runtime, arn);
    const simulatedSeconds = ((states.at(-1)?.at ?? 0) - (states[0]?.at ?? 0)) / 1000;
    expect(simulatedSeconds).toBeGreaterThanOrEqual(3 * 3600);
    expect(simulatedSeconds).toBeLessThan(3 * 3600 + 15 * 60);
    const analyses = states.filter((s) => s.name === "Analyze").length;
    expect(analyses).toBeGreaterThanOrEqual(180);
    expect(analyses).toBeLessThanOrEqual(186);
    // Three states per analysis (Bake, Analyze, Judge), and a few dozen for everything else.
    expect(states.length).toBeLessThan(3 * analyses + 60);
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
