import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import {
  DeleteAccessEntryCommand,
  DeletePodIdentityAssociationCommand,
  DescribeAccessEntryCommand,
  DescribeClusterCommand,
  EKSClient,
  ListPodIdentityAssociationsCommand,
} from "@aws-sdk/client-eks";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import {
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  GetRoleCommand,
  IAMClient,
  ListRolePoliciesCommand,
} from "@aws-sdk/client-iam";
import {
  CreateDBClusterSnapshotCommand,
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  ModifyDBClusterCommand,
  RDSClient,
} from "@aws-sdk/client-rds";
import {
  DeleteSecretCommand,
  DescribeSecretCommand,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { clearKubernetesCache } from "../../../functions/shared/kubernetes.ts";
import { handler as checkSnapshot } from "../../../functions/tenant/check-snapshot.ts";
import { handler as deleteDatabase } from "../../../functions/tenant/delete-database.ts";
import { handler as finishOffboarding } from "../../../functions/tenant/finish-offboarding.ts";
import { handler as removeNamespace } from "../../../functions/tenant/remove-namespace.ts";
import { handler as retireSecret } from "../../../functions/tenant/retire-secret.ts";
import { handler as snapshotDatabase } from "../../../functions/tenant/snapshot-database.ts";
import { handler as startOffboarding } from "../../../functions/tenant/start-offboarding.ts";
import { lambdaContext } from "../../support/context.ts";
import {
  APP_SECRET_ARN,
  awsError,
  BUS,
  CLUSTER,
  CLUSTER_ARN,
  conditionalCheckFailed,
  EXECUTION,
  FakeKubernetes,
  OPERATOR_ROLE_ARN,
  OPERATOR_ROLE_NAME,
  OTHER_EXECUTION,
  operatorRole,
  setTenantEnvironment,
  TENANT_ID,
  tenantItem,
} from "./support.ts";

const dynamodb = mockClient(DynamoDBClient);
const rds = mockClient(RDSClient);
const eks = mockClient(EKSClient);
const secrets = mockClient(SecretsManagerClient);
const events = mockClient(EventBridgeClient);
const iam = mockClient(IAMClient);
const api = new FakeKubernetes();
const tenant = { tenantId: TENANT_ID, slug: "acme", executionArn: EXECUTION };
const SNAPSHOT = "tenant-acme-final";
const ownTags = [
  { Key: "cplane:tenant", Value: "acme" },
  { Key: "cplane:tenant-id", Value: TENANT_ID },
  { Key: "cplane:tier", Value: "standard" },
];
let endpoint = "";

beforeAll(async () => {
  endpoint = await api.start();
});
afterAll(() => api.stop());
beforeEach(() => {
  for (const mock of [dynamodb, rds, eks, secrets, events, iam]) mock.reset();
  clearKubernetesCache();
  api.objects.clear();
  api.requests.length = 0;
  setTenantEnvironment();
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: "e-1" }] });
  eks.on(DescribeClusterCommand).resolves({ cluster: { endpoint } });
  eks.on(DescribeAccessEntryCommand).resolves({ accessEntry: { tags: { "cplane:tenant": "acme" } } });
});

describe("start-offboarding", () => {
  it("moves an active tenant to offboarding under this execution and says what to remove", async () => {
    // Prepare
    dynamodb
      .on(GetItemCommand)
      .resolves({ Item: tenantItem({ status: "active", executionArn: OTHER_EXECUTION }) });
    dynamodb.on(UpdateItemCommand).resolves({ Attributes: tenantItem({ status: "offboarding" }) });

    // Act
    const result = await startOffboarding(
      { slug: "acme", reason: "contract ended", executionArn: EXECUTION },
      lambdaContext(),
    );

    // Assess
    const values = unmarshall(
      dynamodb.commandCalls(UpdateItemCommand)[0]?.args[0].input.ExpressionAttributeValues ?? {},
    );
    expect(values).toMatchObject({
      ":to": "offboarding",
      ":from0": "active",
      ":from1": "failed",
      ":from2": "offboarding",
      ":a0": EXECUTION,
    });
    expect(values[":entry"][0]).toMatchObject({ step: "start-offboarding", reason: "contract ended" });
    expect(result).toEqual({
      tenantId: TENANT_ID,
      slug: "acme",
      tier: "premium",
      clusterIdentifier: "tenant-acme",
      finalSnapshotIdentifier: SNAPSHOT,
      secretName: "cplane/tenants/acme/db",
      region: "us-east-1",
      startedAt: expect.any(String),
      alreadyOffboarded: false,
    });
  });

  it("finds the tenant by id, as Tenant Offboarding Requested names it", async () => {
    // Prepare
    dynamodb
      .on(GetItemCommand, { Key: { pk: { S: `TENANTID#${TENANT_ID}` }, sk: { S: "ALIAS" } } })
      .resolves({ Item: { slug: { S: "acme" }, tenantId: { S: TENANT_ID } } });
    dynamodb.on(GetItemCommand, { Key: { pk: { S: "TENANT#acme" }, sk: { S: "TENANT" } } }).resolves({
      Item: tenantItem({ status: "active" }),
    });
    dynamodb.on(UpdateItemCommand).resolves({ Attributes: tenantItem({ status: "offboarding" }) });

    // Act
    const result = await startOffboarding(
      {
        tenantId: TENANT_ID,
        requestedBy: "admin@cplane.example",
        reason: "contract ended",
        executionArn: EXECUTION,
      },
      lambdaContext(),
    );

    // Assess
    expect(dynamodb.commandCalls(GetItemCommand)[0]?.args[0].input).toEqual({
      TableName: "cplane-test-tenants",
      Key: { pk: { S: `TENANTID#${TENANT_ID}` }, sk: { S: "ALIAS" } },
      ConsistentRead: true,
    });
    expect(result).toMatchObject({ slug: "acme", tenantId: TENANT_ID });
    const values = unmarshall(
      dynamodb.commandCalls(UpdateItemCommand)[0]?.args[0].input.ExpressionAttributeValues ?? {},
    );
    expect(values[":entry"][0].reason).toBe("contract ended; requested by admin@cplane.example");
  });

  it("names an unknown tenant id, and needs a slug or an id", async () => {
    dynamodb.on(GetItemCommand).resolves({});
    await expect(
      startOffboarding({ tenantId: "tnt_nope", executionArn: EXECUTION }, lambdaContext()),
    ).rejects.toMatchObject({
      name: "TenantNotFoundError",
    });
    await expect(startOffboarding({ executionArn: EXECUTION }, lambdaContext())).rejects.toMatchObject({
      name: "InvalidInputError",
    });
  });

  it("refuses a tenant still onboarding with TenantStillOnboardingError, changing nothing", async () => {
    dynamodb
      .on(GetItemCommand)
      .resolves({ Item: tenantItem({ status: "onboarding", executionArn: OTHER_EXECUTION }) });
    await expect(
      startOffboarding({ slug: "acme", executionArn: EXECUTION }, lambdaContext()),
    ).rejects.toMatchObject({
      name: "TenantStillOnboardingError",
    });
    expect(dynamodb.commandCalls(UpdateItemCommand)).toHaveLength(0);
  });

  it("reports a tenant already offboarded without touching it", async () => {
    dynamodb.on(GetItemCommand).resolves({ Item: tenantItem({ status: "offboarded" }) });
    const result = await startOffboarding({ slug: "acme", executionArn: EXECUTION }, lambdaContext());
    expect(result.alreadyOffboarded).toBe(true);
    expect(dynamodb.commandCalls(UpdateItemCommand)).toHaveLength(0);
  });

  it("names an unknown tenant", async () => {
    dynamodb.on(GetItemCommand).resolves({});
    await expect(
      startOffboarding({ slug: "nobody", executionArn: EXECUTION }, lambdaContext()),
    ).rejects.toMatchObject({
      name: "TenantNotFoundError",
    });
  });

  it("names the conflict when another execution changed the tenant in between", async () => {
    dynamodb.on(GetItemCommand).resolves({ Item: tenantItem({ status: "active" }) });
    dynamodb.on(UpdateItemCommand).rejects(conditionalCheckFailed());
    await expect(
      startOffboarding({ slug: "acme", executionArn: EXECUTION }, lambdaContext()),
    ).rejects.toMatchObject({
      name: "TenantStateConflictError",
    });
  });
});

describe("snapshot-database", () => {
  it("takes the final snapshot of the tenant's cluster, tagged for the tenant", async () => {
    // Prepare
    rds
      .on(DescribeDBClustersCommand)
      .resolves({ DBClusters: [{ DBClusterArn: CLUSTER_ARN, Status: "available", TagList: ownTags }] });
    rds.on(CreateDBClusterSnapshotCommand).resolves({});

    // Act
    const result = await snapshotDatabase(tenant, lambdaContext());

    // Assess
    expect(rds.commandCalls(CreateDBClusterSnapshotCommand)[0]?.args[0].input).toEqual({
      DBClusterIdentifier: "tenant-acme",
      DBClusterSnapshotIdentifier: SNAPSHOT,
      Tags: [...ownTags, { Key: "cplane:final-snapshot", Value: "true" }],
    });
    expect(result).toEqual({ snapshotIdentifier: SNAPSHOT, clusterExists: true });
  });

  it("keeps the snapshot an earlier attempt took", async () => {
    rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [{ Status: "available", TagList: ownTags }] });
    rds.on(CreateDBClusterSnapshotCommand).rejects(awsError("DBClusterSnapshotAlreadyExistsFault"));
    expect(await snapshotDatabase(tenant, lambdaContext())).toEqual({
      snapshotIdentifier: SNAPSHOT,
      clusterExists: true,
    });
  });

  it("has nothing to keep when the tenant has no cluster", async () => {
    rds.on(DescribeDBClustersCommand).rejects(awsError("DBClusterNotFoundFault"));
    expect(await snapshotDatabase(tenant, lambdaContext())).toEqual({
      snapshotIdentifier: null,
      clusterExists: false,
    });
    expect(rds.commandCalls(CreateDBClusterSnapshotCommand)).toHaveLength(0);
  });

  it("says TransientError while the cluster is busy", async () => {
    rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [{ Status: "modifying", TagList: ownTags }] });
    rds.on(CreateDBClusterSnapshotCommand).rejects(awsError("InvalidDBClusterStateFault"));
    await expect(snapshotDatabase(tenant, lambdaContext())).rejects.toMatchObject({ name: "TransientError" });
  });

  it("refuses a cluster tagged for another tenant", async () => {
    rds
      .on(DescribeDBClustersCommand)
      .resolves({ DBClusters: [{ Status: "available", TagList: [{ Key: "cplane:tenant", Value: "x" }] }] });
    await expect(snapshotDatabase(tenant, lambdaContext())).rejects.toMatchObject({
      name: "ResourceOwnedByAnotherTenantError",
    });
  });
});

describe("check-snapshot", () => {
  it.each([
    ["available", true, false],
    ["creating", false, false],
    ["failed", false, true],
  ])("reports a %s snapshot as ready=%s failed=%s", async (Status, ready, failed) => {
    rds.on(DescribeDBClusterSnapshotsCommand).resolves({
      DBClusterSnapshots: [
        { Status, DBClusterSnapshotArn: `arn:aws:rds:us-east-1:123456789012:cluster-snapshot:${SNAPSHOT}` },
      ],
    });
    const result = await checkSnapshot({ snapshotIdentifier: SNAPSHOT }, lambdaContext());
    expect(rds.commandCalls(DescribeDBClusterSnapshotsCommand)[0]?.args[0].input).toEqual({
      DBClusterSnapshotIdentifier: SNAPSHOT,
    });
    expect(result).toMatchObject({ status: Status, ready, failed });
  });

  it("reports a missing snapshot as failed", async () => {
    rds.on(DescribeDBClusterSnapshotsCommand).rejects(awsError("DBClusterSnapshotNotFoundFault"));
    expect(await checkSnapshot({ snapshotIdentifier: SNAPSHOT }, lambdaContext())).toMatchObject({
      status: "missing",
      failed: true,
    });
  });
});

describe("delete-database", () => {
  beforeEach(() => {
    rds.on(DescribeDBClustersCommand).resolves({
      DBClusters: [{ Status: "available", DeletionProtection: true, TagList: ownTags }],
    });
    rds
      .on(DescribeDBInstancesCommand)
      .resolves({ DBInstances: [{ DBInstanceIdentifier: "tenant-acme-writer" }] });
    rds.on(ModifyDBClusterCommand).resolves({});
    rds.on(DeleteDBInstanceCommand).resolves({});
    rds.on(DeleteDBClusterCommand).resolves({});
  });

  it("turns deletion protection off and deletes instances and cluster once the snapshot is available", async () => {
    // Prepare
    rds.on(DescribeDBClusterSnapshotsCommand).resolves({ DBClusterSnapshots: [{ Status: "available" }] });

    // Act
    const result = await deleteDatabase({ ...tenant, snapshotIdentifier: SNAPSHOT }, lambdaContext());

    // Assess
    expect(rds.commandCalls(ModifyDBClusterCommand)[0]?.args[0].input).toEqual({
      DBClusterIdentifier: "tenant-acme",
      DeletionProtection: false,
      ApplyImmediately: true,
    });
    expect(rds.commandCalls(DeleteDBInstanceCommand)[0]?.args[0].input).toEqual({
      DBInstanceIdentifier: "tenant-acme-writer",
    });
    expect(rds.commandCalls(DeleteDBClusterCommand)[0]?.args[0].input).toEqual({
      DBClusterIdentifier: "tenant-acme",
      SkipFinalSnapshot: true,
    });
    expect(result.removed).toEqual(["db-instance:tenant-acme-writer", "db-cluster:tenant-acme"]);
  });

  it("leaves deletion protection on while the snapshot is not available (SnapshotNotReadyError)", async () => {
    rds.on(DescribeDBClusterSnapshotsCommand).resolves({ DBClusterSnapshots: [{ Status: "creating" }] });
    await expect(
      deleteDatabase({ ...tenant, snapshotIdentifier: SNAPSHOT }, lambdaContext()),
    ).rejects.toMatchObject({
      name: "SnapshotNotReadyError",
    });
    expect(rds.commandCalls(ModifyDBClusterCommand)).toHaveLength(0);
    expect(rds.commandCalls(DeleteDBClusterCommand)).toHaveLength(0);
  });

  it("is done when the cluster is already deleting or gone", async () => {
    rds.on(DescribeDBClusterSnapshotsCommand).resolves({ DBClusterSnapshots: [{ Status: "available" }] });
    rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [{ Status: "deleting", TagList: ownTags }] });
    expect(await deleteDatabase({ ...tenant, snapshotIdentifier: SNAPSHOT }, lambdaContext())).toEqual({
      removed: [],
    });
    rds.on(DescribeDBClustersCommand).rejects(awsError("DBClusterNotFoundFault"));
    expect(await deleteDatabase({ ...tenant, snapshotIdentifier: null }, lambdaContext())).toEqual({
      removed: [],
    });
  });
});

describe("remove-namespace", () => {
  it("removes the access entry, the operator role, the Pod Identity associations and the namespace", async () => {
    // Prepare
    api.seed("/api/v1/namespaces/acme", {
      metadata: { name: "acme", labels: { "cplane.io/tenant": "acme" } },
    });
    iam.on(GetRoleCommand).resolves({ Role: operatorRole(OTHER_EXECUTION) });
    iam.on(ListRolePoliciesCommand).resolves({ PolicyNames: ["describe-tenant-cluster"] });
    iam.on(DeleteRolePolicyCommand).resolves({});
    iam.on(DeleteRoleCommand).resolves({});
    eks.on(DeleteAccessEntryCommand).resolves({});
    eks.on(ListPodIdentityAssociationsCommand).resolves({ associations: [{ associationId: "a-9" }] });
    eks.on(DeletePodIdentityAssociationCommand).resolves({});

    // Act
    const result = await removeNamespace(tenant, lambdaContext());

    // Assess
    expect(eks.commandCalls(DeleteAccessEntryCommand)[0]?.args[0].input).toEqual({
      clusterName: CLUSTER,
      principalArn: OPERATOR_ROLE_ARN,
    });
    // Offboarding removes the tenant's role whichever execution made it; its policies first.
    expect(iam.commandCalls(DeleteRolePolicyCommand).map((call) => call.args[0].input)).toEqual([
      { RoleName: OPERATOR_ROLE_NAME, PolicyName: "describe-tenant-cluster" },
    ]);
    expect(iam.commandCalls(DeleteRoleCommand)[0]?.args[0].input).toEqual({ RoleName: OPERATOR_ROLE_NAME });
    expect(eks.commandCalls(DeletePodIdentityAssociationCommand)[0]?.args[0].input).toEqual({
      clusterName: CLUSTER,
      associationId: "a-9",
    });
    expect(
      api.requests.filter((request) => request.method === "DELETE").map((request) => request.path),
    ).toEqual(["/api/v1/namespaces/acme"]);
    expect(result.removed).toEqual([
      "access-entry",
      `operator-role:${OPERATOR_ROLE_ARN}`,
      "pod-identity:a-9",
      "namespace:acme",
    ]);
  });

  it("is a no-op when everything is already gone", async () => {
    eks.on(DeleteAccessEntryCommand).rejects(awsError("ResourceNotFoundException"));
    iam.on(GetRoleCommand).rejects(awsError("NoSuchEntityException"));
    eks.on(ListPodIdentityAssociationsCommand).resolves({ associations: [] });
    expect(await removeNamespace(tenant, lambdaContext())).toEqual({ removed: [], leftovers: [] });
  });

  it("refuses a namespace labelled for another tenant", async () => {
    api.seed("/api/v1/namespaces/acme", {
      metadata: { name: "acme", labels: { "cplane.io/tenant": "other" } },
    });
    await expect(removeNamespace(tenant, lambdaContext())).rejects.toMatchObject({
      name: "ResourceOwnedByAnotherTenantError",
    });
    expect(eks.commandCalls(DeleteAccessEntryCommand)).toHaveLength(0);
  });
});

describe("retire-secret", () => {
  it("schedules the tenant's secret for deletion with a 30-day recovery window", async () => {
    secrets.on(DescribeSecretCommand).resolves({ ARN: APP_SECRET_ARN, Tags: ownTags });
    secrets.on(DeleteSecretCommand).resolves({ DeletionDate: new Date("2026-12-22T10:00:00Z") });

    const result = await retireSecret(tenant, lambdaContext());

    expect(secrets.commandCalls(DeleteSecretCommand)[0]?.args[0].input).toEqual({
      SecretId: "cplane/tenants/acme/db",
      RecoveryWindowInDays: 30,
    });
    expect(result).toEqual({
      secretName: "cplane/tenants/acme/db",
      deletionDate: "2026-12-22T10:00:00.000Z",
      recoveryWindowDays: 30,
      leftovers: [],
    });
  });

  it("leaves a secret already scheduled for deletion as it is", async () => {
    secrets
      .on(DescribeSecretCommand)
      .resolves({ Tags: ownTags, DeletedDate: new Date("2026-11-22T10:00:00Z") });
    expect(await retireSecret(tenant, lambdaContext())).toMatchObject({
      deletionDate: "2026-11-22T10:00:00.000Z",
    });
    expect(secrets.commandCalls(DeleteSecretCommand)).toHaveLength(0);
  });

  it("has nothing to do when there is no secret", async () => {
    secrets.on(DescribeSecretCommand).rejects(awsError("ResourceNotFoundException"));
    expect(await retireSecret(tenant, lambdaContext())).toMatchObject({ deletionDate: null });
  });

  it("refuses a secret tagged for another tenant", async () => {
    secrets.on(DescribeSecretCommand).resolves({ Tags: [{ Key: "cplane:tenant", Value: "other" }] });
    await expect(retireSecret(tenant, lambdaContext())).rejects.toMatchObject({
      name: "ResourceOwnedByAnotherTenantError",
    });
  });
});

describe("finish-offboarding", () => {
  it("marks the tenant offboarded keeping the snapshot id, and publishes Tenant Offboarded", async () => {
    // Prepare
    dynamodb.on(UpdateItemCommand).resolves({ Attributes: tenantItem({ status: "offboarded" }) });

    // Act
    const result = await finishOffboarding({ ...tenant, snapshotIdentifier: SNAPSHOT }, lambdaContext());

    // Assess
    const values = unmarshall(
      dynamodb.commandCalls(UpdateItemCommand)[0]?.args[0].input.ExpressionAttributeValues ?? {},
    );
    expect(values).toMatchObject({ ":to": "offboarded", ":a0": SNAPSHOT });
    expect(values[":entry"][0]).toMatchObject({
      step: "finish-offboarding",
      reason: `final snapshot ${SNAPSHOT}`,
    });
    const detail = { tenantId: TENANT_ID, slug: "acme", finalSnapshotId: SNAPSHOT, executionArn: EXECUTION };
    expect(events.commandCalls(PutEventsCommand)[0]?.args[0].input).toEqual({
      Entries: [
        {
          EventBusName: BUS,
          Source: "cplane.tenants",
          DetailType: "Tenant Offboarded",
          Detail: JSON.stringify(detail),
        },
      ],
    });
    expect(result).toEqual({ ...detail, status: "offboarded" });
  });
});
