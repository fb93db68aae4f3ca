/**
 * Git pushes and the outcome events of the operational workflows (canary promotion, backup
 * verification, regional failover and DR drills).
 */
import { z } from "zod";
import { defineEvent } from "./define.ts";
import { ExecutionArn, CommitSha as Sha, Timestamp as Time } from "./fields.ts";
import { reportField } from "./report.ts";
import { SOURCES } from "./sources.ts";

export const GitPush = defineEvent({
  source: SOURCES.git,
  detailType: "Git Push",
  description:
    "A push to a repository, normalized from a GitHub or GitLab webhook; a push to main starts canary-promotion.",
  detail: z.object({
    provider: z.enum(["github", "gitlab"]),
    deliveryId: z.string().min(1),
    repository: z.object({
      fullName: z.string().min(1),
      url: z.string().min(1),
      defaultBranch: z.string().min(1).optional(),
    }),
    ref: z.string().min(1),
    /** The branch name for `refs/heads/*`, null for tags. */
    branch: z.string().min(1).nullable(),
    before: Sha,
    after: Sha,
    pusher: z.object({ name: z.string().min(1), email: z.string().optional() }),
    headCommit: z
      .object({
        id: Sha,
        message: z.string(),
        timestamp: z.string().optional(),
        url: z.string().optional(),
      })
      .nullable(),
    commitCount: z.number().int().nonnegative(),
    /** True when the push deletes the ref (after is all zeros). */
    deleted: z.boolean(),
  }),
});

/** The gate a canary breached, with what was measured and the threshold it crossed. */
export const CanaryBreach = z.object({
  gate: z.enum(["error-rate", "p99-latency", "business-success", "alarm", "analysis"]),
  measured: z.number().nullable(),
  threshold: z.number().nullable(),
  /** Who the gate was evaluated for: `all` traffic, or a tenant cohort. */
  cohort: z.string().min(1).optional(),
});

export const CanaryStarted = defineEvent({
  source: SOURCES.deployments,
  detailType: "Canary Started",
  description: "A canary Deployment of a new image runs beside stable; traffic moves to it step by step.",
  detail: z.object({
    service: z.string().min(1),
    image: z.string().min(1),
    stableImage: z.string().min(1),
    region: z.string().min(1),
    steps: z.array(z.number().int().min(1).max(100)).min(1),
    bakeMinutes: z.number().positive(),
    executionArn: ExecutionArn,
  }),
});

export const CanaryStepPromoted = defineEvent({
  source: SOURCES.deployments,
  detailType: "Canary Step Promoted",
  description:
    "A canary passed a step's analysis (or a person approved it) and takes the next share of traffic.",
  detail: z.object({
    service: z.string().min(1),
    image: z.string().min(1),
    /** The canary's share now, in percent, and the step it belongs to (1-based) of how many. */
    weight: z.number().int().min(0).max(100),
    step: z.number().int().min(1),
    of: z.number().int().min(1),
    /** The tenants' tiers or ids routed to the canary at this step, when the service uses cohorts. */
    cohort: z.string().min(1).optional(),
    executionArn: ExecutionArn,
  }),
});

export const CanaryPromoted = defineEvent({
  source: SOURCES.deployments,
  detailType: "Canary Promoted",
  description: "A canary passed every analysis step and now takes all traffic.",
  detail: z.object({
    service: z.string().min(1),
    image: z.string().min(1),
    previousImage: z.string().min(1).optional(),
    steps: z.array(z.number().int().min(1).max(100)).min(1),
    durationSeconds: z.number().nonnegative(),
    executionArn: ExecutionArn,
    ...reportField,
  }),
});

export const CanaryRolledBack = defineEvent({
  source: SOURCES.deployments,
  detailType: "Canary Rolled Back",
  description: "A canary breached a gate (or an alarm fired); traffic is back on the stable version.",
  detail: z.object({
    service: z.string().min(1),
    image: z.string().min(1),
    stableImage: z.string().min(1).optional(),
    atWeight: z.number().int().min(0).max(100),
    reason: z.string().min(1),
    metrics: z.record(z.string(), z.number()).optional(),
    /** `aborted` when a person or an alarm stopped it; `rolled-back` when a gate or a step failed. */
    outcome: z.enum(["rolled-back", "aborted"]).optional(),
    breach: CanaryBreach.optional(),
    executionArn: ExecutionArn,
    ...reportField,
  }),
});

/** A check of one tenant's backup that failed, and the values it compared (`snapshot-age`: ageHours, maxAgeHours). */
export const FailedBackupCheck = z.object({
  check: z.enum([
    "latest-snapshot",
    "snapshot-age",
    "retention",
    "encryption",
    "weekly-snapshot",
    "restore",
    "restore-time",
    "schema-version",
    "row-count",
    "checksum",
    "write",
    "cleanup",
  ]),
  values: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
});

const TenantBackup = {
  executionArn: ExecutionArn,
  slug: z.string().min(1),
  tenantId: z.string().min(1),
  tier: z.enum(["premium", "standard", "basic"]),
  clusterIdentifier: z.string().min(1),
  /** The snapshot restored, or `point-in-time` with the time asked for; null when nothing was restored. */
  restoredFrom: z.string().min(1).nullable(),
  /** Request to available, simulated locally; null when the restore did not finish. */
  restoreSeconds: z.number().nonnegative().nullable(),
  rtoSeconds: z.number().positive(),
};

export const BackupVerified = defineEvent({
  source: SOURCES.backups,
  detailType: "Backup Verified",
  description:
    "One tenant's backup passed every check: policy, restore into a scratch cluster, data, restore time vs RTO.",
  detail: z.object({ ...TenantBackup, checks: z.number().int().positive() }),
});

export const BackupVerificationFailed = defineEvent({
  source: SOURCES.backups,
  detailType: "Backup Verification Failed",
  description:
    "One tenant's backup failed at least one check (policy, restore, data, restore time); which, with the values.",
  detail: z.object({ ...TenantBackup, failedChecks: z.array(FailedBackupCheck).min(1) }),
});

export const BackupVerificationCompleted = defineEvent({
  source: SOURCES.backups,
  detailType: "Backup Verification Completed",
  description:
    "A backup verification run ended: verified when every tenant passed, failed otherwise; the run report's summary.",
  detail: z.object({
    executionArn: ExecutionArn,
    outcome: z.enum(["verified", "failed"]),
    verified: z.number().int().nonnegative(),
    failed: z.number().int().nonnegative(),
    failedTenants: z.array(z.string().min(1)),
    ...reportField,
  }),
});

const FailoverOutcome = {
  executionArn: ExecutionArn,
  fromRegion: z.string().min(1),
  toRegion: z.string().min(1),
  mode: z.enum(["failover", "switchover"]),
};

/** Recovery measured for one tier (or the platform): the worst of its members, against its targets. */
export const TierRecovery = z.object({
  /** Signal (the alarm's state change, or the start) to healthy traffic in the new region; null if never. */
  rtoSeconds: z.number().nonnegative().nullable(),
  /** Replication lag or copy age at promotion; null if unknown. */
  rpoSeconds: z.number().nonnegative().nullable(),
  rtoTargetSeconds: z.number().nonnegative(),
  rpoTargetSeconds: z.number().nonnegative(),
  /** How many were recovered, and how many failed. */
  recovered: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
});

/** A tenant (or the platform) that missed its RTO or RPO target, or was not recovered, and why. */
export const MissedTarget = z.object({
  subject: z.string().min(1),
  tier: z.string().min(1),
  reason: z.string(),
  rtoSeconds: z.number().nonnegative().nullable(),
  rpoSeconds: z.number().nonnegative().nullable(),
});

/** What every failover and drill reports: per tier (platform, premium, standard, basic) and who missed. */
const Recovery = {
  rtoSeconds: z.number().nonnegative(),
  rpoSeconds: z.number().nonnegative(),
  perTier: z.record(z.string(), TierRecovery).optional(),
  missedTargets: z.array(MissedTarget).max(100).optional(),
};

export const FailoverCompleted = defineEvent({
  source: SOURCES.failover,
  detailType: "Region Failover Completed",
  description: "Production now runs in the other region; measured RTO and RPO per tier, and who missed them.",
  detail: z.object({
    ...FailoverOutcome,
    ...Recovery,
    ...reportField,
  }),
});

export const FailoverFailed = defineEvent({
  source: SOURCES.failover,
  detailType: "Region Failover Failed",
  description: "A failover or switchover stopped at a step (or was refused: another holds the fleet).",
  detail: z.object({
    ...FailoverOutcome,
    step: z.string().min(1),
    error: z.string().min(1),
    reason: z.string(),
    ...reportField,
  }),
});

export const DrDrillCompleted = defineEvent({
  source: SOURCES.failover,
  detailType: "DR Drill Completed",
  description:
    "A DR drill switched over, verified and failed back without harming production; measured RTO and RPO.",
  detail: z.object({
    executionArn: ExecutionArn,
    primaryRegion: z.string().min(1),
    drillRegion: z.string().min(1),
    withinObjectives: z.boolean(),
    ...Recovery,
    ...reportField,
  }),
});

export const DrDrillFailed = defineEvent({
  source: SOURCES.failover,
  detailType: "DR Drill Failed",
  description:
    "A DR drill stopped at a step (refused on red readiness, or failed back after a failed check or step); what could not be failed back.",
  detail: z.object({
    executionArn: ExecutionArn,
    primaryRegion: z.string().min(1),
    drillRegion: z.string().min(1),
    step: z.string().min(1),
    error: z.string().min(1),
    reason: z.string(),
    /** What the drill's way back left in the drill region (a database, DNS, workloads, the node group), and why. */
    notFailedBack: z
      .array(z.object({ subject: z.string().min(1), error: z.string() }))
      .max(100)
      .optional(),
    ...reportField,
  }),
});

const Light = z.enum(["green", "amber", "red"]);

export const DrReadinessChanged = defineEvent({
  source: SOURCES.failover,
  detailType: "DR Readiness Changed",
  description:
    "DR readiness (secondaries' lag, copies' age, the secondary EKS) changed overall or for a tier; red means a failover now would miss its targets.",
  detail: z.object({
    checkedAt: Time,
    previous: Light.nullable(),
    overall: Light,
    primaryRegion: z.string().min(1),
    secondaryRegion: z.string().min(1),
    perTier: z.record(z.string(), Light),
    /** Subjects (platform, compute, tenant slugs) whose status changed, with the reason now. */
    changed: z
      .array(z.object({ subject: z.string().min(1), from: Light.nullable(), to: Light, reason: z.string() }))
      .max(100),
  }),
});

export const operationEvents = [
  GitPush,
  CanaryStarted,
  CanaryStepPromoted,
  CanaryPromoted,
  CanaryRolledBack,
  BackupVerified,
  BackupVerificationFailed,
  BackupVerificationCompleted,
  FailoverCompleted,
  FailoverFailed,
  DrDrillCompleted,
  DrDrillFailed,
  DrReadinessChanged,
] as const;
