/**
 * Taking everything of a tenant that is leaving out of one region of the pair, whatever the tenant did
 * there (ran, was restored, kept a secondary or copies): offboarding does it for the region a failover
 * moved the tenant away from, and the readiness run's sweep for a region offboarding could not reach.
 * In order: the cluster out of its global database (a writer only once it is the last member: AWS
 * detaches a writer last), a snapshot of it kept (the tenant's final snapshot, or a `-stale-` one taken
 * here: the data of a cluster a failover left may hold writes its copy lacked), then its instances and
 * the cluster (lib/cluster-retirement.ts, as the failover's re-establishing retires a stale cluster); the DR snapshots and copies; the secret (its replication first: a replicated secret
 * cannot be deleted; a replica is removed at its primary); at home, the namespace, its Pod Identity
 * association and the operators' access entry and role. The paired region's DR space is never left for
 * this: offboarding refuses a tenant at home while that region does not answer, and the only thing it
 * leaves there for a tenant a failover moved is a writer its global database holds, the DR space around
 * it removed by the same step (lib/moved-removal.ts). Each call goes as far as it can and says what it
 * waits for; a region that does not answer throws (`isUnreachable`), for the caller to record.
 */
import { DeleteGlobalClusterCommand, RemoveFromGlobalClusterCommand } from "@aws-sdk/client-rds";
import { DeleteSecretCommand, RemoveRegionsFromReplicationCommand } from "@aws-sdk/client-secrets-manager";
import { optionalEnv } from "../../shared/env.ts";
import type { KubernetesClient } from "../../shared/kubernetes.ts";
import { TAG_TENANT, tagValue } from "../../tenant/lib/database.ts";
import { isAwsError } from "../../tenant/lib/errors.ts";
import { clusterSettings, removeTenantNamespace } from "../../tenant/lib/namespace.ts";
import { isOutage, rdsIn, regionOfArn, regionPair } from "./aws.ts";
import { retireCluster } from "./cluster-retirement.ts";
import { type DrOwner, deleteDrSnapshots, findClusterIn, findGlobal } from "./dr-setup.ts";
import { describeSecret, secretsIn } from "./dr-space.ts";
import { drNames } from "./names.ts";

/** The tenant cluster's Kubernetes API in a region (the handler makes it: `kubernetesClient`). */
export type KubernetesIn = (region: string) => Promise<KubernetesClient>;

export interface ClearedRegion {
  readonly removed: readonly string[];
  /** What is still going (a snapshot being taken, instances deleting, a writer not yet last): call again. */
  readonly waiting: readonly string[];
}

/** A region that does not answer, seen directly or through the Kubernetes client's wrapping. */
export function isUnreachable(error: unknown): boolean {
  return isOutage(error) || (error instanceof Error && isOutage(error.cause));
}

/**
 * Everything of `owner` in `region`, taken away as far as it can go now. `keepAfter` (ISO time): a
 * `-stale-` snapshot older than this is not taken as the kept copy of the cluster (it may be one a
 * failover's re-establishing took long before).
 */
export async function clearRegion(
  owner: DrOwner,
  region: string,
  keepAfter: string,
  kubernetesIn: KubernetesIn,
): Promise<ClearedRegion> {
  const removed: string[] = [];
  const waiting: string[] = [];
  const cluster = await clearCluster(owner, region, keepAfter);
  removed.push(...cluster.removed);
  waiting.push(...cluster.waiting);
  const snapshots = await deleteDrSnapshots(region, owner.slug);
  removed.push(...snapshots.removed);
  waiting.push(...snapshots.waiting);
  removed.push(...(await clearSecret(owner, region)));
  if (region === regionPair().home) {
    const gone = await removeTenantNamespace(clusterSettings(), await kubernetesIn(region), owner);
    removed.push(...gone.map((r) => `${r} (${region})`));
  }
  return { removed, waiting };
}

async function clearCluster(owner: DrOwner, region: string, keepAfter: string): Promise<ClearedRegion> {
  const names = drNames(owner.slug);
  const rds = rdsIn(region);
  const removed: string[] = [];
  const cluster = await findClusterIn(region, names.clusterIdentifier);
  if (!cluster || cluster.Status === "deleting" || tagValue(cluster.TagList, TAG_TENANT) !== owner.slug) {
    // A global database left without members (its last one detached by an earlier call) goes too.
    if (await deleteEmptyGlobal(region, names.globalClusterIdentifier))
      removed.push(`global-cluster:${names.globalClusterIdentifier}`);
    return { removed, waiting: [] };
  }
  const arn = cluster.DBClusterArn ?? "";
  if (cluster.GlobalClusterIdentifier) {
    const global = await findGlobal(region, cluster.GlobalClusterIdentifier);
    const members = global?.GlobalClusterMembers ?? [];
    const others = members.filter((m) => m.DBClusterArn !== arn);
    if (members.find((m) => m.DBClusterArn === arn)?.IsWriter && others.length > 0)
      return {
        removed,
        waiting: [
          `${names.clusterIdentifier} in ${region} writes for ${cluster.GlobalClusterIdentifier}: detached once its member in ${others.map((m) => regionOfArn(m.DBClusterArn ?? "")).join(", ")} is`,
        ],
      };
    await rds.send(
      new RemoveFromGlobalClusterCommand({
        GlobalClusterIdentifier: cluster.GlobalClusterIdentifier,
        DbClusterIdentifier: arn,
      }),
    );
    removed.push(`global-member:${arn}`);
    if (others.length === 0 && (await deleteEmptyGlobal(region, cluster.GlobalClusterIdentifier)))
      removed.push(`global-cluster:${cluster.GlobalClusterIdentifier}`);
    return { removed, waiting: [`${names.clusterIdentifier} in ${region} leaving its global database`] };
  }
  const retired = await retireCluster(region, cluster, owner, { after: keepAfter, final: true });
  if (retired.state === "snapshotting")
    return {
      removed: [`kept:${region}/${retired.snapshot}`],
      waiting: [`snapshot ${retired.snapshot} being taken before the cluster goes`],
    };
  if (retired.state === "waiting") return { removed, waiting: [retired.reason] };
  return {
    removed: [...retired.removed.map((r) => `${r} (${region})`), `kept:${region}/${retired.kept}`],
    waiting: [],
  };
}

/**
 * Deletes the tenant's global database when it has no member left (tagged for a tenant: the IAM
 * condition); false when it is not there, still has members, or is still letting its last one go.
 */
export async function deleteEmptyGlobal(region: string, identifier: string): Promise<boolean> {
  const global = await findGlobal(region, identifier);
  if (!global || (global.GlobalClusterMembers ?? []).length > 0) return false;
  return rdsIn(region)
    .send(new DeleteGlobalClusterCommand({ GlobalClusterIdentifier: identifier }))
    .then(
      () => true,
      (error: unknown) => {
        if (isAwsError(error, "GlobalClusterNotFoundFault", "InvalidGlobalClusterStateFault")) return false;
        throw error;
      },
    );
}

async function clearSecret(owner: DrOwner, region: string): Promise<string[]> {
  const name = drNames(owner.slug).secretName;
  const secret = await describeSecret(region, name);
  if (!secret || secret.DeletedDate || tagValue(secret.Tags, TAG_TENANT) !== owner.slug) return [];
  const primary = secret.PrimaryRegion ?? region;
  if (primary !== region) {
    // A replica: its primary lets it go (the primary, when its region does not answer, throws here).
    await secretsIn(primary).send(
      new RemoveRegionsFromReplicationCommand({ SecretId: name, RemoveReplicaRegions: [region] }),
    );
    return [`secret-replica:${region}/${name}`];
  }
  const replicas = (secret.ReplicationStatus ?? []).map((r) => r.Region ?? "").filter((r) => r !== "");
  if (replicas.length > 0)
    await secretsIn(region).send(
      new RemoveRegionsFromReplicationCommand({ SecretId: name, RemoveReplicaRegions: replicas }),
    );
  const { DeletionDate } = await secretsIn(region).send(
    new DeleteSecretCommand({
      SecretId: name,
      RecoveryWindowInDays: Number(optionalEnv("SECRET_RECOVERY_WINDOW_DAYS", "30")),
    }),
  );
  return [`secret:${region}/${name} (deleted on ${DeletionDate?.toISOString() ?? "schedule"})`];
}
