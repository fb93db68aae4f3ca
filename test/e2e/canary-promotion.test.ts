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
    const arn = start(runtime, { service: "api", image: "cplane/api:1.1.0", bakeMinutes: 5 });
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
    const states = entered(runtime, arn);
    console.log(`states entered: ${states.length}; simulated ${(states.at(-1)!.at - states[0]!.at) / 1000}s`);
  }, 120_000);
});
