/**
 * Canary promotion with tenant cohorts and an approval before 100 %, on the local runtime: the demo's
 * `web` service sends only basic tenants' requests to the canary first (Istio header match on the tier
 * header), then basic and standard, then the weighted steps; each cohort is analysed on its own
 * traffic; a person approves the last step, and no answer in time rolls the canary back.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decide } from "../../functions/ops/lib/approvals.ts";
import type { KObject } from "../../local/cloud/kubernetes.ts";
import { asOperator } from "../../local/iam/identity.ts";
import { type Runtime, TENANT_TABLE } from "../../local/runtime.ts";
import {
  behave,
  canaryRuntime,
  deployment,
  events,
  imageOf,
  kube,
  NAMESPACE,
  onEvent,
  output,
  results,
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

interface Analysis {
  stageIndex: number;
  canary: { requests: number };
  stable: { requests: number };
}

describe("tenant cohorts", () => {
  it("routes only basic tenants, then basic and standard, to web's canary before any weighted step", async () => {
    // Prepare: capture the routes of the first cohort stage; approve the promotion to 100 % when asked
    let arn = "";
    let cohortRoutes: unknown;
    const stopRoutes = onEvent(
      runtime,
      "Canary Step Promoted",
      (d) => d.executionArn === arn && d.step === 2,
      () => {
        cohortRoutes = (
          (kube(runtime).get("VirtualService", NAMESPACE, "web") as KObject).spec as { http: unknown }
        ).http;
      },
    );
    const stopApproval = onEvent(
      runtime,
      "Approval Requested",
      (d) => d.executionArn === arn,
      // A person answers, not the handler whose event this listener runs in.
      (asked) =>
        asOperator(() => {
          void runtime.clock.track(
            new Promise((resolve) => setTimeout(resolve, 50)).then(() =>
              decide(
                {
                  approvalId: String(asked.approvalId),
                  approved: true,
                  decidedBy: "release-manager",
                  reason: "cohorts clean",
                  now: runtime.clock.now(),
                },
                store,
              ),
            ),
          );
        }),
      true,
    );

    // Act
    arn = start(runtime, { service: "web", image: "cplane/web:6.0.0", bakeMinutes: 6 });
    const done = await output(runtime, arn);
    stopRoutes();
    stopApproval();

    // Assess: the stage-2 routes send basic and standard tenants' requests to the canary, the rest to stable
    expect(done.status, done.cause).toBe("SUCCEEDED");
    expect(done.result, String(done.result?.reason)).toMatchObject({ outcome: "promoted", service: "web" });
    expect(cohortRoutes).toEqual([
      {
        name: "canary-cohort",
        match: [{ headers: { "x-cplane-tenant-tier": { regex: "^(basic|standard)$" } } }],
        route: [{ destination: { host: "web", subset: "canary" }, weight: 100 }],
      },
      {
        name: "primary",
        route: [
          { destination: { host: "web", subset: "stable" }, weight: 100 },
          { destination: { host: "web", subset: "canary" }, weight: 0 },
        ],
      },
    ]);
    // Each stage's analysis saw the cohort's share of requests on the canary: basic 50 %, +standard 80 %, then 10 %
    const share = (stage: number) => {
      const last = (results(runtime, arn, "Analyze") as unknown as Analysis[])
        .filter((a) => a.stageIndex === stage)
        .at(-1);
      return last ? last.canary.requests / (last.canary.requests + last.stable.requests) : Number.NaN;
    };
    expect(share(0)).toBeCloseTo(0.5, 2);
    expect(share(1)).toBeCloseTo(0.8, 2);
    expect(share(2)).toBeCloseTo(0.1, 2);
    const promoted = events(runtime, "Canary Step Promoted").filter((e) => e.detail.executionArn === arn);
    expect(promoted.map((e) => e.detail.cohort ?? e.detail.weight)).toEqual([
      "tier basic, standard",
      10,
      25,
      50,
    ]);
    const gates = events(runtime, "Approval Requested").filter((e) => e.detail.executionArn === arn);
    expect(gates.map((e) => e.detail.gate)).toEqual(["PromoteToFull"]);
    expect(imageOf(deployment(runtime, "web-stable"))).toBe("cplane/web:6.0.0");
    expect(weights(runtime, "web")).toEqual({ stable: 100, canary: 0 });
  }, 180_000);

  it("rolls back when nobody approves the promotion to 100 % in time", async () => {
    // Prepare
    const before = imageOf(deployment(runtime, "web-stable"));

    // Act
    const arn = start(runtime, {
      service: "web",
      image: "cplane/web:6.1.0",
      steps: [50, 100],
      bakeMinutes: 5,
    });
    const done = await output(runtime, arn);

    // Assess
    expect(done.status, done.cause).toBe("SUCCEEDED");
    expect(done.result).toMatchObject({ outcome: "rolled-back" });
    expect(String(done.result?.reason)).toContain("promotion to 100% rejected by timeout");
    expect(imageOf(deployment(runtime, "web-stable"))).toBe(before);
    expect(deployment(runtime, "web-canary")).toBeUndefined();
    expect(weights(runtime, "web")).toEqual({ stable: 100, canary: 0 });
  }, 180_000);

  it("rolls back at the first cohort when the basic tenants' requests breach a gate, naming the cohort", async () => {
    // Prepare: the release fails 5 % of requests
    behave(runtime, "web", "6.2.0", { errorRate: 0.05 });

    // Act
    const arn = start(runtime, { service: "web", image: "cplane/web:6.2.0", bakeMinutes: 10 });
    const done = await output(runtime, arn);

    // Assess
    expect(done.status, done.cause).toBe("SUCCEEDED");
    expect(done.result).toMatchObject({
      outcome: "rolled-back",
      stage: 1,
      cohort: "tier basic",
      breach: { gate: "error-rate", threshold: 1, cohort: "tier basic" },
    });
    const routes = kube(runtime).get("VirtualService", NAMESPACE, "web") as KObject | undefined;
    const http = (routes?.spec as { http?: { name: string }[] } | undefined)?.http ?? [];
    expect(http.map((h) => h.name)).toEqual(["primary"]);
    expect(weights(runtime, "web")).toEqual({ stable: 100, canary: 0 });
    expect(deployment(runtime, "web-canary")).toBeUndefined();
    const rolledBack = events(runtime, "Canary Rolled Back").find((e) => e.detail.executionArn === arn);
    expect(rolledBack?.detail).toMatchObject({ breach: { gate: "error-rate", cohort: "tier basic" } });
  }, 180_000);
});
