/**
 * RDS / Aurora PostgreSQL: clusters, instances, cluster snapshots (manual, automated daily, copies
 * across regions), restore from snapshot and to a point in time, global databases (switchover,
 * failover), tags. Statuses follow AWS's lifecycle on the shared clock; data lives in `Databases`.
 */

import { randomUUID } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type {
  AddTagsToResourceCommandInput,
  CopyDBClusterSnapshotCommandInput,
  CreateDBClusterCommandInput,
  CreateDBClusterSnapshotCommandInput,
  CreateDBInstanceCommandInput,
  CreateGlobalClusterCommandInput,
  DBCluster,
  DBClusterSnapshot,
  DBInstance,
  DeleteDBClusterCommandInput,
  DeleteDBClusterSnapshotCommandInput,
  DeleteDBInstanceCommandInput,
  DeleteGlobalClusterCommandInput,
  DescribeDBClusterSnapshotsCommandInput,
  DescribeDBClustersCommandInput,
  DescribeDBInstancesCommandInput,
  DescribeGlobalClustersCommandInput,
  FailoverGlobalClusterCommandInput,
  Filter,
  GlobalCluster,
  ListTagsForResourceCommandInput,
  ModifyDBClusterCommandInput,
  RemoveFromGlobalClusterCommandInput,
  RemoveTagsFromResourceCommandInput,
  RestoreDBClusterFromSnapshotCommandInput,
  RestoreDBClusterToPointInTimeCommandInput,
  StartDBClusterCommandInput,
  StopDBClusterCommandInput,
  SwitchoverGlobalClusterCommandInput,
  Tag,
} from "@aws-sdk/client-rds";
import { removeUnreferenced } from "../persistence/files.ts";
import { JsonText, objectText, SavedText, toJsonText } from "./changes.ts";
import type { CloudContext, Json } from "./context.ts";
import { randomId } from "./context.ts";
import type { Corruption, Databases, DataImage } from "./databases.ts";
import { fail } from "./errors.ts";
import { Image } from "./images.ts";
import { emitRdsEvent, RDS_EVENTS } from "./rds-events.ts";
import type { SecretsManager } from "./secrets.ts";
import type { EmulatedService } from "./service.ts";
import { addTo, fromJson } from "./service.ts";

export interface Cluster {
  region: string;
  id: string;
  arn: string;
  resourceId: string;
  status: string;
  engine: string;
  engineVersion: string;
  port: number;
  masterUsername: string;
  databaseName?: string;
  deletionProtection: boolean;
  backupRetentionPeriod: number;
  storageEncrypted: boolean;
  kmsKeyId?: string;
  httpEndpointEnabled: boolean;
  masterUserSecretArn?: string;
  tags: Tag[];
  createTime: Date;
  globalClusterId?: string;
  dbSubnetGroup?: string;
  vpcSecurityGroupIds: string[];
  copyTagsToSnapshot: boolean;
  serverlessV2?: { MinCapacity?: number; MaxCapacity?: number };
  /** A global secondary is read-only. */
  readOnly: boolean;
  hostSuffix: string;
  /**
   * Statements that wrote to the cluster volume, counted per 5-minute period (period start, count):
   * what `AWS/RDS VolumeWriteIOPs` reports for the cluster. Periods with none are not kept.
   */
  writes?: [number, number][];
}

export interface Instance {
  region: string;
  id: string;
  arn: string;
  clusterId: string;
  status: string;
  instanceClass: string;
  engine: string;
  createTime: Date;
  tags: Tag[];
  promotionTier: number;
  availabilityZone: string;
}

/**
 * A cluster snapshot. Snapshots are values: frozen when made (`frozenSnapshot`) and replaced, never
 * changed in place, when their status, tags or corruption change (`replaceSnapshot`). A checkpoint
 * then serializes only the snapshots made since the last one: at fleet scale they are most of RDS's
 * state (seven automated ones per cluster, DR copies), and all of them were serialized again after
 * every DR copy round.
 */
export interface Snapshot {
  region: string;
  id: string;
  arn: string;
  clusterId: string;
  status: string;
  type: "manual" | "automated";
  createTime: Date;
  clusterCreateTime: Date;
  engine: string;
  engineVersion: string;
  storageEncrypted: boolean;
  kmsKeyId?: string;
  tags: Tag[];
  port: number;
  masterUsername: string;
  sourceArn?: string;
  corruption?: Corruption;
}

export interface Global {
  id: string;
  arn: string;
  resourceId: string;
  status: string;
  engine: string;
  engineVersion: string;
  storageEncrypted: boolean;
  deletionProtection: boolean;
  databaseName?: string;
  members: { arn: string; isWriter: boolean }[];
  /** CreateGlobalCluster's Tags (AWS keeps them; ListTagsForResource and IAM's resource tags read them). */
  tags?: Tag[];
  failoverState?: {
    Status: string;
    FromDbClusterArn: string;
    ToDbClusterArn: string;
    IsDataLossAllowed: boolean;
  };
}

interface State {
  clusters: Cluster[];
  instances: Instance[];
  snapshots: Snapshot[];
  globals: Global[];
}

/** The snapshot, its tags and each tag frozen: a change in place throws instead of escaping a checkpoint. */
function frozenSnapshot(snapshot: Snapshot): Snapshot {
  for (const tag of snapshot.tags) Object.freeze(tag);
  Object.freeze(snapshot.tags);
  return Object.freeze(snapshot);
}

const COMMA = Buffer.from(",");
const DEFAULT_ENGINE_VERSION = "16.4";
const DATA_READY = new Set(["available", "backing-up", "modifying"]);
/** `VolumeWriteIOPs` is reported at 5-minute intervals; the emulation keeps as long as CloudWatch does here. */
const WRITE_PERIOD_MS = 5 * 60_000;
const WRITE_RETENTION_MS = 15 * 24 * 60 * 60_000;

export class Rds implements EmulatedService {
  readonly name = "RDS";
  /** Snapshots and tags live in RDS's own state: these never reach Secrets Manager. */
  readonly reaches: Readonly<Record<string, readonly string[]>> = {
    CreateDBClusterSnapshot: ["RDS"],
    CopyDBClusterSnapshot: ["RDS"],
    DeleteDBClusterSnapshot: ["RDS"],
    AddTagsToResource: ["RDS"],
    RemoveTagsFromResource: ["RDS"],
  };
  readonly pureReads: ReadonlySet<string> = new Set([
    "DescribeDBClusters",
    "DescribeDBClusterSnapshots",
    "DescribeGlobalClusters",
    "DescribeDBInstances",
    "ListTagsForResource",
  ]);
  private readonly ctx: CloudContext;
  private readonly databases: Databases;
  private readonly secrets: SecretsManager;
  private state: State = { clusters: [], instances: [], snapshots: [], globals: [] };
  /**
   * Data images of snapshots, by snapshot ARN (kept out of `state`: they are files on save). A
   * snapshot of a database unchanged since its last image, a copy and a restore share that image.
   */
  readonly snapshotData = new Map<string, Promise<DataImage>>();
  /** The text of the last save's state (not its images). */
  private readonly saved = new SavedText();
  /** Each snapshot's text as last saved, encoded; a snapshot replaced is serialized anew. */
  private readonly snapshotTexts = new WeakMap<Snapshot, Uint8Array>();
  /** The files the state last returned by `save` refers to. */
  private savedFiles = new Set<string>();
  /** Hook for the Data API: a global primary's write to replay on its secondaries. */
  onPromote: ((global: Global, dataLoss: boolean) => void) | undefined;

  constructor(ctx: CloudContext, databases: Databases, secrets: SecretsManager) {
    this.ctx = ctx;
    this.databases = databases;
    this.secrets = secrets;
    const jobs = ctx.jobs;
    jobs.on("rds.cluster.status", (args) => {
      const { arn, status, next, delay } = args as {
        arn: string;
        status: string;
        next?: string;
        delay?: number;
      };
      const cluster = this.state.clusters.find((c) => c.arn === arn);
      if (!cluster) return;
      const previous = cluster.status;
      cluster.status = status;
      if (status === "backing-up") this.takeSnapshot(cluster, "automated");
      if (status === "available" && (previous === "creating" || previous === "backing-up"))
        emitRdsEvent(this.ctx, "CLUSTER", cluster, RDS_EVENTS.clusterCreated);
      if (next && delay !== undefined) jobs.schedule("rds.cluster.status", delay, { arn, status: next });
    });
    jobs.on("rds.cluster.gone", (args) => {
      const arn = String(args);
      const cluster = this.state.clusters.find((c) => c.arn === arn);
      this.state.clusters = this.state.clusters.filter((c) => c.arn !== arn);
      if (cluster) emitRdsEvent(this.ctx, "CLUSTER", cluster, RDS_EVENTS.clusterDeleted);
      jobs.cancelWhere("rds.backup.daily", (a) => a === arn);
      if (cluster?.masterUserSecretArn) this.secrets.forceDelete(cluster.masterUserSecretArn);
      return this.databases.drop(arn);
    });
    jobs.on("rds.instance.status", (args) => {
      const { arn, status } = args as { arn: string; status: string };
      const instance = this.state.instances.find((i) => i.arn === arn);
      if (!instance) return;
      const previous = instance.status;
      instance.status = status;
      if (status === "available" && previous === "creating")
        emitRdsEvent(this.ctx, "DB_INSTANCE", instance, RDS_EVENTS.instanceCreated);
    });
    jobs.on("rds.instance.gone", (args) => {
      this.state.instances = this.state.instances.filter((i) => i.arn !== String(args));
    });
    jobs.on("rds.snapshot.available", (args) => {
      const found = this.state.snapshots.find((s) => s.arn === String(args));
      if (!found || found.status === "available") return;
      const snapshot = this.replaceSnapshot(found, { status: "available" });
      emitRdsEvent(
        this.ctx,
        "CLUSTER_SNAPSHOT",
        snapshot,
        snapshot.type === "manual" ? RDS_EVENTS.manualSnapshotCreated : RDS_EVENTS.automatedSnapshotCreated,
      );
    });
    jobs.runInBackground("rds.backup.daily");
    jobs.on("rds.backup.daily", (args) => {
      const arn = String(args);
      const cluster = this.state.clusters.find((c) => c.arn === arn);
      if (!cluster) return;
      if (cluster.status === "available" && cluster.backupRetentionPeriod > 0)
        this.takeSnapshot(cluster, "automated");
      this.pruneAutomated(cluster);
      jobs.schedule("rds.backup.daily", ctx.durations.automatedBackupInterval, arn);
    });
    jobs.on("rds.global.done", (args) => {
      const { id, writer, dataLoss } = args as { id: string; writer: string; dataLoss: boolean };
      const global = this.state.globals.find((g) => g.id === id);
      if (!global) return;
      for (const member of global.members) {
        member.isWriter = member.arn === writer;
        const cluster = this.clusterByArn(member.arn);
        if (cluster) {
          cluster.readOnly = !member.isWriter;
          cluster.status = "available";
        }
      }
      global.status = "available";
      global.failoverState = undefined;
      this.onPromote?.(global, dataLoss);
    });
  }

  // ---------------------------------------------------------------- write activity

  /** Counts `count` committed writes to the cluster now (the Data API calls this). */
  noteWrites(clusterArn: string, count: number): void {
    const cluster = this.clusterByArn(clusterArn);
    if (!cluster || count <= 0) return;
    const now = this.ctx.clock.now();
    const period = Math.floor(now / WRITE_PERIOD_MS) * WRITE_PERIOD_MS;
    const writes = cluster.writes ?? [];
    const last = writes.at(-1);
    if (last?.[0] === period) last[1] += count;
    else writes.push([period, count]);
    const horizon = now - WRITE_RETENTION_MS;
    while ((writes[0]?.[0] ?? horizon) < horizon) writes.shift();
    cluster.writes = writes;
    this.ctx.changed?.();
  }

  /**
   * `VolumeWriteIOPs` of a cluster as AWS reports it: one datapoint per 5-minute period that has ended,
   * from the cluster's creation, zero for periods without writes; in [start, end). Empty for a
   * cluster that does not exist in the region.
   */
  volumeWrites(
    region: string,
    clusterId: string,
    start: number,
    end: number,
  ): { t: number; value: number }[] {
    const cluster = this.state.clusters.find((c) => c.region === region && c.id === clusterId.toLowerCase());
    if (!cluster) return [];
    const counts = new Map(cluster.writes ?? []);
    const ended = Math.floor(this.ctx.clock.now() / WRITE_PERIOD_MS) * WRITE_PERIOD_MS;
    const first = Math.max(
      Math.ceil(start / WRITE_PERIOD_MS) * WRITE_PERIOD_MS,
      Math.floor(cluster.createTime.getTime() / WRITE_PERIOD_MS) * WRITE_PERIOD_MS,
    );
    const out: { t: number; value: number }[] = [];
    for (let t = first; t < Math.min(end, ended); t += WRITE_PERIOD_MS)
      out.push({ t, value: counts.get(t) ?? 0 });
    return out;
  }

  // ---------------------------------------------------------------- lookups

  clusterByArn(arn: string): Cluster | undefined {
    return this.state.clusters.find((c) => c.arn === arn);
  }

  cluster(region: string, idOrArn: string | undefined): Cluster {
    const cluster = this.state.clusters.find(
      (c) => (c.region === region && c.id === idOrArn?.toLowerCase()) || c.arn === idOrArn,
    );
    if (!cluster) fail("DBClusterNotFoundFault", `DBCluster ${idOrArn} not found.`);
    return cluster;
  }

  private instance(region: string, id: string | undefined): Instance {
    const instance = this.state.instances.find((i) => i.region === region && i.id === id?.toLowerCase());
    if (!instance) fail("DBInstanceNotFound", `DBInstance ${id} not found.`);
    return instance;
  }

  private snapshot(region: string, idOrArn: string | undefined): Snapshot {
    const snapshot = this.state.snapshots.find(
      (s) => (s.region === region && s.id === idOrArn?.toLowerCase()) || s.arn === idOrArn,
    );
    if (!snapshot) fail("DBClusterSnapshotNotFoundFault", `DBClusterSnapshot not found: ${idOrArn}`);
    return snapshot;
  }

  private globalCluster(id: string | undefined): Global {
    const global = this.state.globals.find((g) => g.id === id || g.arn === id);
    if (!global) fail("GlobalClusterNotFoundFault", `Global cluster ${id} not found`);
    return global;
  }

  /** Whether the Data API may run statements on this cluster now, and why not. */
  dataApiReadiness(cluster: Cluster): string | undefined {
    if (!cluster.httpEndpointEnabled) return `HttpEndpoint is not enabled for cluster ${cluster.id}`;
    if (!DATA_READY.has(cluster.status))
      return `DB cluster ${cluster.id} is not available (status: ${cluster.status})`;
    const ready = this.state.instances.some(
      (i) => i.clusterId === cluster.id && i.region === cluster.region && i.status === "available",
    );
    if (!ready) return `DB cluster ${cluster.id} has no available DB instance`;
    return undefined;
  }

  /** Every member of every global database, with its role and the writer's region. */
  globalMembers(): { id: string; region: string; isWriter: boolean; writerRegion: string; global: string }[] {
    return this.state.globals.flatMap((g) => {
      const writer = g.members.find((m) => m.isWriter);
      const writerRegion = writer ? (this.clusterByArn(writer.arn)?.region ?? "") : "";
      return g.members.flatMap((m) => {
        const c = this.clusterByArn(m.arn);
        return c ? [{ id: c.id, region: c.region, isWriter: m.isWriter, writerRegion, global: g.id }] : [];
      });
    });
  }

  globalOf(cluster: Cluster): Global | undefined {
    return cluster.globalClusterId
      ? this.state.globals.find((g) => g.id === cluster.globalClusterId)
      : undefined;
  }

  corruptSnapshot(idOrArn: string, region: string | undefined, mode: Corruption): void {
    const snapshot = this.state.snapshots.find(
      (s) => s.arn === idOrArn || (s.id === idOrArn && (region === undefined || s.region === region)),
    );
    if (!snapshot) {
      // RDS's own name for it, so that the admin route answers 404 with the reason, not a 500.
      fail(
        "DBClusterSnapshotNotFoundFault",
        `DBClusterSnapshot ${idOrArn} not found${region ? ` in ${region}` : ""}; cplane cloud describe lists the snapshots (RDS, snapshots)`,
      );
    }
    this.replaceSnapshot(snapshot, { corruption: mode });
  }

  // ---------------------------------------------------------------- helpers

  private arn(region: string, kind: string, id: string): string {
    return `arn:aws:rds:${region}:${this.ctx.account}:${kind}:${id}`;
  }

  private validId(id: string | undefined, what: string): string {
    if (!id || !/^[a-zA-Z][a-zA-Z0-9-]{0,62}$/.test(id) || id.endsWith("-") || id.includes("--")) {
      fail(
        "InvalidParameterValue",
        `The parameter ${what} is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens.`,
      );
    }
    return id.toLowerCase();
  }

  private takeSnapshot(
    cluster: Cluster,
    type: "manual" | "automated",
    id?: string,
    tags: Tag[] = [],
  ): Snapshot {
    const now = this.ctx.clock.now();
    const stamp = new Date(now).toISOString().slice(0, 16).replace("T", "-").replace(":", "-");
    const snapshotId = id ?? `rds:${cluster.id}-${stamp}`;
    const snapshot: Snapshot = frozenSnapshot({
      region: cluster.region,
      id: snapshotId,
      arn: this.arn(cluster.region, "cluster-snapshot", snapshotId),
      clusterId: cluster.id,
      status: "creating",
      type,
      createTime: new Date(now),
      clusterCreateTime: cluster.createTime,
      engine: cluster.engine,
      engineVersion: cluster.engineVersion,
      storageEncrypted: cluster.storageEncrypted,
      kmsKeyId: cluster.kmsKeyId,
      tags: (cluster.copyTagsToSnapshot ? [...cluster.tags, ...tags] : tags).map((t) => ({ ...t })),
      port: cluster.port,
      masterUsername: cluster.masterUsername,
    });
    this.state.snapshots = this.state.snapshots.filter((s) => s.arn !== snapshot.arn);
    this.state.snapshots.push(snapshot);
    this.snapshotData.set(snapshot.arn, this.databases.image(cluster.arn));
    this.ctx.jobs.schedule("rds.snapshot.available", this.ctx.durations.clusterSnapshot, snapshot.arn);
    return snapshot;
  }

  /** `snapshot` with `changes`, frozen, in its place in the state; returns the new value. */
  private replaceSnapshot(snapshot: Snapshot, changes: Partial<Snapshot>): Snapshot {
    const next = frozenSnapshot({ ...snapshot, ...changes });
    const at = this.state.snapshots.indexOf(snapshot);
    if (at >= 0) this.state.snapshots[at] = next;
    return next;
  }

  private pruneAutomated(cluster: Cluster): void {
    const horizon = this.ctx.clock.now() - cluster.backupRetentionPeriod * 86_400_000;
    const drop = this.state.snapshots.filter(
      (s) =>
        s.type === "automated" &&
        s.clusterId === cluster.id &&
        s.region === cluster.region &&
        s.createTime.getTime() < horizon,
    );
    for (const s of drop) this.snapshotData.delete(s.arn);
    this.state.snapshots = this.state.snapshots.filter((s) => !drop.includes(s));
  }

  private newCluster(region: string, input: CreateDBClusterCommandInput, from?: Snapshot): Cluster {
    const id = this.validId(input.DBClusterIdentifier, "DBClusterIdentifier");
    if (this.state.clusters.some((c) => c.region === region && c.id === id)) {
      fail("DBClusterAlreadyExistsFault", "DB Cluster already exists");
    }
    const engine =
      input.Engine ??
      from?.engine ??
      fail("InvalidParameterValue", "The parameter Engine must be provided and must not be blank.");
    if (!engine.startsWith("aurora")) fail("InvalidParameterValue", `Invalid DB engine: ${engine}`);
    const retention = input.BackupRetentionPeriod ?? 1;
    if (retention < 1 || retention > 35)
      fail("InvalidParameterValue", "Invalid backup retention period: must be between 1 and 35 days.");
    const global = input.GlobalClusterIdentifier
      ? this.globalCluster(input.GlobalClusterIdentifier)
      : undefined;
    const cluster: Cluster = {
      region,
      id,
      arn: this.arn(region, "cluster", id),
      resourceId: `cluster-${randomId(26, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")}`,
      status: "creating",
      engine,
      engineVersion:
        input.EngineVersion ?? global?.engineVersion ?? from?.engineVersion ?? DEFAULT_ENGINE_VERSION,
      port: input.Port ?? from?.port ?? 5432,
      masterUsername:
        input.MasterUsername ??
        from?.masterUsername ??
        (global
          ? "postgres"
          : fail(
              "InvalidParameterValue",
              "The parameter MasterUsername must be provided and must not be blank.",
            )),
      databaseName: input.DatabaseName ?? global?.databaseName,
      deletionProtection: input.DeletionProtection ?? false,
      backupRetentionPeriod: retention,
      storageEncrypted: input.StorageEncrypted ?? from?.storageEncrypted ?? global?.storageEncrypted ?? false,
      kmsKeyId: input.KmsKeyId ?? from?.kmsKeyId,
      httpEndpointEnabled: input.EnableHttpEndpoint ?? false,
      tags: [...(input.Tags ?? [])],
      createTime: this.ctx.clock.date(),
      globalClusterId: global?.id,
      dbSubnetGroup: input.DBSubnetGroupName,
      vpcSecurityGroupIds: [...(input.VpcSecurityGroupIds ?? [])],
      copyTagsToSnapshot: input.CopyTagsToSnapshot ?? false,
      serverlessV2: input.ServerlessV2ScalingConfiguration
        ? {
            MinCapacity: input.ServerlessV2ScalingConfiguration.MinCapacity,
            MaxCapacity: input.ServerlessV2ScalingConfiguration.MaxCapacity,
          }
        : undefined,
      readOnly: false,
      hostSuffix: randomId(12),
    };
    if (cluster.storageEncrypted && !cluster.kmsKeyId) {
      cluster.kmsKeyId = `arn:aws:kms:${region}:${this.ctx.account}:key/${randomUUID()}`;
    }
    if (input.ManageMasterUserPassword) {
      if (input.MasterUserPassword) {
        fail(
          "InvalidParameterCombination",
          "You can't specify MasterUserPassword and ManageMasterUserPassword at the same time.",
        );
      }
      const secret = this.secrets.createManaged(
        region,
        `rds!cluster-${randomUUID()}`,
        JSON.stringify({ username: cluster.masterUsername, password: randomId(32) }),
        [
          { Key: "aws:rds:primaryDBClusterArn", Value: cluster.arn },
          { Key: "aws:secretsmanager:owningService", Value: "rds" },
        ],
      );
      cluster.masterUserSecretArn = secret.arn;
    }
    if (global) {
      const hasWriter = global.members.some((m) => m.isWriter);
      global.members.push({ arn: cluster.arn, isWriter: !hasWriter });
      cluster.readOnly = hasWriter;
    }
    this.state.clusters.push(cluster);
    this.ctx.jobs.schedule("rds.backup.daily", this.ctx.durations.automatedBackupInterval, cluster.arn);
    return cluster;
  }

  // ---------------------------------------------------------------- output shapes

  private clusterOut(c: Cluster): DBCluster {
    const host = `${c.id}.cluster-${c.hostSuffix}.${c.region}.rds.amazonaws.com`;
    const members = this.state.instances
      .filter((i) => i.region === c.region && i.clusterId === c.id)
      .map((i, index) => ({
        DBInstanceIdentifier: i.id,
        IsClusterWriter: !c.readOnly && index === 0,
        DBClusterParameterGroupStatus: "in-sync",
        PromotionTier: i.promotionTier,
      }));
    const now = this.ctx.clock.now();
    const global = this.globalOf(c);
    return {
      DBClusterIdentifier: c.id,
      DBClusterArn: c.arn,
      DbClusterResourceId: c.resourceId,
      Status: c.status,
      Engine: c.engine,
      EngineVersion: c.engineVersion,
      EngineMode: "provisioned",
      Port: c.port,
      MasterUsername: c.masterUsername,
      DatabaseName: c.databaseName,
      Endpoint: host,
      ReaderEndpoint: host.replace(".cluster-", ".cluster-ro-"),
      MultiAZ: members.length > 1,
      DBClusterMembers: members,
      DeletionProtection: c.deletionProtection,
      BackupRetentionPeriod: c.backupRetentionPeriod,
      PreferredBackupWindow: "03:00-04:00",
      StorageEncrypted: c.storageEncrypted,
      KmsKeyId: c.kmsKeyId,
      HttpEndpointEnabled: c.httpEndpointEnabled,
      MasterUserSecret: c.masterUserSecretArn
        ? { SecretArn: c.masterUserSecretArn, SecretStatus: "active", KmsKeyId: c.kmsKeyId }
        : undefined,
      TagList: c.tags.map((t) => ({ ...t })),
      ClusterCreateTime: c.createTime,
      EarliestRestorableTime: c.createTime,
      LatestRestorableTime: new Date(Math.max(c.createTime.getTime(), now - 5 * 60_000)),
      DBSubnetGroup: c.dbSubnetGroup,
      VpcSecurityGroups: c.vpcSecurityGroupIds.map((id) => ({ VpcSecurityGroupId: id, Status: "active" })),
      CopyTagsToSnapshot: c.copyTagsToSnapshot,
      ServerlessV2ScalingConfiguration: c.serverlessV2,
      GlobalClusterIdentifier: global?.id,
      GlobalWriteForwardingStatus: global ? "disabled" : undefined,
      ReplicationSourceIdentifier:
        global && c.readOnly ? global.members.find((m) => m.isWriter)?.arn : undefined,
      AllocatedStorage: 1,
      StorageType: "aurora",
    };
  }

  private instanceOut(i: Instance): DBInstance {
    const cluster = this.state.clusters.find((c) => c.region === i.region && c.id === i.clusterId);
    return {
      DBInstanceIdentifier: i.id,
      DBInstanceArn: i.arn,
      DBClusterIdentifier: i.clusterId,
      DBInstanceStatus: i.status,
      DBInstanceClass: i.instanceClass,
      Engine: i.engine,
      EngineVersion: cluster?.engineVersion,
      InstanceCreateTime: i.createTime,
      AvailabilityZone: i.availabilityZone,
      PromotionTier: i.promotionTier,
      Endpoint: cluster
        ? { Address: `${i.id}.${cluster.hostSuffix}.${i.region}.rds.amazonaws.com`, Port: cluster.port }
        : undefined,
      StorageEncrypted: cluster?.storageEncrypted,
      TagList: i.tags.map((t) => ({ ...t })),
    };
  }

  private snapshotOut(s: Snapshot): DBClusterSnapshot {
    return {
      DBClusterSnapshotIdentifier: s.id,
      DBClusterSnapshotArn: s.arn,
      DBClusterIdentifier: s.clusterId,
      SnapshotCreateTime: s.createTime,
      ClusterCreateTime: s.clusterCreateTime,
      Engine: s.engine,
      EngineVersion: s.engineVersion,
      Status: s.status,
      PercentProgress: s.status === "available" ? 100 : 0,
      SnapshotType: s.type,
      StorageEncrypted: s.storageEncrypted,
      KmsKeyId: s.kmsKeyId,
      Port: s.port,
      MasterUsername: s.masterUsername,
      AllocatedStorage: 1,
      SourceDBClusterSnapshotArn: s.sourceArn,
      TagList: s.tags.map((t) => ({ ...t })),
    };
  }

  private globalOut(g: Global): GlobalCluster {
    return {
      GlobalClusterIdentifier: g.id,
      GlobalClusterArn: g.arn,
      GlobalClusterResourceId: g.resourceId,
      Status: g.status,
      Engine: g.engine,
      EngineVersion: g.engineVersion,
      StorageEncrypted: g.storageEncrypted,
      DeletionProtection: g.deletionProtection,
      DatabaseName: g.databaseName,
      GlobalClusterMembers: g.members.map((m) => ({
        DBClusterArn: m.arn,
        IsWriter: m.isWriter,
        Readers: m.isWriter ? g.members.filter((o) => !o.isWriter).map((o) => o.arn) : [],
        GlobalWriteForwardingStatus: "disabled",
        SynchronizationStatus: "connected",
      })),
      // `switching-over` is a value the RDS API reference documents for FailoverState.Status (a
      // switchover's internal steps) beside pending, failing-over and cancelling; the SDK's enum, from an
      // older model, lacks it: hence the cast.
      FailoverState: g.failoverState
        ? {
            ...g.failoverState,
            Status: g.failoverState.Status as NonNullable<GlobalCluster["FailoverState"]>["Status"],
          }
        : undefined,
    };
  }

  // ---------------------------------------------------------------- operations

  /** Moves a cluster through `through` (now) to `to` after `delayMs` on the clock. */
  private changeStatus(
    cluster: { arn: string; status: string },
    through: string,
    to: string,
    delayMs: number,
  ): void {
    cluster.status = through;
    this.ctx.jobs.schedule("rds.cluster.status", delayMs, { arn: cluster.arn, status: to });
  }

  readonly operations = {
    CreateDBCluster: async (input: CreateDBClusterCommandInput, region: string) => {
      const cluster = this.newCluster(region, input);
      const d = this.ctx.durations;
      this.ctx.jobs.schedule("rds.cluster.status", d.auroraClusterCreate, {
        arn: cluster.arn,
        status: "backing-up",
        next: "available",
        delay: d.auroraInitialBackup,
      });
      if (cluster.readOnly) {
        const global = this.globalOf(cluster);
        const writer = global?.members.find((m) => m.isWriter);
        if (writer) await this.seedFrom(cluster.arn, writer.arn);
      }
      return { DBCluster: this.clusterOut(cluster) };
    },
    DescribeDBClusters: (input: DescribeDBClustersCommandInput, region: string) => {
      if (input.DBClusterIdentifier) {
        return { DBClusters: [this.clusterOut(this.cluster(region, input.DBClusterIdentifier))] };
      }
      const clusters = this.state.clusters
        .filter((c) => c.region === region)
        .filter((c) =>
          matchesFilters(input.Filters, () => ({
            "db-cluster-id": [c.id, c.arn],
            "db-cluster-resource-id": [c.resourceId],
            engine: [c.engine],
            "global-cluster-id": c.globalClusterId ? [c.globalClusterId] : [],
            ...tagValues(c.tags),
          })),
        );
      const page = pageOf(clusters, (c) => c.arn, input);
      return { DBClusters: page.items.map((c) => this.clusterOut(c)), ...page.marker };
    },
    ModifyDBCluster: (input: ModifyDBClusterCommandInput, region: string) => {
      const cluster = this.cluster(region, input.DBClusterIdentifier);
      if (cluster.status !== "available") {
        fail(
          "InvalidDBClusterStateFault",
          `DB cluster ${cluster.id} is not currently in the available state.`,
        );
      }
      if (input.DeletionProtection !== undefined) cluster.deletionProtection = input.DeletionProtection;
      if (input.BackupRetentionPeriod !== undefined)
        cluster.backupRetentionPeriod = input.BackupRetentionPeriod;
      if (input.EnableHttpEndpoint !== undefined) cluster.httpEndpointEnabled = input.EnableHttpEndpoint;
      if (input.CopyTagsToSnapshot !== undefined) cluster.copyTagsToSnapshot = input.CopyTagsToSnapshot;
      if (input.EngineVersion !== undefined) cluster.engineVersion = input.EngineVersion;
      if (input.ServerlessV2ScalingConfiguration) {
        cluster.serverlessV2 = {
          MinCapacity: input.ServerlessV2ScalingConfiguration.MinCapacity,
          MaxCapacity: input.ServerlessV2ScalingConfiguration.MaxCapacity,
        };
      }
      if (input.VpcSecurityGroupIds) cluster.vpcSecurityGroupIds = [...input.VpcSecurityGroupIds];
      if (input.NewDBClusterIdentifier) {
        const newId = this.validId(input.NewDBClusterIdentifier, "NewDBClusterIdentifier");
        if (this.state.clusters.some((c) => c.region === region && c.id === newId)) {
          fail("DBClusterAlreadyExistsFault", "DB Cluster already exists");
        }
        for (const i of this.state.instances)
          if (i.region === region && i.clusterId === cluster.id) i.clusterId = newId;
        cluster.id = newId;
      }
      const needsWork = input.EngineVersion !== undefined || input.NewDBClusterIdentifier !== undefined;
      if (needsWork) {
        this.changeStatus(cluster, "modifying", "available", this.ctx.durations.auroraModify);
      }
      return { DBCluster: this.clusterOut(cluster) };
    },
    StopDBCluster: (input: StopDBClusterCommandInput, region: string) => {
      const cluster = this.cluster(region, input.DBClusterIdentifier);
      if (cluster.status !== "available")
        fail(
          "InvalidDBClusterStateFault",
          `DbCluster ${cluster.id} is in ${cluster.status} state but expected it to be one of available.`,
        );
      if (cluster.globalClusterId)
        fail("InvalidDBClusterStateFault", "Stop is not supported for global database members.");
      this.changeStatus(cluster, "stopping", "stopped", this.ctx.durations.auroraModify);
      return { DBCluster: this.clusterOut(cluster) };
    },
    StartDBCluster: (input: StartDBClusterCommandInput, region: string) => {
      const cluster = this.cluster(region, input.DBClusterIdentifier);
      if (cluster.status !== "stopped")
        fail(
          "InvalidDBClusterStateFault",
          `DbCluster ${cluster.id} is in ${cluster.status} state but expected it to be one of stopped.`,
        );
      this.changeStatus(cluster, "starting", "available", this.ctx.durations.auroraModify);
      return { DBCluster: this.clusterOut(cluster) };
    },
    DeleteDBCluster: async (input: DeleteDBClusterCommandInput, region: string) => {
      const cluster = this.cluster(region, input.DBClusterIdentifier);
      if (cluster.deletionProtection) {
        fail(
          "InvalidParameterCombination",
          "Cannot delete protected Cluster, please disable deletion protection and try again.",
        );
      }
      if (cluster.status === "deleting")
        fail("InvalidDBClusterStateFault", `Cluster ${cluster.id} is already being deleted.`);
      if (
        cluster.status !== "available" &&
        cluster.status !== "stopped" &&
        cluster.status !== "incompatible-restore"
      ) {
        fail(
          "InvalidDBClusterStateFault",
          `Cluster ${cluster.id} is not in the available state (status: ${cluster.status}).`,
        );
      }
      if (
        this.state.instances.some(
          (i) => i.region === region && i.clusterId === cluster.id && i.status !== "deleting",
        )
      ) {
        fail(
          "InvalidDBClusterStateFault",
          "Cluster cannot be deleted, it still contains DB instances in non-deleting state.",
        );
      }
      if (cluster.globalClusterId) {
        fail(
          "InvalidDBClusterStateFault",
          `This cluster is a part of a global cluster, please remove it from globalcluster first`,
        );
      }
      if (!input.SkipFinalSnapshot) {
        const finalId = input.FinalDBSnapshotIdentifier;
        if (!finalId)
          fail(
            "InvalidParameterValue",
            "FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.",
          );
        const snapshotId = this.validId(finalId, "FinalDBSnapshotIdentifier");
        if (this.state.snapshots.some((s) => s.region === region && s.id === snapshotId)) {
          fail(
            "DBClusterSnapshotAlreadyExistsFault",
            `Cannot create the cluster snapshot because one with the identifier ${snapshotId} already exists.`,
          );
        }
        this.takeSnapshot(cluster, "manual", snapshotId);
        await this.snapshotData.get(this.arn(region, "cluster-snapshot", snapshotId));
      }
      cluster.status = "deleting";
      this.ctx.jobs.cancelWhere("rds.cluster.status", (a) => (a as { arn: string }).arn === cluster.arn);
      this.ctx.jobs.schedule("rds.cluster.gone", this.ctx.durations.auroraClusterDelete, cluster.arn);
      const out = this.clusterOut(cluster);
      // Automated backups go with the cluster (AWS keeps them only when asked to).
      this.state.snapshots = this.state.snapshots.filter(
        (s) => !(s.type === "automated" && s.region === region && s.clusterId === cluster.id),
      );
      return { DBCluster: out };
    },
    CreateDBInstance: (input: CreateDBInstanceCommandInput, region: string) => {
      const id = this.validId(input.DBInstanceIdentifier, "DBInstanceIdentifier");
      if (this.state.instances.some((i) => i.region === region && i.id === id)) {
        fail("DBInstanceAlreadyExists", "DB instance already exists");
      }
      if (!input.DBClusterIdentifier)
        fail("InvalidParameterValue", "Aurora instances require a DBClusterIdentifier.");
      const cluster = this.cluster(region, input.DBClusterIdentifier);
      if (cluster.status === "deleting")
        fail("InvalidDBClusterStateFault", `DB cluster ${cluster.id} is being deleted.`);
      if (!input.DBInstanceClass)
        fail(
          "InvalidParameterValue",
          "The parameter DBInstanceClass must be provided and must not be blank.",
        );
      const instance: Instance = {
        region,
        id,
        arn: this.arn(region, "db", id),
        clusterId: cluster.id,
        status: "creating",
        instanceClass: input.DBInstanceClass,
        engine: input.Engine ?? cluster.engine,
        createTime: this.ctx.clock.date(),
        tags: [...(input.Tags ?? [])],
        promotionTier: input.PromotionTier ?? 1,
        availabilityZone:
          input.AvailabilityZone ??
          `${region}${"abc"[this.state.instances.filter((i) => i.clusterId === cluster.id).length % 3]}`,
      };
      this.state.instances.push(instance);
      const instanceCreate = this.ctx.durations.auroraInstanceCreate;
      // An instance becomes available no earlier than its cluster.
      const clusterJob = this.ctx.jobs
        .list()
        .find((j) => j.kind === "rds.cluster.status" && (j.args as { arn: string }).arn === cluster.arn);
      const clusterReady = clusterJob ? clusterJob.due - this.ctx.clock.now() : 0;
      this.ctx.jobs.schedule("rds.instance.status", Math.max(instanceCreate, clusterReady), {
        arn: instance.arn,
        status: "available",
      });
      return { DBInstance: this.instanceOut(instance) };
    },
    DescribeDBInstances: (input: DescribeDBInstancesCommandInput, region: string) => {
      if (input.DBInstanceIdentifier)
        return { DBInstances: [this.instanceOut(this.instance(region, input.DBInstanceIdentifier))] };
      const instances = this.state.instances
        .filter((i) => i.region === region)
        .filter((i) =>
          matchesFilters(input.Filters, () => ({
            "db-instance-id": [i.id, i.arn],
            "db-cluster-id": [i.clusterId, this.arn(region, "cluster", i.clusterId)],
            engine: [i.engine],
            ...tagValues(i.tags),
          })),
        );
      return { DBInstances: instances.map((i) => this.instanceOut(i)) };
    },
    DeleteDBInstance: (input: DeleteDBInstanceCommandInput, region: string) => {
      const instance = this.instance(region, input.DBInstanceIdentifier);
      if (instance.status === "deleting")
        fail("InvalidDBInstanceState", `Instance ${instance.id} is already being deleted.`);
      instance.status = "deleting";
      this.ctx.jobs.cancelWhere("rds.instance.status", (a) => (a as { arn: string }).arn === instance.arn);
      this.ctx.jobs.schedule("rds.instance.gone", this.ctx.durations.auroraInstanceDelete, instance.arn);
      return { DBInstance: this.instanceOut(instance) };
    },
    CreateDBClusterSnapshot: async (input: CreateDBClusterSnapshotCommandInput, region: string) => {
      const cluster = this.cluster(region, input.DBClusterIdentifier);
      const id = this.validId(input.DBClusterSnapshotIdentifier, "DBClusterSnapshotIdentifier");
      if (this.state.snapshots.some((s) => s.region === region && s.id === id)) {
        fail(
          "DBClusterSnapshotAlreadyExistsFault",
          `Cannot create the cluster snapshot because one with the identifier ${id} already exists.`,
        );
      }
      if (cluster.status !== "available") {
        fail(
          "InvalidDBClusterStateFault",
          `Cannot create a snapshot because the database instance ${cluster.id} is not currently in the available state.`,
        );
      }
      const snapshot = this.takeSnapshot(cluster, "manual", id, [...(input.Tags ?? [])]);
      await this.snapshotData.get(snapshot.arn);
      return { DBClusterSnapshot: this.snapshotOut(snapshot) };
    },
    DescribeDBClusterSnapshots: (input: DescribeDBClusterSnapshotsCommandInput, region: string) => {
      if (input.DBClusterSnapshotIdentifier) {
        return {
          DBClusterSnapshots: [this.snapshotOut(this.snapshot(region, input.DBClusterSnapshotIdentifier))],
        };
      }
      // An unknown cluster id answers an empty list, as on AWS.
      const snapshots = this.state.snapshots
        .filter((s) => s.region === region)
        .filter(
          (s) =>
            !input.DBClusterIdentifier ||
            s.clusterId === input.DBClusterIdentifier.toLowerCase() ||
            this.arn(region, "cluster", s.clusterId) === input.DBClusterIdentifier,
        )
        .filter((s) => !input.SnapshotType || s.type === input.SnapshotType)
        .filter((s) =>
          matchesFilters(input.Filters, () => ({
            "db-cluster-id": [s.clusterId, this.arn(region, "cluster", s.clusterId)],
            "db-cluster-snapshot-id": [s.id, s.arn],
            "snapshot-type": [s.type],
            engine: [s.engine],
            ...tagValues(s.tags),
          })),
        )
        .sort((a, b) => a.createTime.getTime() - b.createTime.getTime());
      const page = pageOf(snapshots, (s) => s.arn, input);
      return { DBClusterSnapshots: page.items.map((s) => this.snapshotOut(s)), ...page.marker };
    },
    DeleteDBClusterSnapshot: (input: DeleteDBClusterSnapshotCommandInput, region: string) => {
      const snapshot = this.snapshot(region, input.DBClusterSnapshotIdentifier);
      if (snapshot.type === "automated")
        fail(
          "InvalidDBClusterSnapshotStateFault",
          "Cannot delete an automated snapshot; it is deleted with its retention period.",
        );
      if (snapshot.status !== "available")
        fail("InvalidDBClusterSnapshotStateFault", `Snapshot ${snapshot.id} is not in the available state.`);
      this.state.snapshots = this.state.snapshots.filter((s) => s !== snapshot);
      this.snapshotData.delete(snapshot.arn);
      return { DBClusterSnapshot: { ...this.snapshotOut(snapshot), Status: "deleted" } };
    },
    CopyDBClusterSnapshot: (input: CopyDBClusterSnapshotCommandInput, region: string) => {
      const sourceId = input.SourceDBClusterSnapshotIdentifier;
      const sourceRegion = sourceId?.startsWith("arn:") ? (sourceId.split(":")[3] ?? region) : region;
      const source = this.snapshot(sourceRegion, sourceId);
      if (source.status !== "available")
        fail("InvalidDBClusterSnapshotStateFault", `Snapshot ${source.id} is not in the available state.`);
      if (sourceRegion !== region && source.storageEncrypted && !input.KmsKeyId) {
        fail(
          "InvalidParameterValue",
          "KmsKeyId is required to copy an encrypted snapshot to another region.",
        );
      }
      const id = this.validId(input.TargetDBClusterSnapshotIdentifier, "TargetDBClusterSnapshotIdentifier");
      if (this.state.snapshots.some((s) => s.region === region && s.id === id)) {
        fail(
          "DBClusterSnapshotAlreadyExistsFault",
          `Cannot create the cluster snapshot because one with the identifier ${id} already exists.`,
        );
      }
      const copy: Snapshot = frozenSnapshot({
        ...source,
        region,
        id,
        arn: this.arn(region, "cluster-snapshot", id),
        status: "copying",
        type: "manual",
        createTime: source.createTime,
        kmsKeyId: input.KmsKeyId ?? source.kmsKeyId,
        tags: [...(input.CopyTags ? source.tags : []), ...(input.Tags ?? [])].map((t) => ({ ...t })),
        sourceArn: source.arn,
      });
      this.state.snapshots.push(copy);
      this.snapshotData.set(copy.arn, this.snapshotData.get(source.arn) ?? Promise.resolve({}));
      const delay =
        sourceRegion === region ? this.ctx.durations.clusterSnapshot : this.ctx.durations.snapshotCopy;
      this.ctx.jobs.schedule("rds.snapshot.available", delay, copy.arn);
      return { DBClusterSnapshot: this.snapshotOut(copy) };
    },
    RestoreDBClusterFromSnapshot: async (input: RestoreDBClusterFromSnapshotCommandInput, region: string) => {
      const snapshot = this.snapshot(region, input.SnapshotIdentifier);
      if (snapshot.status !== "available")
        fail("InvalidDBClusterSnapshotStateFault", `Snapshot ${snapshot.id} is not in the available state.`);
      const cluster = this.newCluster(
        region,
        {
          ...input,
          Engine: input.Engine,
          DBClusterIdentifier: input.DBClusterIdentifier,
          KmsKeyId: input.KmsKeyId ?? snapshot.kmsKeyId,
        },
        snapshot,
      );
      const image: DataImage = (await this.snapshotData.get(snapshot.arn)) ?? {};
      await this.databases.seed(cluster.arn, { data: image.data, corruption: snapshot.corruption });
      this.ctx.jobs.schedule("rds.cluster.status", this.ctx.durations.restoreFromSnapshot, {
        arn: cluster.arn,
        status: snapshot.corruption === "unrestorable" ? "incompatible-restore" : "available",
      });
      return { DBCluster: this.clusterOut(cluster) };
    },
    RestoreDBClusterToPointInTime: async (
      input: RestoreDBClusterToPointInTimeCommandInput,
      region: string,
    ) => {
      const source = this.cluster(region, input.SourceDBClusterIdentifier);
      // "Users can restore to any point in time before LatestRestorableTime for up to
      // BackupRetentionPeriod days" (API reference): a time outside the window DescribeDBClusters
      // reports is refused, not restored as some other time.
      if (input.RestoreToTime !== undefined && input.UseLatestRestorableTime !== true) {
        const { EarliestRestorableTime: earliest, LatestRestorableTime: latest } = this.clusterOut(source);
        const at = new Date(input.RestoreToTime);
        if (earliest && latest && (at < earliest || at > latest)) {
          fail(
            "InvalidRestoreFault",
            `RestoreToTime ${at.toISOString()} is outside the restorable window of DB cluster ${source.id}: ${earliest.toISOString()} to ${latest.toISOString()}.`,
          );
        }
      }
      const cluster = this.newCluster(region, {
        ...input,
        DBClusterIdentifier: input.DBClusterIdentifier,
        Engine: source.engine,
        MasterUsername: source.masterUsername,
        DatabaseName: source.databaseName,
        StorageEncrypted: source.storageEncrypted,
        KmsKeyId: input.KmsKeyId ?? source.kmsKeyId,
      });
      // The restore point is "now": the data as it is at the call (RestoreToTime is accepted, not honoured).
      await this.seedFrom(cluster.arn, source.arn);
      this.ctx.jobs.schedule("rds.cluster.status", this.ctx.durations.restoreFromSnapshot, {
        arn: cluster.arn,
        status: "available",
      });
      return { DBCluster: this.clusterOut(cluster) };
    },
    CreateGlobalCluster: (input: CreateGlobalClusterCommandInput, region: string) => {
      const id =
        input.GlobalClusterIdentifier ??
        fail("InvalidParameterValue", "GlobalClusterIdentifier is required.");
      if (this.state.globals.some((g) => g.id === id))
        fail("GlobalClusterAlreadyExistsFault", `Global cluster ${id} already exists`);
      const source = input.SourceDBClusterIdentifier
        ? this.cluster(region, input.SourceDBClusterIdentifier)
        : undefined;
      if (source?.globalClusterId)
        fail("InvalidDBClusterStateFault", `Cluster ${source.id} is already a member of a global cluster.`);
      if (source && source.status !== "available")
        fail("InvalidDBClusterStateFault", `Source cluster ${source.id} is not available.`);
      const global: Global = {
        id,
        arn: `arn:aws:rds::${this.ctx.account}:global-cluster:${id}`,
        resourceId: `cluster-${randomId(16)}`,
        status: "available",
        engine: input.Engine ?? source?.engine ?? "aurora-postgresql",
        engineVersion: input.EngineVersion ?? source?.engineVersion ?? DEFAULT_ENGINE_VERSION,
        storageEncrypted: input.StorageEncrypted ?? source?.storageEncrypted ?? false,
        deletionProtection: input.DeletionProtection ?? false,
        databaseName: input.DatabaseName ?? source?.databaseName,
        members: source ? [{ arn: source.arn, isWriter: true }] : [],
        tags: [...(input.Tags ?? [])],
      };
      if (source) source.globalClusterId = id;
      this.state.globals.push(global);
      return { GlobalCluster: this.globalOut(global) };
    },
    DescribeGlobalClusters: (input: DescribeGlobalClustersCommandInput) => {
      if (input.GlobalClusterIdentifier)
        return { GlobalClusters: [this.globalOut(this.globalCluster(input.GlobalClusterIdentifier))] };
      const page = pageOf(this.state.globals, (g) => g.id, input);
      return { GlobalClusters: page.items.map((g) => this.globalOut(g)), ...page.marker };
    },
    RemoveFromGlobalCluster: (input: RemoveFromGlobalClusterCommandInput) => {
      const global = this.globalCluster(input.GlobalClusterIdentifier);
      const member = global.members.find((m) => m.arn === input.DbClusterIdentifier);
      if (!member)
        fail(
          "DBClusterNotFoundFault",
          `DBCluster ${input.DbClusterIdentifier} not found in global cluster ${global.id}.`,
        );
      // AWS detaches a global database's writer last: only once it is the only member.
      if (member.isWriter && global.members.length > 1)
        fail(
          "InvalidGlobalClusterStateFault",
          `The primary cluster of global cluster ${global.id} can't be removed while the global cluster has other members.`,
        );
      global.members = global.members.filter((m) => m !== member);
      const cluster = this.clusterByArn(member.arn);
      if (cluster) {
        cluster.globalClusterId = undefined;
        cluster.readOnly = false;
      }
      return { GlobalCluster: this.globalOut(global) };
    },
    DeleteGlobalCluster: (input: DeleteGlobalClusterCommandInput) => {
      const global = this.globalCluster(input.GlobalClusterIdentifier);
      if (global.members.length > 0)
        fail("InvalidGlobalClusterStateFault", `Global cluster ${global.id} still has members.`);
      if (global.deletionProtection)
        fail("InvalidParameterCombination", "Cannot delete protected global cluster.");
      this.state.globals = this.state.globals.filter((g) => g !== global);
      return { GlobalCluster: { ...this.globalOut(global), Status: "deleting" } };
    },
    SwitchoverGlobalCluster: (input: SwitchoverGlobalClusterCommandInput) =>
      this.moveWriter(
        input.GlobalClusterIdentifier,
        input.TargetDbClusterIdentifier,
        false,
        "switching-over",
      ),
    FailoverGlobalCluster: (input: FailoverGlobalClusterCommandInput) => {
      if (!input.AllowDataLoss && !input.Switchover) {
        // Without either flag AWS performs a managed switchover.
        return this.moveWriter(
          input.GlobalClusterIdentifier,
          input.TargetDbClusterIdentifier,
          false,
          "switching-over",
        );
      }
      return this.moveWriter(
        input.GlobalClusterIdentifier,
        input.TargetDbClusterIdentifier,
        Boolean(input.AllowDataLoss),
        "failing-over",
      );
    },
    AddTagsToResource: (input: AddTagsToResourceCommandInput) => {
      const target = this.taggable(input.ResourceName);
      const added = new Set((input.Tags ?? []).map((t) => t.Key));
      this.retag(target, [
        ...target.tags.filter((t) => !added.has(t.Key)),
        ...(input.Tags ?? []).map((t) => ({ Key: t.Key, Value: t.Value })),
      ]);
      return {};
    },
    RemoveTagsFromResource: (input: RemoveTagsFromResourceCommandInput) => {
      const target = this.taggable(input.ResourceName);
      this.retag(
        target,
        target.tags.filter((t) => !(input.TagKeys ?? []).includes(t.Key ?? "")),
      );
      return {};
    },
    ListTagsForResource: (input: ListTagsForResourceCommandInput) => ({
      TagList: this.taggable(input.ResourceName).tags.map((t) => ({ ...t })),
    }),
  };

  /** Gives a resource its new tags: a snapshot is replaced (it is a value), the others change in place. */
  private retag(target: { tags: Tag[] }, tags: Tag[]): void {
    if (this.state.snapshots.includes(target as Snapshot)) this.replaceSnapshot(target as Snapshot, { tags });
    else target.tags = tags;
  }

  private taggable(arn: string | undefined): { tags: Tag[] } {
    const found =
      this.state.clusters.find((c) => c.arn === arn) ??
      this.state.instances.find((i) => i.arn === arn) ??
      this.state.snapshots.find((s) => s.arn === arn);
    if (found) return found;
    const global = this.state.globals.find((g) => g.arn === arn);
    if (global) {
      global.tags ??= [];
      return global as { tags: Tag[] };
    }
    const kind = arn?.split(":")[5];
    if (kind === "global-cluster") fail("GlobalClusterNotFoundFault", `GlobalCluster ${arn} not found.`);
    if (kind === "db") fail("DBInstanceNotFound", `DBInstance ${arn} not found.`);
    if (kind === "cluster-snapshot")
      fail("DBClusterSnapshotNotFoundFault", `DBClusterSnapshot ${arn} not found.`);
    fail("DBClusterNotFoundFault", `DBCluster ${arn} not found.`);
  }

  private moveWriter(
    globalId: string | undefined,
    target: string | undefined,
    dataLoss: boolean,
    status: string,
  ) {
    const global = this.globalCluster(globalId);
    if (global.status !== "available")
      fail("InvalidGlobalClusterStateFault", `Global cluster ${global.id} is in ${global.status} state.`);
    const member = global.members.find((m) => m.arn === target || this.clusterByArn(m.arn)?.id === target);
    if (!member)
      fail("DBClusterNotFoundFault", `DBCluster ${target} not found in global cluster ${global.id}.`);
    if (member.isWriter)
      fail(
        "InvalidGlobalClusterStateFault",
        `${target} is already the writer of global cluster ${global.id}.`,
      );
    const from = global.members.find((m) => m.isWriter);
    const fromCluster = from ? this.clusterByArn(from.arn) : undefined;
    if (!dataLoss && fromCluster && this.ctx.isRegionDown(fromCluster.region)) {
      fail(
        "InvalidGlobalClusterStateFault",
        `The primary cluster of ${global.id} is unreachable; a switchover needs a healthy primary. Use FailoverGlobalCluster with AllowDataLoss.`,
      );
    }
    global.status = status;
    global.failoverState = {
      Status: dataLoss ? "failing-over" : "switching-over",
      FromDbClusterArn: from?.arn ?? "",
      ToDbClusterArn: member.arn,
      IsDataLossAllowed: dataLoss,
    };
    for (const m of global.members) {
      const cluster = this.clusterByArn(m.arn);
      if (cluster && !(dataLoss && m === from))
        cluster.status = status === "failing-over" ? "failing-over" : "modifying";
    }
    const delay = dataLoss ? this.ctx.durations.globalFailover : this.ctx.durations.globalSwitchover;
    this.ctx.jobs.schedule("rds.global.done", delay, { id: global.id, writer: member.arn, dataLoss });
    return { GlobalCluster: this.globalOut(global) };
  }

  /** Starts `targetArn`'s database from `sourceArn`'s data as of now. */
  async seedFrom(targetArn: string, sourceArn: string): Promise<void> {
    const image = await this.databases.image(sourceArn);
    await this.databases.seed(targetArn, { data: image.data });
  }

  describe(): Record<string, Record<string, unknown[]>> {
    const out: Record<string, Record<string, unknown[]>> = {};
    for (const c of this.state.clusters) {
      addTo(out, c.region, "clusters", {
        id: c.id,
        status: c.status,
        engine: `${c.engine} ${c.engineVersion}`,
        ...(c.globalClusterId
          ? { global: c.globalClusterId, role: c.readOnly ? "secondary" : "primary" }
          : {}),
        dataApi: c.httpEndpointEnabled,
      });
    }
    for (const i of this.state.instances)
      addTo(out, i.region, "instances", {
        id: i.id,
        cluster: i.clusterId,
        status: i.status,
        class: i.instanceClass,
      });
    for (const s of this.state.snapshots) {
      addTo(out, s.region, "snapshots", {
        id: s.id,
        cluster: s.clusterId,
        type: s.type,
        status: s.status,
        created: s.createTime.toISOString(),
        ...(s.corruption ? { corruption: s.corruption } : {}),
      });
    }
    if (this.state.globals.length > 0) {
      out.global = {
        globalClusters: this.state.globals.map((g) => ({
          id: g.id,
          status: g.status,
          members: g.members.map((m) => `${m.isWriter ? "writer" : "reader"} ${m.arn}`),
        })),
      };
    }
    return out;
  }

  /**
   * The state now, and an image file for every cluster and snapshot with data. The state is taken
   * before the first await (the cloud saves all services in one tick); images are written after. An
   * image is immutable and written once, whoever refers to it (snapshots of unchanged data, copies,
   * restores, closed databases share one file), so that the state saved before keeps its own files
   * until it is replaced (`afterCommit` then removes those nothing refers to). A checkpoint costs a
   * database dump only for open databases used since their last image.
   */
  save(dir: string): Promise<JsonText> {
    // Serialized again only once a path that may change RDS ran since the last save (changes.ts); the
    // images below are asked of the databases every time (they know what was used since their last).
    const state = this.saved.take(
      this.ctx.changes?.token(this.name),
      () => this.state,
      () => this.stateText(),
    );
    const images: { key: string; take: () => Promise<DataImage> }[] = [
      ...[...this.snapshotData].map(([key, image]) => ({ key, take: () => image })),
      ...this.databases
        .keys()
        .map((key) => ({ key, take: () => this.databases.image(key, { track: false }) })),
    ];
    return this.writeImages(join(dir, "rds"), images).then((files) => objectText({ state, files }));
  }

  /**
   * `toJsonText(this.state)`, with each snapshot's text taken from the last save when that snapshot
   * is the same value (snapshots are replaced, never changed: `frozenSnapshot`).
   */
  private stateText(): JsonText {
    const { clusters, instances, snapshots, globals } = this.state;
    const pieces: Uint8Array[] = [];
    for (const snapshot of snapshots) {
      let text = this.snapshotTexts.get(snapshot);
      if (!text) {
        text = Buffer.from(toJsonText(snapshot).text, "utf8");
        this.snapshotTexts.set(snapshot, text);
      }
      if (pieces.length > 0) pieces.push(COMMA);
      pieces.push(text);
    }
    return objectText({
      clusters: toJsonText(clusters),
      instances: toJsonText(instances),
      snapshots: new JsonText(["[", Buffer.concat(pieces), "]"]),
      globals: toJsonText(globals),
    });
  }

  private async writeImages(
    folder: string,
    images: readonly { key: string; take: () => Promise<DataImage> }[],
  ): Promise<Record<string, string>> {
    await mkdir(folder, { recursive: true });
    const files: Record<string, string> = {};
    for (const { key, take } of images) {
      // A cluster dropped meanwhile has nothing to dump: its state was taken before, without data.
      const image = await take().catch(() => ({}) as DataImage);
      if (image.data) files[key] = await image.data.storeIn(folder);
    }
    this.savedFiles = new Set(Object.values(files));
    return files;
  }

  /** Images referred to now by snapshots and databases (their files stay). */
  private async liveImages(): Promise<Image[]> {
    const snapshots = await Promise.all(
      [...this.snapshotData.values()].map((image) => image.catch(() => ({}) as DataImage)),
    );
    return [...snapshots.flatMap((s) => (s.data ? [s.data] : [])), ...this.databases.images()];
  }

  /** The state last saved is the one on disk now: images nothing refers to any more go. */
  async afterCommit(dir: string): Promise<void> {
    const folder = join(dir, "rds");
    // What is kept is asked once the folder is listed: an image stored meanwhile (a database
    // closing) is referred to by then, if only as the image being stored.
    await removeUnreferenced(folder, async () => {
      const keep = new Set(this.savedFiles);
      for (const image of await this.liveImages()) {
        const file = image.file ?? image.storing;
        if (file && dirname(file) === folder) keep.add(basename(file));
      }
      return keep;
    });
  }

  async load(saved: Json, dir: string): Promise<void> {
    const { state, files } = fromJson<{ state: State; files: Record<string, string> }>(saved);
    this.state = { ...state, snapshots: state.snapshots.map(frozenSnapshot) };
    // Images stay in their files until a database opens from one; the same file is one image.
    const images = new Map<string, Image>();
    const read = (key: string): DataImage => {
      const file = files[key];
      if (!file) return {};
      let image = images.get(file);
      if (!image) {
        image = Image.inFile(join(dir, "rds", file));
        images.set(file, image);
      }
      return { data: image };
    };
    for (const s of state.snapshots) this.snapshotData.set(s.arn, Promise.resolve(read(s.arn)));
    for (const c of state.clusters) {
      const image = read(c.arn);
      if (image.data) await this.databases.seed(c.arn, image);
    }
    this.savedFiles = new Set(Object.values(files));
  }
}

/**
 * A Describe's page as RDS pages: at most `MaxRecords` (20 to 100, default 100) and a `Marker` when more
 * follow. The marker names the last item returned, so the next page starts after it even when items
 * were added before it meanwhile (and where it stood, when it is gone).
 */
function pageOf<T>(
  items: readonly T[],
  key: (item: T) => string,
  input: { MaxRecords?: number; Marker?: string },
): { items: T[]; marker: { Marker?: string } } {
  const max = input.MaxRecords ?? 100;
  if (!Number.isInteger(max) || max < 20 || max > 100)
    fail("InvalidParameterValue", `Invalid value ${max} for MaxRecords. Must be between 20 and 100`);
  let start = 0;
  if (input.Marker) {
    const [index, last] = Buffer.from(input.Marker, "base64url").toString().split("\n");
    const at = items.findIndex((item) => key(item) === last);
    // Gone since: the item that followed it has moved up into its place.
    start = at >= 0 ? at + 1 : Math.max(0, Number(index) - 1);
    if (!Number.isInteger(start) || start < 0) fail("InvalidParameterValue", "Invalid marker");
  }
  const page = items.slice(start, start + max);
  const end = start + page.length;
  const marker =
    end < items.length
      ? { Marker: Buffer.from(`${end}\n${key(items[end - 1] as T)}`).toString("base64url") }
      : {};
  return { items: page, marker };
}

function tagValues(tags: readonly Tag[]): Record<string, string[]> {
  return Object.fromEntries(tags.map((t) => [`tag:${t.Key}`, [t.Value ?? ""]]));
}

/** Whether an item passes a Describe's filters; its values are built only when there are filters. */
function matchesFilters(
  filters: readonly Filter[] | undefined,
  valuesOf: () => Record<string, string[]>,
): boolean {
  if (!filters?.length) return true;
  const values = valuesOf();
  return filters.every((f) => {
    const have = values[f.Name ?? ""];
    if (!have) return !f.Name?.startsWith("tag:");
    return (f.Values ?? []).some((v) => have.includes(v) || have.includes(v.toLowerCase()));
  });
}
