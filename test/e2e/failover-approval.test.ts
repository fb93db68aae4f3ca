/**
 * The failover's approval gate on the local runtime, with configuration asking for one before a
 * failover changes anything (`FAILOVER_APPROVAL=failover` on `failover/plan`): a person who rejects it
 * leaves everything as it was and the run fails `FailoverRejectedError` with who and why; a person who
 * approves it lets the failover go on, and the report records the decision. The person answers from a
 * listener on `Approval Requested` (as the console or `cplane tasks approve` would), as the operator,
 * not as the handler whose event the listener runs in.
 */
import {
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
} from "@aws-sdk/client-route-53";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { decide } from "../../functions/ops/lib/approvals.ts";
import { getReport } from "../../functions/reports/lib/store.ts";
import { createAwsClient } from "../../functions/shared/aws-clients.ts";
import { asOperator } from "../../local/iam/identity.ts";
import { type Runtime, TENANT_TABLE } from "../../local/runtime.ts";
import { eventsOf, failoverRuntime, finish, start, statesOf, writerRegion } from "./failover-support.ts";

let runtime: Runtime;
let primary: string;
let secondary: string;
let stopListening: (() => void) | undefined;
const store = { table: TENANT_TABLE, busName: "cplane" };

beforeAll(async () => {
  runtime = await failoverRuntime();
  primary = runtime.region;
  secondary = runtime.secondaryRegion;
  // The runtime set every function's environment on this process; the plan reads it when it runs.
  process.env.FAILOVER_APPROVAL = "failover";
}, 300_000);
afterEach(() => stopListening?.());
afterAll(async () => {
  process.env.FAILOVER_APPROVAL = "none";
  await runtime?.close();
});

/** Answers the approval the execution asks for, as a person would, once it is asked. */
function answerAs(person: string, approved: boolean, reason: string, executionArn: () => string): void {
  stopListening = runtime.bus.onLog((logged) => {
    if (logged.event["detail-type"] !== "Approval Requested") return;
    const asked = logged.event.detail as { approvalId: string; executionArn: string };
    if (asked.executionArn !== executionArn()) return;
    asOperator(() => {
      void runtime.clock.track(
        new Promise((resolve) => setTimeout(resolve, 20)).then(() =>
          decide(
            { approvalId: asked.approvalId, approved, decidedBy: person, reason, now: runtime.clock.now() },
            store,
          ),
        ),
      );
    });
  });
}

async function dnsPrimary(): Promise<string | undefined> {
  const route53 = createAwsClient(Route53Client, { region: primary });
  const zone = (await route53.send(new ListHostedZonesByNameCommand({ DNSName: "cplane.example.com" })))
    .HostedZones?.[0]?.Id;
  const { ResourceRecordSets } = await route53.send(
    new ListResourceRecordSetsCommand({ HostedZoneId: zone }),
  );
  return ResourceRecordSets?.find((r) => r.Failover === "PRIMARY")?.SetIdentifier;
}

const failover = { trigger: "manual", mode: "failover", reason: "primary degraded", requestedBy: "oncall" };

describe("a failover that configuration says needs an approval", () => {
  it("rejected by a person: nothing changes, it fails FailoverRejectedError saying who and why", async () => {
    // Prepare
    let arn = "";
    answerAs("head-of-ops", false, "the primary is recovering", () => arn);

    // Act
    arn = start(runtime, "regional-failover", failover);
    const run = await finish(runtime, arn);

    // Assess
    expect(run.status).toBe("FAILED");
    expect(run.error).toBe("FailoverRejectedError");
    expect(run.cause).toContain("head-of-ops: the primary is recovering");
    const states = statesOf(runtime, arn);
    expect(states).toContain("ApproveFailover");
    expect(states).not.toContain("Recover");
    expect(await writerRegion(runtime, "cplane-platform")).toBe(primary);
    expect(await dnsPrimary()).toBe(primary);
    expect(eventsOf(runtime, "Region Failover Failed")).toEqual([
      expect.objectContaining({ error: "FailoverRejectedError" }),
    ]);
  }, 600_000);

  it("approved by a person: the failover goes on, and the report records who approved and why", async () => {
    // Prepare
    let arn = "";
    answerAs("head-of-ops", true, "primary unusable for customers", () => arn);

    // Act
    arn = start(runtime, "regional-failover", failover);
    const run = await finish(runtime, arn);

    // Assess
    expect(run.status, `${run.error} ${run.cause}`).toBe("SUCCEEDED");
    const states = statesOf(runtime, arn);
    expect(states.indexOf("ApproveFailover")).toBeLessThan(states.indexOf("Recover"));
    expect(await writerRegion(runtime, "cplane-platform")).toBe(secondary);
    expect(await dnsPrimary()).toBe(secondary);
    const report = await getReport(arn);
    expect(report.decisions).toContainEqual(
      expect.objectContaining({
        name: "approval",
        outcome: "approved",
        approval: expect.objectContaining({
          decision: "approved",
          by: "head-of-ops",
          reason: "primary unusable for customers",
        }),
      }),
    );
  }, 600_000);
});
