/**
 * DR readiness: for the platform, its secondary EKS and every active tenant, whether what a failover
 * would promote or restore is there and fresh enough for the tier's RPO: a global secondary whose
 * replication lag (AuroraGlobalDBRPOLag) is within it, or a copy in the paired region whose data is no
 * older than it (the copy's age, or less when the copy pipeline proved the cluster wrote nothing since).
 * Green: ready; amber: ready but unproven (no lag data yet, a tenant's first copy still on its way);
 * red: a failover now would miss the target or has nothing to restore.
 */
import { DescribeNodegroupCommand } from "@aws-sdk/client-eks";
import { awsNow } from "../../shared/aws-clients.ts";
import { listTenantBriefs, type TenantBrief } from "../../tenant/lib/registry.ts";
import { TIERS } from "../../tenant/lib/tiers.ts";
import { eksIn, isOutage, otherRegion, platform, regionOfArn, regionPair } from "./aws.ts";
import { type Demand, describeCapacity, judgeCapacity } from "./capacity.ts";
import { newestCopy } from "./copies.ts";
import { type CopyProof, readCopyProofs } from "./copy-proofs.ts";
import { COPY_PIPELINE_SECONDS, DR_PROFILES } from "./dr-profiles.ts";
import { Inventory } from "./inventory.ts";
import { drNames } from "./names.ts";
import { clusterOf, platformSet, tenantSet, type WorkloadSet } from "./workloads.ts";

export type Light = "green" | "amber" | "red";
export type Subject = "platform" | "compute" | "premium" | "standard" | "basic";

export interface SubjectReadiness {
  /** `platform`, `compute`, or the tenant's slug. */
  readonly subject: string;
  readonly kind: Subject;
  readonly status: Light;
  readonly reason: string;
  readonly lagSeconds?: number;
  readonly copyAgeSeconds?: number;
}

export interface Readiness {
  readonly checkedAt: string;
  readonly overall: Light;
  readonly primaryRegion: string;
  readonly secondaryRegion: string;
  readonly perKind: Readonly<Record<Subject, { status: Light; green: number; amber: number; red: number }>>;
  readonly subjects: readonly SubjectReadiness[];
}

const RANK: Record<Light, number> = { green: 0, amber: 1, red: 2 };
export const worst = (lights: readonly Light[]): Light =>
  lights.reduce<Light>((a, b) => (RANK[b] > RANK[a] ? b : a), "green");

/** A global database's writer region and its secondary there is (the member outside that region). */
async function globalState(inventory: Inventory, identifier: string, regions: readonly string[]) {
  const global = (await inventory.globals(regions))?.get(identifier);
  if (!global) return undefined;
  const writer = global.GlobalClusterMembers?.find((m) => m.IsWriter)?.DBClusterArn ?? "";
  const reader = global.GlobalClusterMembers?.find((m) => !m.IsWriter)?.DBClusterArn;
  return { global, writerRegion: regionOfArn(writer), writerArn: writer, readerArn: reader };
}

/** A subject whose recovery is a global database's secondary. */
interface GlobalSubject {
  readonly subject: string;
  readonly kind: Subject;
  readonly identifier: string;
  readonly maxLagSeconds: number;
}

async function globalReadiness(
  inventory: Inventory,
  { subject, kind, identifier, maxLagSeconds }: GlobalSubject,
  regions: readonly string[],
  /** Every secondary's cluster identifier by region: their lags are asked in one call per region. */
  secondaries: ReadonlyMap<string, readonly string[]>,
): Promise<SubjectReadiness> {
  const state = await globalState(inventory, identifier, regions);
  if (!state) return { subject, kind, status: "red", reason: `global database ${identifier} not found` };
  if (!state.readerArn)
    return { subject, kind, status: "red", reason: `global database ${identifier} has no secondary` };
  const region = regionOfArn(state.readerArn);
  try {
    const reader = await inventory.cluster(region, state.readerArn);
    if (reader?.Status !== "available")
      return {
        subject,
        kind,
        status: "red",
        reason: `secondary in ${region} is ${reader?.Status ?? "missing"}`,
      };
    const lags = await inventory.lags(region, secondaries.get(region) ?? []);
    const lag = lags.get(reader.DBClusterIdentifier ?? "");
    if (lag === undefined)
      return { subject, kind, status: "amber", reason: `no replication lag reported in ${region} yet` };
    if (lag > maxLagSeconds)
      return { subject, kind, status: "red", reason: `lag ${lag}s > ${maxLagSeconds}s`, lagSeconds: lag };
    return { subject, kind, status: "green", reason: `secondary in ${region}, lag ${lag}s`, lagSeconds: lag };
  } catch (error) {
    if (!isOutage(error)) throw error;
    return { subject, kind, status: "red", reason: `${region} does not answer` };
  }
}

async function copyReadiness(
  inventory: Inventory,
  tenant: TenantBrief,
  now: number,
  proof?: CopyProof,
): Promise<SubjectReadiness> {
  const kind = tenant.tier;
  const home = tenant.region || regionPair().home;
  const target = otherRegion(home);
  const rpo = TIERS[tenant.tier].recovery.rpoSeconds;
  try {
    const listed = (await inventory.drSnapshots(target)).get(tenant.slug) ?? [];
    const copy = newestCopy(listed, now, proof);
    if (!copy) {
      const young = now - Date.parse(tenant.createdAt) < (rpo + COPY_PIPELINE_SECONDS) * 1000;
      return {
        subject: tenant.slug,
        kind,
        status: young ? "amber" : "red",
        reason: young ? `first copy to ${target} on its way` : `no copy in ${target}`,
      };
    }
    const status: Light = copy.ageSeconds <= rpo ? "green" : copy.ageSeconds <= 2 * rpo ? "amber" : "red";
    return {
      subject: tenant.slug,
      kind,
      status,
      reason:
        copy.dataAsOf === copy.createdAt
          ? `copy ${copy.snapshotIdentifier} in ${target}, ${copy.ageSeconds}s old (RPO ${rpo}s)`
          : `copy ${copy.snapshotIdentifier} in ${target}, data ${copy.ageSeconds}s old: no write since ${copy.dataAsOf} (RPO ${rpo}s)`,
      copyAgeSeconds: copy.ageSeconds,
    };
  } catch (error) {
    if (!isOutage(error)) throw error;
    return { subject: tenant.slug, kind, status: "red", reason: `${target} does not answer` };
  }
}

/**
 * What a failover would run on the standby compute cluster (lib/standby-demand.ts): readiness asks it
 * when it has Kubernetes access (the readiness schedule), with the sets that move.
 */
export type DemandCheck = (region: string, cluster: string, sets: readonly WorkloadSet[]) => Promise<Demand>;

async function computeReadiness(region: string, demandOf?: () => Promise<Demand>): Promise<SubjectReadiness> {
  const config = platform();
  try {
    const { nodegroup } = await eksIn(region).send(
      new DescribeNodegroupCommand({
        clusterName: config.computeCluster(region),
        nodegroupName: config.nodegroup,
      }),
    );
    const max = nodegroup?.scalingConfig?.maxSize ?? 0;
    if (nodegroup?.status !== "ACTIVE")
      return {
        subject: "compute",
        kind: "compute",
        status: "red",
        reason: `node group is ${nodegroup?.status}`,
      };
    const base = `node group ${config.nodegroup} in ${region} ACTIVE, up to ${max} nodes`;
    const status: Light = max >= 2 ? "green" : "amber";
    if (!demandOf) return { subject: "compute", kind: "compute", status, reason: base };
    const group = { maxSize: max, instanceTypes: nodegroup.instanceTypes ?? [] };
    const verdict = judgeCapacity(group, await demandOf());
    const reason = `${base}; ${describeCapacity(group, verdict)}`;
    if (!verdict.known)
      return { subject: "compute", kind: "compute", status: worst([status, "amber"]), reason };
    return { subject: "compute", kind: "compute", status: verdict.fits ? status : "red", reason };
  } catch (error) {
    if (!isOutage(error) && (error as Error).name !== "ResourceNotFoundException") throw error;
    return {
      subject: "compute",
      kind: "compute",
      status: "red",
      reason: `no usable node group in ${region}`,
    };
  }
}

/** What a tenant lacks to run in the standby region (its namespace, its secret's replica): lib/dr-space.ts. */
export type SpaceCheck = (slug: string, regions: { home: string; dr: string }) => Promise<string[]>;

/** A tenant whose database is ready is red all the same when it could not run in the standby region. */
async function withSpace(subject: SubjectReadiness, tenant: TenantBrief, check: SpaceCheck) {
  const home = tenant.region || regionPair().home;
  const dr = otherRegion(home);
  try {
    const problems = await check(tenant.slug, { home, dr });
    if (problems.length === 0) return subject;
    return { ...subject, status: "red" as const, reason: `${subject.reason}; ${problems.join(", ")}` };
  } catch (error) {
    if (!isOutage(error) && !isOutage((error as Error).cause)) throw error;
    return subject;
  }
}

/**
 * Every subject's readiness now; with `space`, each tenant's DR space too (the readiness schedule
 * checks it; a drill's plan, which has no Kubernetes access, looks at the data only).
 */
export async function assessReadiness(
  options: { space?: SpaceCheck; demand?: DemandCheck; inventory?: Inventory } = {},
): Promise<Readiness> {
  const inventory = options.inventory ?? new Inventory();
  const now = awsNow();
  const pair = regionPair();
  const regions = [pair.dr, pair.home];
  const config = platform();
  const platformState = await globalState(inventory, config.globalCluster, regions);
  const primaryRegion = platformState?.writerRegion || pair.home;
  const secondaryRegion = otherRegion(primaryRegion);
  const tenants = (await listTenantBriefs()).filter((t) => t.status === "active");
  // Every set a failover away from the primary would scale up on the standby compute cluster.
  const cluster = config.computeCluster(secondaryRegion);
  const demand = options.demand;
  const demandOf =
    demand &&
    (() =>
      demand(
        secondaryRegion,
        cluster,
        [platformSet(), ...tenants.map((t) => tenantSet(t.slug))].filter(
          (set) => clusterOf(set, secondaryRegion) === cluster,
        ),
      ));
  const globals: GlobalSubject[] = [
    { subject: "platform", kind: "platform", identifier: config.globalCluster, maxLagSeconds: 60 },
    ...tenants.flatMap((tenant) => {
      const profile = DR_PROFILES[tenant.tier];
      return profile.strategy === "global-secondary"
        ? [
            {
              subject: tenant.slug,
              kind: tenant.tier,
              identifier: drNames(tenant.slug).globalClusterIdentifier,
              maxLagSeconds: profile.maxLagSeconds,
            },
          ]
        : [];
    }),
  ];
  // Every secondary's identifier, by region: one lag query per region covers them all.
  const secondaries = new Map<string, string[]>();
  for (const subject of globals) {
    const reader = (await globalState(inventory, subject.identifier, regions))?.readerArn;
    if (!reader) continue;
    const region = regionOfArn(reader);
    const ids = secondaries.get(region) ?? [];
    ids.push(reader.split(":").pop() ?? "");
    secondaries.set(region, ids);
  }
  const [platformSubject, ...tenantGlobals] = globals as [GlobalSubject, ...GlobalSubject[]];
  const byTenant = new Map(tenantGlobals.map((g) => [g.subject, g]));
  const subjects: SubjectReadiness[] = [
    await globalReadiness(inventory, platformSubject, regions, secondaries),
    await computeReadiness(secondaryRegion, demandOf),
  ];
  const proofs = tenants.some((t) => DR_PROFILES[t.tier].strategy === "snapshot-copy")
    ? await readCopyProofs()
    : {};
  for (const tenant of tenants) {
    const global = byTenant.get(tenant.slug);
    const data = global
      ? await globalReadiness(inventory, global, regions, secondaries)
      : await copyReadiness(inventory, tenant, now, proofs[tenant.slug]);
    subjects.push(options.space ? await withSpace(data, tenant, options.space) : data);
  }
  const kinds: Subject[] = ["platform", "compute", "premium", "standard", "basic"];
  const perKind = Object.fromEntries(
    kinds.map((kind) => {
      const of = subjects.filter((s) => s.kind === kind);
      const count = (light: Light) => of.filter((s) => s.status === light).length;
      return [
        kind,
        {
          status: worst(of.map((s) => s.status)),
          green: count("green"),
          amber: count("amber"),
          red: count("red"),
        },
      ];
    }),
  ) as Readiness["perKind"];
  return {
    checkedAt: new Date(now).toISOString(),
    overall: worst(subjects.map((s) => s.status)),
    primaryRegion,
    secondaryRegion,
    perKind,
    subjects,
  };
}
