/**
 * Bringing a tenant's DR into line with its tier, and taking it away. Premium: the tenant cluster is
 * the writer of a global database whose secondary (same identifier, the paired region) carries an
 * instance. Standard and basic: a first DR snapshot at once (the copy schedule takes it from there);
 * removal deletes the DR snapshots and their copies. Every step adopts what exists and says what it
 * created; removal can be limited to what one execution created (compensation).
 */
import {
  CreateDBClusterCommand,
  CreateDBClusterSnapshotCommand,
  CreateDBInstanceCommand,
  CreateGlobalClusterCommand,
  type DBCluster,
  DeleteDBClusterCommand,
  DeleteDBClusterSnapshotCommand,
  DeleteDBInstanceCommand,
  DeleteGlobalClusterCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeGlobalClustersCommand,
  type GlobalCluster,
  RemoveFromGlobalClusterCommand,
  type Tag,
} from "@aws-sdk/client-rds";
import { awsNow } from "../../shared/aws-clients.ts";
import {
  ENGINE,
  TAG_EXECUTION,
  TAG_TENANT,
  TAG_TIER,
  tagValue,
  tenantTags,
} from "../../tenant/lib/database.ts";
import { isAwsError } from "../../tenant/lib/errors.ts";
import { TIERS, type Tier } from "../../tenant/lib/tiers.ts";
import { rdsIn } from "./aws.ts";
import { DR_PROFILES, TAG_DR } from "./dr-profiles.ts";
import { DrResourceBusyError, PlatformNotFoundError } from "./errors.ts";
import { accountOfArn, defaultRdsKey, drNames, stamp } from "./names.ts";

export interface DrOwner {
  readonly slug: string;
  readonly tenantId: string;
  readonly executionArn: string;
}

export async function findClusterIn(region: string, identifier: string): Promise<DBCluster | undefined> {
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

export async function findGlobal(region: string, identifier: string): Promise<GlobalCluster | undefined> {
  try {
    const { GlobalClusters } = await rdsIn(region).send(
      new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: identifier }),
    );
    return GlobalClusters?.[0];
  } catch (error) {
    if (isAwsError(error, "GlobalClusterNotFoundFault")) return undefined;
    throw error;
  }
}

const busy = (what: string) => (error: unknown) => {
  if (isAwsError(error, "InvalidDBClusterStateFault", "InvalidGlobalClusterStateFault"))
    throw new DrResourceBusyError(`${what}: ${(error as Error).message}`, { cause: error });
  throw error;
};

export interface EnsureDrResult {
  readonly strategy: "global-secondary" | "snapshot-copy";
  /** What this call created (`global-cluster:…`, `db-cluster:<region>/…`, `db-instance:…`, `snapshot:…`). */
  readonly created: readonly string[];
  readonly drRegion: string;
}

/** Brings the tenant's DR into line with its tier; safe to repeat. */
export async function ensureDr(
  owner: DrOwner,
  tier: Tier,
  home: string,
  drRegion: string,
): Promise<EnsureDrResult> {
  const names = drNames(owner.slug);
  const primary = await findClusterIn(home, names.clusterIdentifier);
  if (!primary?.DBClusterArn)
    throw new PlatformNotFoundError(`DB cluster ${names.clusterIdentifier} is not in ${home}`);
  if (primary.Status !== "available")
    throw new DrResourceBusyError(`DB cluster ${names.clusterIdentifier} is ${primary.Status}`);
  const created: string[] = [];
  const tags: Tag[] = [
    ...tenantTags(owner, { [TAG_TIER]: tier, [TAG_EXECUTION]: owner.executionArn }),
    { Key: TAG_DR, Value: "true" },
  ];
  const profile = DR_PROFILES[tier];
  if (profile.strategy === "snapshot-copy") {
    const existing = await drSnapshots(home, owner.slug);
    if (existing.length === 0) {
      const id = `${names.snapshotPrefix}${stamp(awsNow())}`;
      await rdsIn(home)
        .send(
          new CreateDBClusterSnapshotCommand({
            DBClusterIdentifier: names.clusterIdentifier,
            DBClusterSnapshotIdentifier: id,
            Tags: tags,
          }),
        )
        .catch(busy(`snapshot of ${names.clusterIdentifier}`));
      created.push(`snapshot:${home}/${id}`);
    }
    return { strategy: profile.strategy, created, drRegion };
  }

  const global = await findGlobal(home, names.globalClusterIdentifier);
  if (!global) {
    await rdsIn(home)
      .send(
        new CreateGlobalClusterCommand({
          GlobalClusterIdentifier: names.globalClusterIdentifier,
          SourceDBClusterIdentifier: primary.DBClusterArn,
          Tags: tags,
        }),
      )
      .catch((error: unknown) => {
        if (isAwsError(error, "GlobalClusterAlreadyExistsFault")) return;
        busy(`global database ${names.globalClusterIdentifier}`)(error);
      });
    created.push(`global-cluster:${names.globalClusterIdentifier}`);
  } else if (!global.GlobalClusterMembers?.some((m) => m.DBClusterArn === primary.DBClusterArn)) {
    throw new PlatformNotFoundError(
      `global database ${names.globalClusterIdentifier} exists without ${names.clusterIdentifier} of ${home}; refusing to touch it`,
    );
  }
  const secondary = await findClusterIn(drRegion, names.clusterIdentifier);
  if (!secondary) {
    await rdsIn(drRegion)
      .send(
        new CreateDBClusterCommand({
          DBClusterIdentifier: names.clusterIdentifier,
          Engine: ENGINE,
          GlobalClusterIdentifier: names.globalClusterIdentifier,
          EnableHttpEndpoint: true,
          StorageEncrypted: true,
          KmsKeyId: defaultRdsKey(drRegion, accountOfArn(primary.DBClusterArn)),
          BackupRetentionPeriod: TIERS[tier].backupRetentionDays,
          Tags: tags,
        }),
      )
      .catch((error: unknown) => {
        if (isAwsError(error, "DBClusterAlreadyExistsFault")) return;
        throw error;
      });
    created.push(`db-cluster:${drRegion}/${names.clusterIdentifier}`);
  } else if (tagValue(secondary.TagList, TAG_TENANT) !== owner.slug) {
    throw new PlatformNotFoundError(
      `DB cluster ${names.clusterIdentifier} in ${drRegion} is not tagged for ${owner.slug}; refusing to touch it`,
    );
  }
  const { DBInstances } = await rdsIn(drRegion).send(
    new DescribeDBInstancesCommand({
      Filters: [{ Name: "db-cluster-id", Values: [names.clusterIdentifier] }],
    }),
  );
  if ((DBInstances ?? []).length === 0) {
    await rdsIn(drRegion)
      .send(
        new CreateDBInstanceCommand({
          DBInstanceIdentifier: names.writerIdentifier,
          DBClusterIdentifier: names.clusterIdentifier,
          Engine: ENGINE,
          DBInstanceClass: TIERS[tier].instanceClass,
          Tags: tags,
        }),
      )
      .catch((error: unknown) => {
        if (isAwsError(error, "DBInstanceAlreadyExists", "DBInstanceAlreadyExistsFault")) return;
        throw error;
      });
    created.push(`db-instance:${drRegion}/${names.writerIdentifier}`);
  }
  return { strategy: profile.strategy, created, drRegion };
}

/** The tenant's DR snapshots in a region (manual, tagged `cplane:dr`), oldest first. */
export async function drSnapshots(region: string, slug: string) {
  const names = drNames(slug);
  const { DBClusterSnapshots } = await rdsIn(region).send(
    new DescribeDBClusterSnapshotsCommand({
      DBClusterIdentifier: names.clusterIdentifier,
      SnapshotType: "manual",
    }),
  );
  return (DBClusterSnapshots ?? []).filter((s) => drSnapshotOwner(s) === slug);
}

/** The tenant a snapshot is a DR snapshot (or copy) of: tagged `cplane:dr` and named for that tenant. */
export function drSnapshotOwner(snapshot: {
  TagList?: { Key?: string; Value?: string }[];
  DBClusterSnapshotIdentifier?: string;
}): string | undefined {
  const slug = tagValue(snapshot.TagList, TAG_TENANT);
  if (!slug || tagValue(snapshot.TagList, TAG_DR) !== "true") return undefined;
  const named = (snapshot.DBClusterSnapshotIdentifier ?? "").startsWith(drNames(slug).snapshotPrefix);
  return named ? slug : undefined;
}

export interface RemoveDrOptions {
  /** Only what this execution created (compensation); otherwise everything DR of the tenant. */
  readonly createdBy?: string;
  /**
   * Only the DR snapshots and copies (a tenant whose tier now has a global secondary instead), or only
   * the global database and its secondary (a tenant whose tier now has snapshot copies, which stay).
   */
  readonly only?: "snapshots" | "global";
}

export interface RemoveDrResult {
  readonly removed: readonly string[];
  /** Something is still going (instances deleting before their cluster can go): call again later. */
  readonly pending: boolean;
}

const regionOf = (arn: string) => arn.split(":")[3] ?? "";

/**
 * Takes the tenant's DR away: the global database's secondaries (detached, then deleted with their
 * instances), the global database itself (its writer stays, detached, for offboarding or compensation
 * to delete), and the DR snapshots and copies in both regions. Safe to repeat until `pending` is false.
 */
export async function removeDr(
  owner: DrOwner,
  regions: { readonly home: string; readonly dr: string },
  options: RemoveDrOptions = {},
): Promise<RemoveDrResult> {
  const names = drNames(owner.slug);
  const removed: string[] = [];
  let pending = false;
  const ours = (tags: Tag[] | undefined) =>
    tagValue(tags, TAG_TENANT) === owner.slug &&
    (options.createdBy === undefined || tagValue(tags, TAG_EXECUTION) === options.createdBy);
  const global =
    options.only === "snapshots" ? undefined : await findGlobal(regions.home, names.globalClusterIdentifier);
  const writerArn = global?.GlobalClusterMembers?.find((m) => m.IsWriter)?.DBClusterArn;
  const writerRegion = writerArn ? regionOf(writerArn) : regions.home;
  if (global) {
    for (const member of global.GlobalClusterMembers ?? []) {
      if (member.IsWriter || !member.DBClusterArn) continue;
      const cluster = await findClusterIn(regionOf(member.DBClusterArn), member.DBClusterArn);
      if (!cluster || !ours(cluster.TagList)) continue;
      await rdsIn(regionOf(member.DBClusterArn))
        .send(
          new RemoveFromGlobalClusterCommand({
            GlobalClusterIdentifier: names.globalClusterIdentifier,
            DbClusterIdentifier: member.DBClusterArn,
          }),
        )
        .catch(busy(`detaching ${member.DBClusterArn}`));
      removed.push(`global-member:${member.DBClusterArn}`);
    }
    const writer = writerArn ? await findClusterIn(writerRegion, writerArn) : undefined;
    if (options.createdBy === undefined || tagValue(writer?.TagList, TAG_EXECUTION) === options.createdBy) {
      if (writerArn) {
        await rdsIn(writerRegion)
          .send(
            new RemoveFromGlobalClusterCommand({
              GlobalClusterIdentifier: names.globalClusterIdentifier,
              DbClusterIdentifier: writerArn,
            }),
          )
          .catch(busy(`detaching ${writerArn}`));
      }
      await rdsIn(writerRegion)
        .send(new DeleteGlobalClusterCommand({ GlobalClusterIdentifier: names.globalClusterIdentifier }))
        .catch((error: unknown) => {
          if (isAwsError(error, "GlobalClusterNotFoundFault")) return;
          busy(`global database ${names.globalClusterIdentifier}`)(error);
        });
      removed.push(`global-cluster:${names.globalClusterIdentifier}`);
    }
  }
  // The secondary, detached now or by an earlier call: the DR-tagged cluster outside the writer's region.
  for (const region of options.only === "snapshots" ? [] : [regions.home, regions.dr]) {
    if (region === writerRegion) continue;
    const cluster = await findClusterIn(region, names.clusterIdentifier);
    if (!cluster || cluster.GlobalClusterIdentifier || cluster.Status === "deleting") continue;
    if (tagValue(cluster.TagList, TAG_DR) !== "true" || !ours(cluster.TagList)) continue;
    const result = await deleteDrCluster(region, names.clusterIdentifier);
    removed.push(...result.removed);
    pending ||= result.pending;
  }
  for (const region of options.only === "global" ? [] : [regions.home, regions.dr]) {
    const snapshots = await deleteDrSnapshots(region, owner.slug, (s) => ours(s.TagList));
    removed.push(...snapshots.removed);
    pending ||= snapshots.waiting.length > 0;
  }
  return { removed, pending };
}

/**
 * Deletes the tenant's DR snapshots and copies in `region` (those `select` picks, all by default); one still
 * being made or copied is waited for (`waiting`), to be deleted by a later call.
 */
export async function deleteDrSnapshots(
  region: string,
  slug: string,
  select: (snapshot: { TagList?: Tag[] }) => boolean = () => true,
): Promise<{ removed: string[]; waiting: string[] }> {
  const removed: string[] = [];
  const waiting: string[] = [];
  for (const snapshot of await drSnapshots(region, slug)) {
    if (!select(snapshot)) continue;
    if (snapshot.Status !== "available") {
      waiting.push(`DR snapshot ${snapshot.DBClusterSnapshotIdentifier} in ${region} is ${snapshot.Status}`);
      continue;
    }
    await rdsIn(region)
      .send(
        new DeleteDBClusterSnapshotCommand({
          DBClusterSnapshotIdentifier: snapshot.DBClusterSnapshotIdentifier,
        }),
      )
      .catch((error: unknown) => {
        if (!isAwsError(error, "DBClusterSnapshotNotFoundFault")) throw error;
      });
    removed.push(`snapshot:${region}/${snapshot.DBClusterSnapshotIdentifier}`);
  }
  return { removed, waiting };
}

/** Deletes a detached DR secondary: its instances first, then (once they are gone) the cluster. */
async function deleteDrCluster(region: string, identifier: string): Promise<RemoveDrResult> {
  const removed: string[] = [];
  const { DBInstances } = await rdsIn(region).send(
    new DescribeDBInstancesCommand({ Filters: [{ Name: "db-cluster-id", Values: [identifier] }] }),
  );
  const instances = DBInstances ?? [];
  for (const instance of instances) {
    if (instance.DBInstanceStatus === "deleting" || !instance.DBInstanceIdentifier) continue;
    await rdsIn(region)
      .send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: instance.DBInstanceIdentifier }))
      .catch((error: unknown) => {
        if (isAwsError(error, "DBInstanceNotFound", "DBInstanceNotFoundFault")) return;
        if (isAwsError(error, "InvalidDBInstanceState", "InvalidDBInstanceStateFault")) return;
        throw error;
      });
    removed.push(`db-instance:${region}/${instance.DBInstanceIdentifier}`);
  }
  if (instances.length > 0) return { removed, pending: true };
  const deleted = await rdsIn(region)
    .send(new DeleteDBClusterCommand({ DBClusterIdentifier: identifier, SkipFinalSnapshot: true }))
    .then(
      () => true,
      (error: unknown) => {
        if (isAwsError(error, "DBClusterNotFoundFault", "InvalidDBClusterStateFault")) return false;
        throw error;
      },
    );
  if (deleted) removed.push(`db-cluster:${region}/${identifier}`);
  return { removed, pending: !deleted };
}
