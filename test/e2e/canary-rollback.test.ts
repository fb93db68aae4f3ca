/**
 * Canary promotion on the local runtime, the bad releases: an error rate, a p99 and a business success
 * rate each breaching their gate are rolled back at the step where the breach shows, with every request
 * back on stable within one analysis interval of the breach becoming visible in the metrics.
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

/** Seconds from the breach being visible (the end of the minute whose data showed it) to routes on stable. */
function breachToStable(arn: string): number {
  const analysis = results(runtime, arn, "Analyze").at(-1) as { window: { end: string } };
  const retired = results(runtime, arn, "Rollback").at(-1) as { stableAt: number };
  return (retired.stableAt - Date.parse(analysis.window.end)) / 1000;
}

describe("canary promotion of a bad release", () => {
  it("rolls back a canary whose error rate breaches 1 % at its first step, stable untouched", async () => {
    // Prepare
    behave(runtime, "api", "2.0.1", { errorRate: 0.05 });

    // Act
    const arn = start(runtime, { service: "api", image: "cplane/api:2.0.1", bakeMinutes: 10 });
    const done = await output(runtime, arn);

    // Assess
    expect(done.status, done.cause).toBe("SUCCEEDED");
    expect(done.result).toMatchObject({
      outcome: "rolled-back",
      step: 10,
      breach: { gate: "error-rate", threshold: 1 },
    });
    const breach = (done.result?.breach ?? {}) as { measured: number };
    expect(breach.measured).toBeGreaterThan(4);
    expect(breach.measured).toBeLessThan(6);
    expect(weights(runtime, "api")).toEqual({ stable: 100, canary: 0 });
    expect(deployment(runtime, "api-canary")).toBeUndefined();
    expect(imageOf(deployment(runtime, "api-stable"))).toBe("cplane/api:1.0.0");
    const rolledBack = events(runtime, "Canary Rolled Back").find((e) => e.detail.executionArn === arn);
    expect(rolledBack?.detail).toMatchObject({
      outcome: "rolled-back",
      atWeight: 10,
      breach: { gate: "error-rate" },
    });
    const seconds = breachToStable(arn);
    expect(seconds).toBeGreaterThanOrEqual(0);
    expect(seconds).toBeLessThanOrEqual(60);
    console.log(`breach visible to traffic on stable: ${seconds} s`);
  }, 120_000);

  it("rolls back a canary whose p99 turns bad at 25 %, at that step", async () => {
    // Prepare: the release is good at 10 %, and slow from the moment it takes 25 %
    const image = "cplane/api:2.0.2";
    let arn = "";
    const stop = onEvent(
      runtime,
      "Canary Step Promoted",
      (d) => d.executionArn === arn && d.weight === 25,
      () => behave(runtime, "api", "2.0.2", { latencyP99Ms: 900 }),
    );

    // Act
    arn = start(runtime, { service: "api", image, bakeMinutes: 10 });
    const done = await output(runtime, arn);
    stop();

    // Assess
    expect(done.status, done.cause).toBe("SUCCEEDED");
    expect(done.result).toMatchObject({
      outcome: "rolled-back",
      step: 25,
      breach: { gate: "p99-latency", threshold: 500 },
    });
    expect((done.result?.breach as { measured?: number } | undefined)?.measured).toBeGreaterThan(500);
    expect(weights(runtime, "api")).toEqual({ stable: 100, canary: 0 });
    expect(deployment(runtime, "api-canary")).toBeUndefined();
    expect(breachToStable(arn)).toBeLessThanOrEqual(60);
  }, 120_000);

  it("rolls back a canary whose business success falls more than 2 points below stable's", async () => {
    // Prepare: stable succeeds 98 % of business transactions; this release 90 %
    behave(runtime, "api", "2.0.3", { businessSuccessRate: 0.9 });

    // Act
    const arn = start(runtime, { service: "api", image: "cplane/api:2.0.3", bakeMinutes: 30 });
    const done = await output(runtime, arn);

    // Assess
    expect(done.status, done.cause).toBe("SUCCEEDED");
    expect(done.result).toMatchObject({
      outcome: "rolled-back",
      step: 10,
      breach: { gate: "business-success", threshold: 2 },
    });
    // Six business transactions a minute at 10 %: the drop is significant after a quarter of an hour or so.
    const measured = (done.result?.breach as { measured?: number } | undefined)?.measured ?? 0;
    expect(measured).toBeGreaterThan(6);
    expect(measured).toBeLessThan(10);
    expect(weights(runtime, "api")).toEqual({ stable: 100, canary: 0 });
    expect(breachToStable(arn)).toBeLessThanOrEqual(60);
  }, 120_000);

  it("fails where it stands when the cluster cannot take the rollback, and a redrive finishes it", async () => {
    // Prepare: once the canary takes 25 %, the region goes down (its metrics and Kubernetes API with it)
    let arn = "";
    const stop = onEvent(
      runtime,
      "Canary Step Promoted",
      (d) => d.executionArn === arn && d.weight === 25,
      () => runtime.cloud.faults.regionDown(runtime.region),
    );
    arn = start(runtime, { service: "api", image: "cplane/api:2.0.4", bakeMinutes: 10 });
    const failed = await output(runtime, arn);
    stop();
    expect(failed.status).toBe("FAILED");
    // The rollback's calls fail as a client sees an outage (the SDK's TimeoutError, or a dropped Kubernetes
    // connection when a token is cached); retried for about 20 minutes, then it fails there.
    expect(["TimeoutError", "TransientError"]).toContain(failed.error);
    expect(entered(runtime, arn).at(-1)?.name).toBe("Rollback");
    expect(weights(runtime, "api")).toEqual({ stable: 75, canary: 25 });

    // Act
    runtime.cloud.faults.regionUp(runtime.region);
    runtime.engine.redriveExecution(arn);
    const done = await output(runtime, arn);

    // Assess
    expect(done.status, done.cause).toBe("SUCCEEDED");
    expect(done.redriveCount).toBe(1);
    expect(done.result).toMatchObject({ outcome: "rolled-back", step: 25 });
    expect(weights(runtime, "api")).toEqual({ stable: 100, canary: 0 });
    expect(deployment(runtime, "api-canary")).toBeUndefined();
    expect(events(runtime, "Canary Rolled Back").filter((e) => e.detail.executionArn === arn)).toHaveLength(
      1,
    );
  }, 180_000);
});
