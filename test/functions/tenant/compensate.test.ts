import {
  DeleteAccessEntryCommand,
  DeletePodIdentityAssociationCommand,
  DescribeAccessEntryCommand,
  DescribeClusterCommand,
  EKSClient,
  ListPodIdentityAssociationsCommand,
} from "@aws-sdk/client-eks";
import {
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  GetRoleCommand,
  IAMClient,
  ListRolePoliciesCommand,
} from "@aws-sdk/client-iam";
import {
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  DeleteGlobalClusterCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeGlobalClustersCommand,
  ModifyDBClusterCommand,
  RDSClient,
  RemoveFromGlobalClusterCommand,
} from "@aws-sdk/client-rds";
import {
  DeleteSecretCommand,
  DescribeSecretCommand,
  RemoveRegionsFromReplicationCommand,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { clearKubernetesCache } from "../../../functions/shared/kubernetes.ts";
import { handler } from "../../../functions/tenant/compensate.ts";
import { lambdaContext } from "../../support/context.ts";
import {
  APP_SECRET_ARN,
  awsError,
  CLUSTER,
  CLUSTER_ARN,
  EXECUTION,
  FakeKubernetes,
  OPERATOR_ROLE_ARN,
  OPERATOR_ROLE_NAME,
  OTHER_EXECUTION,
  operatorRole,
  setTenantEnvironment,
  TENANT_ID,
} from "./support.ts";

const eks = mockClient(EKSClient);
const rds = mockClient(RDSClient);
const secrets = mockClient(SecretsManagerClient);
const iam = mockClient(IAMClient);
const api = new FakeKubernetes();
/** The tenant cluster of the paired region, where the DR step makes the tenant's DR space. */
const drApi = new FakeKubernetes();
const input = { tenantId: TENANT_ID, slug: "acme", executionArn: EXECUTION };
const marks = (execution: string) => [
  { Key: "cplane:tenant", Value: "acme" },
  { Key: "cplane:tenant-id", Value: TENANT_ID },
  { Key: "cplane:execution", Value: execution },
];
let endpoint = "";
let drEndpoint = "";

beforeAll(async () => {
  endpoint = await api.start();
  drEndpoint = await drApi.start();
});
afterAll(async () => {
  await api.stop();
  await drApi.stop();
});
beforeEach(() => {
  eks.reset();
  rds.reset();
  secrets.reset();
  iam.reset();
  clearKubernetesCache();
  api.objects.clear();
  api.requests.length = 0;
  drApi.objects.clear();
  setTenantEnvironment();
  eks.on(DescribeClusterCommand).callsFake(async (_input, getClient) => ({
    cluster: { endpoint: (await getClient().config.region()) === "us-west-2" ? drEndpoint : endpoint },
  }));
  eks.on(ListPodIdentityAssociationsCommand).resolves({ associations: [{ associationId: "a-1" }] });
  eks.on(DeleteAccessEntryCommand).resolves({});
  eks.on(DescribeAccessEntryCommand).resolves({ accessEntry: { tags: { "cplane:tenant": "acme" } } });
  eks.on(DeletePodIdentityAssociationCommand).resolves({});
  secrets.on(DeleteSecretCommand).resolves({});
  rds.on(ModifyDBClusterCommand).resolves({});
  rds.on(DeleteDBInstanceCommand).resolves({});
  rds.on(DeleteDBClusterCommand).resolves({});
  rds.on(DescribeGlobalClustersCommand).rejects(awsError("GlobalClusterNotFoundFault"));
  rds.on(DescribeDBClusterSnapshotsCommand).resolves({ DBClusterSnapshots: [] });
  iam.on(GetRoleCommand).rejects(awsError("NoSuchEntityException"));
  iam.on(ListRolePoliciesCommand).resolves({ PolicyNames: ["describe-tenant-cluster"] });
  iam.on(DeleteRolePolicyCommand).resolves({});
  iam.on(DeleteRoleCommand).resolves({});
});

function everythingCreatedBy(execution: string) {
  api.seed("/api/v1/namespaces/acme", {
    metadata: {
      name: "acme",
      labels: { "cplane.io/tenant": "acme" },
      annotations: { "cplane.io/created-by": execution },
    },
  });
  secrets.on(DescribeSecretCommand).resolves({ ARN: APP_SECRET_ARN, Tags: marks(execution) });
  iam.on(GetRoleCommand).resolves({ Role: operatorRole(execution) });
  rds.on(DescribeDBClustersCommand).resolves({
    DBClusters: [
      { DBClusterArn: CLUSTER_ARN, Status: "available", DeletionProtection: true, TagList: marks(execution) },
    ],
  });
  rds.on(DescribeDBInstancesCommand).resolves({
    DBInstances: [
      {
        DBInstanceIdentifier: "tenant-acme-writer",
        DBInstanceStatus: "available",
        TagList: marks(execution),
      },
      { DBInstanceIdentifier: "tenant-acme-reader", DBInstanceStatus: "creating", TagList: marks(execution) },
    ],
  });
}

describe("compensate", () => {
  it("removes, in reverse order, the namespace, secret, instances and cluster this execution created", async () => {
    // Prepare
    everythingCreatedBy(EXECUTION);

    // Act
    const result = await handler(input, lambdaContext());

    // Assess
    expect(result.removed).toEqual([
      "access-entry",
      `operator-role:${OPERATOR_ROLE_ARN}`,
      "pod-identity:a-1",
      "namespace:acme",
      "secret:cplane/tenants/acme/db",
      "db-instance:tenant-acme-writer",
      "db-instance:tenant-acme-reader",
      "db-cluster:tenant-acme",
    ]);
    expect(eks.commandCalls(DeleteAccessEntryCommand)[0]?.args[0].input).toEqual({
      clusterName: CLUSTER,
      principalArn: OPERATOR_ROLE_ARN,
    });
    expect(iam.commandCalls(DeleteRolePolicyCommand)[0]?.args[0].input).toEqual({
      RoleName: OPERATOR_ROLE_NAME,
      PolicyName: "describe-tenant-cluster",
    });
    expect(iam.commandCalls(DeleteRoleCommand)[0]?.args[0].input).toEqual({ RoleName: OPERATOR_ROLE_NAME });
    expect(eks.commandCalls(DeletePodIdentityAssociationCommand)[0]?.args[0].input).toEqual({
      clusterName: CLUSTER,
      associationId: "a-1",
    });
    expect(api.objects.has("/api/v1/namespaces/acme")).toBe(false);
    expect(secrets.commandCalls(DeleteSecretCommand)[0]?.args[0].input).toEqual({
      SecretId: "cplane/tenants/acme/db",
      ForceDeleteWithoutRecovery: true,
    });
    expect(rds.commandCalls(ModifyDBClusterCommand)[0]?.args[0].input).toEqual({
      DBClusterIdentifier: "tenant-acme",
      DeletionProtection: false,
      ApplyImmediately: true,
    });
    expect(rds.commandCalls(DeleteDBInstanceCommand).map((call) => call.args[0].input)).toEqual([
      { DBInstanceIdentifier: "tenant-acme-writer" },
      { DBInstanceIdentifier: "tenant-acme-reader" },
    ]);
    expect(rds.commandCalls(DeleteDBClusterCommand)[0]?.args[0].input).toEqual({
      DBClusterIdentifier: "tenant-acme",
      SkipFinalSnapshot: true,
    });
  });

  it("removes the DR space it made in the paired region first: the secret's replica before the secret", async () => {
    // Prepare
    everythingCreatedBy(EXECUTION);
    drApi.seed("/api/v1/namespaces/acme", {
      metadata: {
        name: "acme",
        labels: { "cplane.io/tenant": "acme" },
        annotations: { "cplane.io/created-by": EXECUTION },
      },
    });
    secrets.on(DescribeSecretCommand).resolves({
      ARN: APP_SECRET_ARN,
      Tags: marks(EXECUTION),
      ReplicationStatus: [{ Region: "us-west-2", Status: "InSync" }],
    });
    secrets.on(RemoveRegionsFromReplicationCommand).resolves({});

    // Act
    const result = await handler(input, lambdaContext());

    // Assess
    expect(result.removed.slice(0, 4)).toEqual([
      `access-entry:us-west-2/${OPERATOR_ROLE_ARN}`,
      "pod-identity:us-west-2/a-1",
      "namespace:us-west-2/acme",
      "secret-replica:us-west-2/cplane/tenants/acme/db",
    ]);
    expect(drApi.objects.has("/api/v1/namespaces/acme")).toBe(false);
    expect(secrets.commandCalls(RemoveRegionsFromReplicationCommand).map((c) => c.args[0].input)).toEqual([
      { SecretId: "cplane/tenants/acme/db", RemoveReplicaRegions: ["us-west-2"] },
    ]);
    const order = secrets.calls().map((c) => c.args[0].constructor.name);
    expect(order.indexOf("RemoveRegionsFromReplicationCommand")).toBeLessThan(
      order.indexOf("DeleteSecretCommand"),
    );
  });

  it("never removes anything it adopted", async () => {
    // Prepare
    everythingCreatedBy(OTHER_EXECUTION);

    // Act
    const result = await handler(input, lambdaContext());

    // Assess
    expect(result.removed).toEqual([]);
    expect(api.objects.has("/api/v1/namespaces/acme")).toBe(true);
    expect(eks.commandCalls(DeleteAccessEntryCommand)).toHaveLength(0);
    expect(iam.commandCalls(DeleteRoleCommand)).toHaveLength(0);
    expect(secrets.commandCalls(DeleteSecretCommand)).toHaveLength(0);
    expect(rds.commandCalls(ModifyDBClusterCommand)).toHaveLength(0);
    expect(rds.commandCalls(DeleteDBInstanceCommand)).toHaveLength(0);
    expect(rds.commandCalls(DeleteDBClusterCommand)).toHaveLength(0);
  });

  it("removes the operators' access and role it made for an adopted namespace, and nothing else there", async () => {
    // Prepare: an earlier execution made the namespace; this one found the role missing and made it.
    everythingCreatedBy(OTHER_EXECUTION);
    iam.on(GetRoleCommand).resolves({ Role: operatorRole(EXECUTION) });

    // Act
    const result = await handler(input, lambdaContext());

    // Assess
    expect(result.removed).toEqual(["access-entry", `operator-role:${OPERATOR_ROLE_ARN}`]);
    expect(api.objects.has("/api/v1/namespaces/acme")).toBe(true);
    expect(eks.commandCalls(DeletePodIdentityAssociationCommand)).toHaveLength(0);
  });

  it("removes its namespace but not an operators' role and entry an earlier execution made", async () => {
    everythingCreatedBy(EXECUTION);
    iam.on(GetRoleCommand).resolves({ Role: operatorRole(OTHER_EXECUTION) });

    const result = await handler(input, lambdaContext());

    expect(result.removed).toContain("namespace:acme");
    expect(result.removed).not.toContain("access-entry");
    expect(iam.commandCalls(DeleteRoleCommand)).toHaveLength(0);
    expect(eks.commandCalls(DeleteAccessEntryCommand)).toHaveLength(0);
  });

  it("never deletes another tenant's operators' entry or role, even with its own namespace to remove", async () => {
    everythingCreatedBy(EXECUTION);
    iam.on(GetRoleCommand).resolves({ Role: operatorRole(OTHER_EXECUTION, "globex") });
    eks.on(DescribeAccessEntryCommand).resolves({ accessEntry: { tags: { "cplane:tenant": "globex" } } });

    const result = await handler(input, lambdaContext());

    expect(result.removed).toContain("namespace:acme");
    expect(eks.commandCalls(DeleteAccessEntryCommand)).toHaveLength(0);
    expect(iam.commandCalls(DeleteRoleCommand)).toHaveLength(0);
  });

  it("still removes what it made when the deployment's names leave no room for an operator role", async () => {
    everythingCreatedBy(EXECUTION);
    process.env.TENANT_OPERATOR_ROLE_ARN_PREFIX = `arn:aws:iam::123456789012:role/${"x".repeat(50)}-`;

    const result = await handler(input, lambdaContext());

    expect(result.removed).toEqual(expect.arrayContaining(["namespace:acme", "db-cluster:tenant-acme"]));
    expect(iam.commandCalls(GetRoleCommand)).toHaveLength(0);
  });

  it("leaves a role of the operators' name that another tenant owns, and still finishes", async () => {
    everythingCreatedBy(OTHER_EXECUTION);
    iam.on(GetRoleCommand).resolves({ Role: operatorRole(EXECUTION, "globex") });

    expect(await handler(input, lambdaContext())).toEqual({ removed: [] });
    expect(iam.commandCalls(DeleteRoleCommand)).toHaveLength(0);
    expect(eks.commandCalls(DeleteAccessEntryCommand)).toHaveLength(0);
  });

  it("removes only the instance it added to an adopted cluster", async () => {
    // Prepare
    everythingCreatedBy(OTHER_EXECUTION);
    rds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        { DBInstanceIdentifier: "tenant-acme-writer", TagList: marks(OTHER_EXECUTION) },
        { DBInstanceIdentifier: "tenant-acme-reader", TagList: marks(EXECUTION) },
      ],
    });

    // Act
    const result = await handler(input, lambdaContext());

    // Assess
    expect(result.removed).toEqual(["db-instance:tenant-acme-reader"]);
    expect(rds.commandCalls(DeleteDBClusterCommand)).toHaveLength(0);
  });

  it("is a no-op when run again after everything is gone", async () => {
    secrets.on(DescribeSecretCommand).rejects(awsError("ResourceNotFoundException"));
    rds.on(DescribeDBClustersCommand).rejects(awsError("DBClusterNotFoundFault"));
    expect(await handler(input, lambdaContext())).toEqual({ removed: [] });
  });

  it("says TransientError while the cluster cannot be deleted yet, for the state machine to retry", async () => {
    everythingCreatedBy(EXECUTION);
    rds.on(DeleteDBInstanceCommand).rejects(awsError("InvalidDBInstanceStateFault"));
    await expect(handler(input, lambdaContext())).rejects.toMatchObject({ name: "TransientError" });
  });

  it("takes the premium DR it created (secondary, global database) away before the cluster", async () => {
    // Prepare
    everythingCreatedBy(EXECUTION);
    const secondaryArn = "arn:aws:rds:us-west-2:123456789012:cluster:tenant-acme";
    rds.on(DescribeGlobalClustersCommand).resolves({
      GlobalClusters: [
        {
          GlobalClusterIdentifier: "tenant-acme-global",
          GlobalClusterMembers: [
            { DBClusterArn: CLUSTER_ARN, IsWriter: true },
            { DBClusterArn: secondaryArn, IsWriter: false },
          ],
        },
      ],
    });
    rds.on(RemoveFromGlobalClusterCommand).resolves({});
    rds.on(DeleteGlobalClusterCommand).resolves({});

    // Act
    const result = await handler(input, lambdaContext());

    // Assess
    expect(rds.commandCalls(RemoveFromGlobalClusterCommand).map((c) => c.args[0].input)).toEqual([
      { GlobalClusterIdentifier: "tenant-acme-global", DbClusterIdentifier: secondaryArn },
      { GlobalClusterIdentifier: "tenant-acme-global", DbClusterIdentifier: CLUSTER_ARN },
    ]);
    expect(rds.commandCalls(DeleteGlobalClusterCommand)[0]?.args[0].input).toEqual({
      GlobalClusterIdentifier: "tenant-acme-global",
    });
    expect(result.removed.indexOf("global-cluster:tenant-acme-global")).toBeLessThan(
      result.removed.indexOf("db-cluster:tenant-acme"),
    );
  });
});
