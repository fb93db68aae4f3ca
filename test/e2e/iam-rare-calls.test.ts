/**
 * The calls of the rare paths, made on the local runtime as the functions' own roles: each catalog
 * statement that only such a path uses is proven here (the rest of the suite never makes its call), so
 * that taking it out of the catalog fails a test. Each handler is invoked through the runtime's Lambda
 * (as its role, every call authorized) with what brings it down that path, and the test asserts both
 * the outcome and that the statement's action was asked for and allowed.
 */
import {
  CreateDBClusterSnapshotCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  RDSClient,
} from "@aws-sdk/client-rds";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAwsClient } from "../../functions/shared/aws-clients.ts";
import type { Decision } from "../../local/iam/authorizer.ts";
import type { Runtime } from "../../local/runtime.ts";
import { failoverRuntime, runUntil } from "./failover-support.ts";

let runtime: Runtime;
const decisions: Decision[] = [];

beforeAll(async () => {
  runtime = await failoverRuntime();
  runtime.iam?.onDecision((decision) => decisions.push(decision));
}, 180_000);
afterAll(async () => {
  await runtime?.close();
});

/** The decisions on `action` for `functionId`'s calls since `from`. */
const asked = (from: number, functionId: string, action: string) =>
  decisions
    .slice(from)
    .filter((d) => d.caller.functionId === functionId && d.request.action === action)
    .map((d) => d.result.decision);

const invoke = (functionId: string, payload: unknown) =>
  runtime.functions.invoke(functionId, payload) as Promise<Record<string, unknown>>;

describe("the rare paths' calls, authorized as each function's role", () => {
  it("validate-and-register: a repeated request whose onboarding execution is gone takes it over (DescribeExecution)", async () => {
    // Prepare: a tenant left onboarding by an execution that does not exist
    const ghost = `${runtime.stateMachineArn("tenant-onboarding").replace(":stateMachine:", ":execution:")}:ghost`;
    const fresh = `${runtime.stateMachineArn("tenant-onboarding").replace(":stateMachine:", ":execution:")}:fresh`;
    const request = { name: "Orphan Works", tier: "standard", adminEmail: "ops@orphan.example" };
    await invoke("tenant/validate-and-register", { ...request, executionArn: ghost });
    const from = decisions.length;

    // Act
    const taken = await invoke("tenant/validate-and-register", { ...request, executionArn: fresh });

    // Assess: not joined to the ghost, taken over by the new execution, after asking Step Functions
    expect(taken).toMatchObject({ slug: "orphan-works", executionArn: fresh, joined: false });
    expect(asked(from, "tenant/validate-and-register", "states:DescribeExecution")).toEqual(["Allow"]);
  }, 120_000);

  it("await-resource and resume-waiters: a wait on a cluster snapshot, woken by its event or at once (DescribeDBClusterSnapshots, SendTaskSuccess)", async () => {
    // Prepare: a snapshot of the platform's cluster, taken by the operator, the clock held while the
    // wait is registered (instant time would make it available first)
    let release = () => {};
    runtime.clock.track(
      new Promise<void>((resolve) => {
        release = resolve;
      }),
    );
    const rds = createAwsClient(RDSClient, { trace: false });
    const { DBClusters = [] } = await rds.send(new DescribeDBClustersCommand({}));
    const cluster = DBClusters[0]?.DBClusterIdentifier as string;
    const { DBClusterSnapshot } = await rds.send(
      new CreateDBClusterSnapshotCommand({
        DBClusterIdentifier: cluster,
        DBClusterSnapshotIdentifier: "probe-waits",
      }),
    );
    const snapshotArn = DBClusterSnapshot?.DBClusterSnapshotArn as string;
    const executionArn = `${runtime.stateMachineArn("tenant-offboarding").replace(":stateMachine:", ":execution:")}:waiting`;
    const wait = { resourceArn: snapshotArn, kind: "rds-cluster-snapshot", taskToken: "gone", executionArn };
    const from = decisions.length;

    // Act 1: the wait registered while the snapshot is being made
    const waiting = await invoke("ops/await-resource", wait);
    expect(waiting).toEqual({ resumedAtOnce: false, status: "creating" });
    release();

    // Act 2: the snapshot's own event, once it is available, wakes the waiter through the rule on RDS's
    // events (its token is one Step Functions no longer knows: answered, not resumed)
    await runUntil(
      runtime,
      async () =>
        (await rds.send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: snapshotArn })))
          .DBClusterSnapshots?.[0]?.Status === "available" &&
        asked(from, "ops/resume-waiters", "rds:DescribeDBClusterSnapshots").length > 0,
      "the snapshot available and its event handled",
      { stepMs: 10_000 },
    );

    // Act 3: a wait on a snapshot already available is resumed at once
    const atOnce = await invoke("ops/await-resource", { ...wait, executionArn: `${executionArn}-2` });
    expect(atOnce).toEqual({ resumedAtOnce: true, status: "available" });

    // Assess: each step asked for what its statements allow
    expect(asked(from, "ops/await-resource", "rds:DescribeDBClusterSnapshots")).toEqual(["Allow", "Allow"]);
    expect(asked(from, "ops/resume-waiters", "rds:DescribeDBClusterSnapshots")).toEqual(["Allow"]);
    expect(asked(from, "ops/await-resource", "states:SendTaskSuccess")).toEqual(["Allow"]);
  }, 300_000);
});
