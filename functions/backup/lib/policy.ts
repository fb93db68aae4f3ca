/**
 * The backup policy per tier: what a tenant's backups must look like (latest automated snapshot no
 * older than `maxSnapshotAgeHours`, automated retention as the tier provisions it, encryption, a weekly
 * manual snapshot no older than 7 days kept 30 days) and how often the nightly run verifies them by
 * restoring (premium every night, the others once a week). The budget a restore is measured against
 * is the tier's RTO (`TIERS[tier].recovery.rtoSeconds`) where the tier recovers from snapshots
 * (standard, basic); premium recovers from its global secondary within 5 minutes, and a restore from
 * backup is its path only when the secondary is unusable too (corruption replicated to it), so its
 * restore is held to standard's budget instead: premium is never restored slower than standard, and
 * a restore, which takes 12 minutes or more, is not failed every night against a failover target. The snapshot age is held to a daily
 * backup's cadence, not to the RPO, which continuous backups and replication serve (a daily snapshot
 * can never be minutes old).
 */
import { TIERS, type Tier } from "../../tenant/lib/tiers.ts";

export interface BackupPolicy {
  /** A daily automated snapshot plus slack for the backup window. */
  readonly maxSnapshotAgeHours: number;
  /** Automated backup retention the cluster must have (what onboarding provisions). */
  readonly retentionDays: number;
  /** How often the scheduled run restores this tier's tenants. */
  readonly cadence: "nightly" | "weekly";
  /** The budget the measured restore time is compared with (see above for premium). */
  readonly rtoSeconds: number;
}

/** Weekly runs happen on this UTC day (0 = Sunday). */
export const WEEKLY_RUN_DAY = 0;
/** The weekly manual snapshot must be at most this old, and is kept this long. */
export const WEEKLY_SNAPSHOT_MAX_AGE_DAYS = 7;
export const WEEKLY_SNAPSHOT_RETENTION_DAYS = 30;
/**
 * Restored row counts may differ from the source's count as of the snapshot time by this share of the
 * source's (rows deleted on the source since, transactions that committed around the snapshot).
 */
export const ROW_COUNT_TOLERANCE_PERCENT = 1;

export const BACKUP_POLICY: Readonly<Record<Tier, BackupPolicy>> = {
  premium: {
    maxSnapshotAgeHours: 26,
    retentionDays: TIERS.premium.backupRetentionDays,
    cadence: "nightly",
    rtoSeconds: TIERS.standard.recovery.rtoSeconds,
  },
  standard: {
    maxSnapshotAgeHours: 26,
    retentionDays: TIERS.standard.backupRetentionDays,
    cadence: "weekly",
    rtoSeconds: TIERS.standard.recovery.rtoSeconds,
  },
  basic: {
    maxSnapshotAgeHours: 26,
    retentionDays: TIERS.basic.backupRetentionDays,
    cadence: "weekly",
    rtoSeconds: TIERS.basic.recovery.rtoSeconds,
  },
};

/** Whether a scheduled run at `scheduledTime` verifies a tenant of this tier. */
export function dueOn(tier: Tier, scheduledTime: Date): boolean {
  return BACKUP_POLICY[tier].cadence === "nightly" || scheduledTime.getUTCDay() === WEEKLY_RUN_DAY;
}

/** Key tables whose row counts are compared, with the column that says when a row was written. */
export const KEY_TABLES: readonly { readonly table: string; readonly writtenAt: string }[] = [
  { table: "app.users", writtenAt: "created_at" },
  { table: "app.projects", writtenAt: "created_at" },
  { table: "app.audit_log", writtenAt: "at" },
];

/** Reference tables, written only by migrations: their checksum must match exactly. */
export const REFERENCE_TABLES: readonly {
  readonly table: string;
  readonly row: string;
  readonly order: string;
}[] = [{ table: "cplane.schema_migrations", row: "version || ':' || name", order: "version" }];
