/**
 * Canary promotion on the local runtime when the platform misbehaves: a step's progress deadline (pods
 * that are never ready, with no word from Kubernetes) ends in a rollback; a rollback that the cluster
 * cannot take (its region down) fails the execution where it stands, and a redrive once the region is
 * back finishes it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Runtime } from "../../local/runtime.ts";
import { canaryRuntime, deployment, entered, output, start, weights } from "./canary/support.ts";

let runtime: Runtime;

beforeAll(async () => {
  // Pods take two hours to become ready: past any progress deadline, with no ProgressDeadlineExceeded.
  runtime = await canaryRuntime({ podReady: 2 * 3600_000 });
}, 120_000);
afterAll(async () => {
  await runtime?.close();
});

describe("a canary whose platform misbehaves", () => {
  it("rolls back when the canary is not ready within its step's progress deadline", async () => {
    // Act
    const arn = start(runtime, { service: "api", image: "cplane/api:5.0.0" });
    const done = await output(runtime, arn);

    // Assess
    expect(done.status, done.cause).toBe("SUCCEEDED");
    expect(done.result).toMatchObject({ outcome: "rolled-back", step: 10 });
    expect(String(done.result?.reason)).toContain("CanaryRolloutTimeoutError");
    const states = entered(runtime, arn);
    const deployed = states.find((s) => s.name === "DeployCanary")?.at ?? 0;
    const timedOut = states.find((s) => s.name === "CanaryRolloutTimedOut")?.at ?? 0;
    // The configured deadline (600 s) plus the backstop's margin (120 s), give or take one poll (30 s).
    expect((timedOut - deployed) / 1000).toBeGreaterThanOrEqual(720);
    expect((timedOut - deployed) / 1000).toBeLessThanOrEqual(760);
    expect(deployment(runtime, "api-canary")).toBeUndefined();
    expect(weights(runtime, "api")).toEqual({ stable: 100, canary: 0 });
  }, 120_000);
});
