/** Reading a tenant's Aurora cluster and deciding whether it is ours. */
import {
  type DBCluster,
  type DBInstance,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  RDSClient,
  type Tag,
} from "@aws-sdk/client-rds";
import { rdsIn } from "../../failover/lib/aws.ts";
import { createAwsClient } from "../../shared/aws-clients.ts";
import { isAwsError, ResourceOwnedByAnotherTenantError } from "./errors.ts";

export const rds = createAwsClient(RDSClient);

/** The RDS client of `region` (a tenant a failover moved runs in the paired region), the stage's own by default. */
export function rdsAt(region?: string): RDSClient {
  return region ? rdsIn(region) : rds;
}

export const TAG_TENANT = "cplane:tenant";
export const TAG_TENANT_ID = "cplane:tenant-id";
export const TAG_TIER = "cplane:tier";
/** The execution that created the resource: compensation removes only what its own execution created. */
export const TAG_EXECUTION = "cplane:execution";
export const DATABASE_NAME = "app";
export const ENGINE = "aurora-postgresql";

export interface Owner {
  readonly slug: string;
  readonly tenantId: string;
}

export function tenantTags(owner: Owner, extra: Record<string, string> = {}): Tag[] {
  return [
    { Key: TAG_TENANT, Value: owner.slug },
    { Key: TAG_TENANT_ID, Value: owner.tenantId },
    ...Object.entries(extra).map(([Key, Value]) => ({ Key, Value })),
  ];
}

export function tagValue(tags: readonly { Key?: string; Value?: string }[] | undefined, key: string) {
  return tags?.find((tag) => tag.Key === key)?.Value;
}

/** Throws unless the tags say the resource belongs to this tenant. */
export function assertOwnedBy(
  what: string,
  tags: readonly { Key?: string; Value?: string }[] | undefined,
  owner: Owner,
): void {
  const slug = tagValue(tags, TAG_TENANT);
  const tenantId = tagValue(tags, TAG_TENANT_ID);
  if (slug !== owner.slug || (tenantId !== undefined && tenantId !== owner.tenantId)) {
    throw new ResourceOwnedByAnotherTenantError(
      `${what} exists but is tagged for tenant ${slug ?? "(none)"}${tenantId ? ` (${tenantId})` : ""}, not ${owner.slug}; refusing to touch it`,
    );
  }
}

export async function findCluster(identifier: string, region?: string): Promise<DBCluster | undefined> {
  try {
    const { DBClusters } = await rdsAt(region).send(
      new DescribeDBClustersCommand({ DBClusterIdentifier: identifier }),
    );
    return DBClusters?.[0];
  } catch (error) {
    if (isAwsError(error, "DBClusterNotFoundFault")) return undefined;
    throw error;
  }
}

export async function clusterInstances(identifier: string, region?: string): Promise<DBInstance[]> {
  const { DBInstances } = await rdsAt(region).send(
    new DescribeDBInstancesCommand({ Filters: [{ Name: "db-cluster-id", Values: [identifier] }] }),
  );
  return DBInstances ?? [];
}
