/**
 * The calls of the rare paths, made on the local runtime as the functions' own roles: each catalog
 * statement that only such a path uses is proven here (the rest of the suite never makes its call), so
 * that taking it out of the catalog fails a test. Each handler is invoked through the runtime's Lambda
 * (as its role, every call authorized) with what brings it down that path, and the test asserts both
 * the outcome and that the statement's action was asked for and allowed.
 */
import {
  CreateAccessEntryCommand,
  DeletePodIdentityAssociationCommand,
  DescribeAccessEntryCommand,
  EKSClient,
  ListAssociatedAccessPoliciesCommand,
  ListPodIdentityAssociationsCommand,
} from "@aws-sdk/client-eks";
import { CreateRoleCommand, DeleteRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import {
  CreateDBClusterSnapshotCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  RDSClient,
} from "@aws-sdk/client-rds";
import {
  RemoveRegionsFromReplicationCommand,
  ReplicateSecretToRegionsCommand,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findGlobal } from "../../functions/failover/lib/dr-setup.ts";
import { readReadiness } from "../../functions/failover/lib/store.ts";
import { createAwsClient } from "../../functions/shared/aws-clients.ts";
import { TransientError } from "../../functions/shared/errors.ts";
import { LABEL_TIER, operatorGroup } from "../../functions/tenant/lib/namespace.ts";
import { getTenant } from "../../functions/tenant/lib/registry.ts";
import type { Decision } from "../../local/iam/authorizer.ts";
import { EKS_CLUSTER_NAME, type Runtime } from "../../local/runtime.ts";
import { failoverRuntime, onboard, runUntil } from "./failover-support.ts";

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

/**
 * The operators' role of `slug` made and given an access entry on the tenant cluster of `region`, then
 * deleted with the entry left behind (EKS keys an entry by the role's unique id: it would not let the
 * role onboarding makes next in). The entry left, and the principal it names.
 */
async function staleOperatorEntry(slug: string, region = runtime.region) {
  const roleName = `cplane-local-tenant-${slug}-operators`;
  const iam = createAwsClient(IAMClient, { trace: false });
  const { Role } = await iam.send(
    new CreateRoleCommand({
      RoleName: roleName,
      AssumeRolePolicyDocument: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Principal: { Service: "eks.amazonaws.com" }, Action: "sts:AssumeRole" },
        ],
      }),
    }),
  );
  const principalArn = Role?.Arn as string;
  const { accessEntry } = await createAwsClient(EKSClient, { trace: false, region }).send(
    new CreateAccessEntryCommand({ clusterName: EKS_CLUSTER_NAME, principalArn }),
  );
  await iam.send(new DeleteRoleCommand({ RoleName: roleName }));
  return { principalArn, accessEntry };
}

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

  it("create-namespace: an access entry left for an earlier role of the operators' ARN is replaced (DeleteAccessEntry)", async () => {
    // Prepare: an entry left at home for an earlier role of the operators' ARN
    await staleOperatorEntry("stale-entry");
    const from = decisions.length;

    // Act
    await onboard(runtime, [{ name: "Stale Entry", tier: "standard" }]);

    // Assess: onboarded, the stale entry deleted before the new role's was made
    expect(asked(from, "tenant/create-namespace", "eks:DeleteAccessEntry")).toEqual(["Allow"]);
  }, 300_000);

  it("ensure-dr: an access entry in the paired region left for an earlier role of the operators' ARN is replaced (DeleteAccessEntry)", async () => {
    // Prepare: an entry left in the paired region for an earlier role of the operators' ARN
    const slug = "stale-dr-entry";
    const { principalArn, accessEntry: stale } = await staleOperatorEntry(slug, runtime.secondaryRegion);
    const drEks = createAwsClient(EKSClient, { trace: false, region: runtime.secondaryRegion });
    const from = decisions.length;

    // Act
    await onboard(runtime, [{ name: "Stale Dr Entry", tier: "basic" }]);

    // Assess: the entry there is a new one, made for the tenant's operators, with their namespace's view
    const { accessEntry } = await drEks.send(
      new DescribeAccessEntryCommand({ clusterName: EKS_CLUSTER_NAME, principalArn }),
    );
    expect(accessEntry?.accessEntryArn).not.toBe(stale?.accessEntryArn);
    expect(accessEntry).toMatchObject({
      kubernetesGroups: [operatorGroup(slug)],
      tags: { "cplane:tenant": slug },
    });
    const { associatedAccessPolicies } = await drEks.send(
      new ListAssociatedAccessPoliciesCommand({ clusterName: EKS_CLUSTER_NAME, principalArn }),
    );
    expect(associatedAccessPolicies).toMatchObject([
      { accessScope: { type: "namespace", namespaces: [slug] } },
    ]);
    expect(asked(from, "failover/ensure-dr", "eks:DeleteAccessEntry")).toEqual(["Allow"]);
  }, 300_000);

  describe("a premium tenant", () => {
    const slug = "rare-co";
    const target = async () => {
      const tenant = await getTenant(slug);
      return {
        slug,
        tenantId: tenant?.tenantId as string,
        tier: "premium",
        region: runtime.region,
        clusterIdentifier: `tenant-${slug}`,
        rtoSeconds: 3600,
      };
    };
    const backupExecution = () =>
      `${runtime.stateMachineArn("backup-verification").replace(":stateMachine:", ":execution:")}:rare`;

    beforeAll(async () => {
      await onboard(runtime, [{ name: "Rare Co", tier: "premium" }]);
    }, 300_000);

    it("snapshot-tenant: prunes a weekly snapshot past its retention (DeleteDBClusterSnapshot)", async () => {
      // Prepare: a weekly snapshot whose retention (0 days) has passed, available
      const rds = createAwsClient(RDSClient, { trace: false });
      await rds.send(
        new CreateDBClusterSnapshotCommand({
          DBClusterIdentifier: `tenant-${slug}`,
          DBClusterSnapshotIdentifier: `weekly-tenant-${slug}-expired`,
          Tags: [
            { Key: "cplane:weekly", Value: "true" },
            { Key: "cplane:retention-days", Value: "0" },
          ],
        }),
      );
      await runUntil(
        runtime,
        async () =>
          (
            await rds.send(
              new DescribeDBClusterSnapshotsCommand({
                DBClusterSnapshotIdentifier: `weekly-tenant-${slug}-expired`,
              }),
            )
          ).DBClusterSnapshots?.[0]?.Status === "available",
        "the expired snapshot available",
        { stepMs: 10_000 },
      );
      const from = decisions.length;

      // Act
      const result = await invoke("backup/snapshot-tenant", {
        target: await target(),
        executionArn: backupExecution(),
      });

      // Assess
      expect(result.pruned).toEqual([`weekly-tenant-${slug}-expired`]);
      expect(asked(from, "backup/snapshot-tenant", "rds:DeleteDBClusterSnapshot")).toEqual(["Allow"]);
    }, 120_000);

    it("restore-scratch: restores the tenant's cluster to a point in time (RestoreDBClusterToPointInTime)", async () => {
      const from = decisions.length;
      const asOf = new Date(runtime.clock.now() - 10 * 60_000).toISOString();

      const result = await invoke("backup/restore-scratch", {
        target: await target(),
        restoreFrom: { kind: "point-in-time", asOf },
        executionArn: backupExecution(),
      });

      expect(result).toMatchObject({ created: true });
      // (two requests: the source cluster and the cluster restored)
      expect(asked(from, "backup/restore-scratch", "rds:RestoreDBClusterToPointInTime")).toEqual([
        "Allow",
        "Allow",
      ]);
    }, 120_000);

    it("check-readiness: counts a tenant red whose secret its standby region cannot read, asked for by name when the listing misses it (DescribeSecret)", async () => {
      // Prepare: the secret's replica removed, the clock held so that no scheduled run mends it, and no
      // readiness run the schedule started before the hold still going (it would replicate it again)
      const readinessRuns = () =>
        runtime.engine.listExecutions({
          stateMachineArn: runtime.stateMachineArn("dr-readiness"),
          statusFilter: "RUNNING",
        }).executions;
      let release = () => {};
      for (;;) {
        runtime.clock.track(
          new Promise<void>((resolve) => {
            release = resolve;
          }),
        );
        const running = readinessRuns()[0];
        if (!running) break;
        release();
        await runtime.engine.waitForExecution(running.executionArn);
      }
      const dr = runtime.secondaryRegion;
      const secrets = createAwsClient(SecretsManagerClient, { trace: false });
      const secretId = `cplane/tenants/${slug}/db`;
      await secrets.send(
        new RemoveRegionsFromReplicationCommand({ SecretId: secretId, RemoveReplicaRegions: [dr] }),
      );
      const from = decisions.length;

      // Act
      const result = await invoke("failover/check-readiness", {
        executionArn: `${runtime.stateMachineArn("dr-readiness").replace(":stateMachine:", ":execution:")}:rare`,
        reconciled: [],
      });
      const subject = (await readReadiness())?.subjects.find((s) => s.subject === slug);
      await secrets
        .send(
          new ReplicateSecretToRegionsCommand({ SecretId: secretId, AddReplicaRegions: [{ Region: dr }] }),
        )
        .finally(release);

      // Assess
      expect(result).toMatchObject({ overall: "red" });
      expect(subject).toMatchObject({ status: "red" });
      expect(subject?.reason).toContain(`${secretId} not readable in ${dr}`);
      expect(asked(from, "failover/check-readiness", "secretsmanager:ListSecrets")).toContain("Allow");
      const described = asked(from, "failover/check-readiness", "secretsmanager:DescribeSecret");
      expect(described).toContain("Allow");
      expect(described).not.toContain("Deny");
    }, 120_000);

    it("reconcile-dr: makes a DR space again whose association and secret replica are gone (CreatePodIdentityAssociation's PassRole and TagResource, ReplicateSecretToRegions)", async () => {
      // Prepare: the DR space out of line (its namespace labelled for another tier), its Pod Identity
      // association and its secret's replica removed; the clock held until the step ran, so that no
      // scheduled readiness run mends the space in between
      let release = () => {};
      runtime.clock.track(
        new Promise<void>((resolve) => {
          release = resolve;
        }),
      );
      const dr = runtime.secondaryRegion;
      const cluster = runtime.cloud.eks.kubernetes(EKS_CLUSTER_NAME, dr);
      const namespace = cluster?.get("Namespace", undefined, slug);
      expect(namespace).toBeDefined();
      cluster?.apply({
        ...namespace,
        metadata: {
          ...namespace?.metadata,
          labels: { ...(namespace?.metadata?.labels as Record<string, string>), [LABEL_TIER]: "basic" },
        },
      } as never);
      const eks = createAwsClient(EKSClient, { trace: false, region: dr });
      const { associations = [] } = await eks.send(
        new ListPodIdentityAssociationsCommand({ clusterName: EKS_CLUSTER_NAME, namespace: slug }),
      );
      for (const a of associations)
        await eks.send(
          new DeletePodIdentityAssociationCommand({
            clusterName: EKS_CLUSTER_NAME,
            associationId: a.associationId,
          }),
        );
      await createAwsClient(SecretsManagerClient, { trace: false }).send(
        new RemoveRegionsFromReplicationCommand({
          SecretId: `cplane/tenants/${slug}/db`,
          RemoveReplicaRegions: [dr],
        }),
      );
      const from = decisions.length;

      // Act
      const result = await invoke("failover/reconcile-dr", {
        executionArn: `${runtime.stateMachineArn("dr-readiness").replace(":stateMachine:", ":execution:")}:rare`,
      }).finally(release);

      // Assess: made again, each call allowed
      expect(JSON.stringify(result)).toContain(`pod-identity:${dr}/`);
      expect(JSON.stringify(result)).toContain(`secret-replica:${dr}/cplane/tenants/${slug}/db`);
      expect(asked(from, "failover/reconcile-dr", "iam:PassRole")).toEqual(["Allow"]);
      // Tags of the association made again, and of the operators' access entry ensured there (it exists).
      expect(asked(from, "failover/reconcile-dr", "eks:TagResource")).toEqual(["Allow", "Allow"]);
      expect(asked(from, "failover/reconcile-dr", "secretsmanager:ReplicateSecretToRegions")).toEqual([
        "Allow",
      ]);
    }, 120_000);

    it("compensate: takes away the DR of the onboarding it compensates, global database first (DeleteGlobalCluster, the secondary's instances)", async () => {
      const tenant = await getTenant(slug);
      const from = decisions.length;

      // Act: as the onboarding's failure path would, until nothing is pending
      let result: Record<string, unknown> | undefined;
      for (let attempt = 0; attempt < 30 && !result; attempt++) {
        result = await invoke("tenant/compensate", {
          slug,
          tenantId: tenant?.tenantId,
          executionArn: tenant?.executionArn,
        }).catch(async (error: unknown) => {
          if (!(error instanceof Error && error.name === TransientError.name)) throw error;
          await runtime.clock.sleep(30_000);
          return undefined;
        });
      }

      // Assess
      expect(await findGlobal(runtime.region, `tenant-${slug}`)).toBeUndefined();
      expect(asked(from, "tenant/compensate", "rds:DeleteGlobalCluster")).toContain("Allow");
      expect(
        decisions
          .slice(from)
          .filter(
            (d) =>
              d.caller.functionId === "tenant/compensate" &&
              d.request.action === "rds:DescribeDBInstances" &&
              d.request.resource.includes(`:${runtime.secondaryRegion}:`),
          )
          .map((d) => d.result.decision),
      ).toContain("Allow");
    }, 300_000);
  });
});
