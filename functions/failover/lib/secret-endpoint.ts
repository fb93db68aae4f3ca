/**
 * A tenant's database secret names the cluster that writes for it (`host`, `port`,
 * `dbClusterIdentifier`): after a failover, switchover or fail back, the one now writing. The secret's
 * replica in the other region follows its primary, so the primary is written; when the primary's
 * region does not answer (an unplanned failover), the replica in the region that serves now is
 * promoted to a standalone secret (StopReplicationToReplica) and written there. The value is read and
 * written inside this code only: nothing of it is returned or logged.
 */
import {
  DescribeSecretCommand,
  type DescribeSecretCommandOutput,
  GetSecretValueCommand,
  PutSecretValueCommand,
  StopReplicationToReplicaCommand,
} from "@aws-sdk/client-secrets-manager";
import { isAwsError } from "../../tenant/lib/errors.ts";
import { tenantNames } from "../../tenant/lib/slug.ts";
import { isOutage } from "./aws.ts";
import { findClusterIn } from "./dr-setup.ts";
import { secretsIn } from "./dr-space.ts";
import { DrSecretMissingError, PlatformNotFoundError } from "./errors.ts";

export interface PointedSecret {
  readonly secretArn: string;
  /** The cluster endpoint the secret names now (not secret: DNS). */
  readonly host: string;
  /** Whether this call changed it (false: it already named that cluster). */
  readonly changed: boolean;
  /** The replica promoted to a standalone secret because its primary's region did not answer. */
  readonly promotedReplica: boolean;
}

async function describeIn(region: string, name: string): Promise<DescribeSecretCommandOutput | undefined> {
  return secretsIn(region)
    .send(new DescribeSecretCommand({ SecretId: name }))
    .catch((error: unknown) => {
      if (isAwsError(error, "ResourceNotFoundException")) return undefined;
      throw error;
    });
}

/** Writes the endpoint into the secret in `region` (a primary there); false when it named it already. */
async function write(
  region: string,
  name: string,
  endpoint: { host: string; port: number; dbClusterIdentifier: string },
): Promise<boolean> {
  const secrets = secretsIn(region);
  const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: name }));
  const value = JSON.parse(SecretString ?? "{}") as Record<string, unknown>;
  if (
    value.host === endpoint.host &&
    value.port === endpoint.port &&
    value.dbClusterIdentifier === endpoint.dbClusterIdentifier
  )
    return false;
  await secrets.send(
    new PutSecretValueCommand({ SecretId: name, SecretString: JSON.stringify({ ...value, ...endpoint }) }),
  );
  return true;
}

/** Makes the tenant's secret, as read in `region`, name `cluster` (an identifier or ARN in `region`). */
export async function pointSecret(slug: string, cluster: string, region: string): Promise<PointedSecret> {
  const found = await findClusterIn(region, cluster);
  if (!found?.Endpoint || !found.DBClusterIdentifier)
    throw new PlatformNotFoundError(`cluster ${cluster} in ${region} has no endpoint`);
  const endpoint = {
    host: found.Endpoint,
    port: found.Port ?? 5432,
    dbClusterIdentifier: found.DBClusterIdentifier,
  };
  const name = tenantNames(slug).secretName;
  const here = await describeIn(region, name);
  if (!here?.ARN) throw new DrSecretMissingError(`secret ${name} is not in ${region}`);
  const primaryRegion = here.PrimaryRegion ?? region;
  if (primaryRegion === region) {
    const changed = await write(region, name, endpoint);
    return { secretArn: here.ARN, host: endpoint.host, changed, promotedReplica: false };
  }
  try {
    const changed = await write(primaryRegion, name, endpoint);
    return { secretArn: here.ARN, host: endpoint.host, changed, promotedReplica: false };
  } catch (error) {
    if (!isOutage(error)) throw error;
  }
  await secretsIn(region).send(new StopReplicationToReplicaCommand({ SecretId: name }));
  const changed = await write(region, name, endpoint);
  return { secretArn: here.ARN, host: endpoint.host, changed, promotedReplica: true };
}
