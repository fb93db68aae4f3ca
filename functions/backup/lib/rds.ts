/** RDS and Data API clients per region (a tenant lives in its home region), and lookups the steps share. */
import {
  type DBCluster,
  type DBInstance,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  RDSClient,
} from "@aws-sdk/client-rds";
import { RDSDataClient } from "@aws-sdk/client-rds-data";
import { createAwsClient } from "../../shared/aws-clients.ts";
import { isThrottling } from "../../shared/errors.ts";

const rdsClients = new Map<string, RDSClient>();
const dataClients = new Map<string, RDSDataClient>();

export function rdsIn(region: string): RDSClient {
  let client = rdsClients.get(region);
  if (!client) {
    client = createAwsClient(RDSClient, { region });
    rdsClients.set(region, client);
  }
  return client;
}

export function dataIn(region: string): RDSDataClient {
  let client = dataClients.get(region);
  if (!client) {
    client = createAwsClient(RDSDataClient, { region });
    dataClients.set(region, client);
  }
  return client;
}

export function isAwsError(error: unknown, ...names: string[]): error is Error {
  return error instanceof Error && names.includes(error.name);
}

export { isThrottling };

export async function findCluster(region: string, identifier: string): Promise<DBCluster | undefined> {
  try {
    const { DBClusters } = await rdsIn(region).send(
      new DescribeDBClustersCommand({ DBClusterIdentifier: identifier }),
    );
    return DBClusters?.[0];
  } catch (error) {
    if (isAwsError(error, "DBClusterNotFoundFault")) return undefined;
    throw error;
  }
}

export async function instancesOf(region: string, clusterIdentifier: string): Promise<DBInstance[]> {
  const { DBInstances } = await rdsIn(region).send(
    new DescribeDBInstancesCommand({ Filters: [{ Name: "db-cluster-id", Values: [clusterIdentifier] }] }),
  );
  return DBInstances ?? [];
}

/** Statuses from which a restored cluster does not become available by waiting. */
export const FAILED_STATUSES: ReadonlySet<string> = new Set([
  "failed",
  "inaccessible-encryption-credentials",
  "incompatible-parameters",
  "incompatible-restore",
  "incompatible-network",
  "deleting",
]);
