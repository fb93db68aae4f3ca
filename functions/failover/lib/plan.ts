/**
 * What a failover, switchover or drill will do, decided once at its start from what AWS says: which
 * region it leaves and which it goes to, the global databases to promote (the platform's and every
 * premium tenant's), the snapshot-tier tenants to restore from their latest copy (failover only), the
 * secondary EKS node group to scale and the Route 53 failover records to switch.
 */
import { DescribeNodegroupCommand } from "@aws-sdk/client-eks";
import { ListHostedZonesByNameCommand, ListResourceRecordSetsCommand } from "@aws-sdk/client-route-53";
import { InvalidInputError } from "../../shared/errors.ts";
import { listTenantBriefs, type TenantBrief } from "../../tenant/lib/registry.ts";
import { TIERS, type Tier } from "../../tenant/lib/tiers.ts";
import { eksIn, isOutage, otherRegion, platform, regionOfArn, regionPair, route53 } from "./aws.ts";
import { latestCopy } from "./copies.ts";
import type { CopyProof } from "./copy-proofs.ts";
import { DR_PROFILES } from "./dr-profiles.ts";
import { findGlobal } from "./dr-setup.ts";
import { PlatformNotFoundError } from "./errors.ts";
import { drNames } from "./names.ts";

/** The platform's own targets: as premium's (the platform must be back before any tenant can be). */
export const PLATFORM_TARGETS = TIERS.premium.recovery;

export interface GlobalItem {
  readonly subject: string;
  readonly tier: "platform" | Tier;
  readonly tenantId: string | null;
  readonly globalClusterIdentifier: string;
  readonly sourceArn: string;
  readonly targetArn: string;
  readonly rtoTargetSeconds: number;
  readonly rpoTargetSeconds: number;
}

export interface RestoreItem {
  readonly subject: string;
  readonly tier: Tier;
  readonly tenantId: string;
  readonly region: string;
  readonly snapshotArn: string | null;
  readonly snapshotIdentifier: string | null;
  readonly copyCreatedAt: string | null;
  /** The time the copy's data is current to (its creation, or later: see copy-proofs.ts). */
  readonly copyDataAsOf: string | null;
  readonly rtoTargetSeconds: number;
  readonly rpoTargetSeconds: number;
}

export interface DnsPlan {
  readonly zoneId: string;
  readonly record: string;
  readonly type: string;
  readonly ttl: number;
  /** Per region: the value its failover record points at and the health check that guards it. */
  readonly targets: Readonly<Record<string, { value: string; healthCheckId: string | null }>>;
}

export interface ComputePlan {
  readonly region: string;
  readonly cluster: string;
  readonly nodegroup: string;
  readonly desiredSize: number;
  readonly originalDesiredSize: number;
}

/** The region an alarm named `cplane-region-health-<region>` watches. */
export function alarmedRegion(alarmName: string, prefix = "cplane-region-health-"): string {
  if (!alarmName.startsWith(prefix))
    throw new InvalidInputError(`alarm ${alarmName} is not a region-health alarm`, [
      `alarmName: must start with ${prefix}`,
    ]);
  return alarmName.slice(prefix.length);
}

/** CloudWatch writes `2026-03-01T11:59:52.071+0000`; Date.parse wants the offset with a colon. */
export function parseAlarmTime(text: string): number {
  const ms = Date.parse(text.replace(/([+-]\d\d)(\d\d)$/, "$1:$2"));
  if (Number.isNaN(ms)) throw new InvalidInputError(`unreadable alarm time "${text}"`);
  return ms;
}

/** Asks each region in turn, the first that answers wins (the other may be the one that is down). */
export async function fromEither<T>(
  regions: readonly string[],
  ask: (region: string) => Promise<T>,
): Promise<T> {
  let last: unknown;
  for (const region of regions) {
    try {
      return await ask(region);
    } catch (error) {
      if (!isOutage(error)) throw error;
      last = error;
    }
  }
  throw last;
}

/** The region the platform's global database writes in now. */
export async function platformWriterRegion(): Promise<string> {
  const { home, dr } = regionPair();
  const config = platform();
  const global = await fromEither([dr, home], (region) => findGlobal(region, config.globalCluster));
  if (!global)
    throw new PlatformNotFoundError(`the platform's global database ${config.globalCluster} is not found`);
  const writer = global.GlobalClusterMembers?.find((m) => m.IsWriter)?.DBClusterArn ?? "";
  return regionOfArn(writer);
}

/** A global database's move from `from` to `to`, or null when there is nothing to move. */
export async function globalItem(
  subject: string,
  tier: "platform" | Tier,
  tenantId: string | null,
  identifier: string,
  from: string,
  to: string,
): Promise<GlobalItem | { subject: string; tier: string; problem: string }> {
  const global = await fromEither([to, from], (region) => findGlobal(region, identifier));
  if (!global) return { subject, tier, problem: `global database ${identifier} not found` };
  const members = global.GlobalClusterMembers ?? [];
  const source = members.find((m) => m.IsWriter)?.DBClusterArn ?? "";
  const target = members.find((m) => m.DBClusterArn && regionOfArn(m.DBClusterArn) === to)?.DBClusterArn;
  if (!target) return { subject, tier, problem: `global database ${identifier} has no member in ${to}` };
  const targets = tier === "platform" ? PLATFORM_TARGETS : TIERS[tier].recovery;
  return {
    subject,
    tier,
    tenantId,
    globalClusterIdentifier: identifier,
    sourceArn: source,
    targetArn: target,
    rtoTargetSeconds: targets.rtoSeconds,
    rpoTargetSeconds: targets.rpoSeconds,
  };
}

export async function restoreItem(tenant: TenantBrief, to: string, proof?: CopyProof): Promise<RestoreItem> {
  const copy = await latestCopy(to, tenant.slug, undefined, proof);
  return {
    subject: tenant.slug,
    tier: tenant.tier,
    tenantId: tenant.tenantId,
    region: to,
    snapshotArn: copy?.snapshotArn ?? null,
    snapshotIdentifier: copy?.snapshotIdentifier ?? null,
    copyCreatedAt: copy?.createdAt ?? null,
    copyDataAsOf: copy?.dataAsOf ?? null,
    rtoTargetSeconds: TIERS[tenant.tier].recovery.rtoSeconds,
    rpoTargetSeconds: TIERS[tenant.tier].recovery.rpoSeconds,
  };
}

export async function activeTenants(): Promise<TenantBrief[]> {
  return (await listTenantBriefs()).filter((t) => t.status === "active");
}

export const strategyOf = (tier: Tier) => DR_PROFILES[tier].strategy;
export const premiumGlobal = (slug: string) => drNames(slug).globalClusterIdentifier;
export { otherRegion };

export async function dnsPlan(): Promise<DnsPlan> {
  const config = platform();
  const zones = await route53().send(new ListHostedZonesByNameCommand({ DNSName: config.zone, MaxItems: 1 }));
  const zone = zones.HostedZones?.find((z) => z.Name?.replace(/\.$/, "") === config.zone);
  if (!zone?.Id) throw new PlatformNotFoundError(`hosted zone ${config.zone} not found`);
  const { ResourceRecordSets } = await route53().send(
    new ListResourceRecordSetsCommand({ HostedZoneId: zone.Id }),
  );
  const records = (ResourceRecordSets ?? []).filter(
    (r) => r.Name?.replace(/\.$/, "") === config.record && r.Failover && r.SetIdentifier,
  );
  if (records.length < 2)
    throw new PlatformNotFoundError(`${config.record} has no failover record pair in ${config.zone}`);
  return {
    zoneId: zone.Id,
    record: config.record,
    type: records[0]?.Type ?? "CNAME",
    ttl: records[0]?.TTL ?? 60,
    targets: Object.fromEntries(
      records.map((r) => [
        r.SetIdentifier ?? "",
        { value: r.ResourceRecords?.[0]?.Value ?? "", healthCheckId: r.HealthCheckId ?? null },
      ]),
    ),
  };
}

export async function computePlan(from: string, to: string): Promise<ComputePlan> {
  const config = platform();
  const size = async (region: string) => {
    const { nodegroup } = await eksIn(region).send(
      new DescribeNodegroupCommand({
        clusterName: config.computeCluster(region),
        nodegroupName: config.nodegroup,
      }),
    );
    return nodegroup?.scalingConfig;
  };
  const target = await size(to);
  // The region left may not answer: then the target takes what it may hold.
  const source = await size(from).catch((error: unknown) => {
    if (isOutage(error)) return undefined;
    throw error;
  });
  const max = target?.maxSize ?? 1;
  return {
    region: to,
    cluster: config.computeCluster(to),
    nodegroup: config.nodegroup,
    desiredSize: Math.min(max, Math.max(source?.desiredSize ?? max, target?.desiredSize ?? 1)),
    originalDesiredSize: target?.desiredSize ?? 1,
  };
}
