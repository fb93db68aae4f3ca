/**
 * Every workflow by name, with its input contract: the detail of the request event that starts it
 * (the tenant workflows), or what its rules' input transformers and its schedules' inputs produce,
 * plus a manual start. Declared here, not in workflows/, because rules and schedules name workflows
 * that are not built yet, and because workflows/ imports events/ (never the other way round). A
 * workflow module takes its `input` from here; its name is typed from this list, so a misspelled
 * workflow in a rule, a schedule or a catalog entry fails the typecheck.
 */
import { z } from "zod";
import { StepFunctionsExecutionStatusChange } from "./aws.ts";
import { AwsRegion, CommitSha, Timestamp } from "./fields.ts";
import { TenantOffboardingRequest, TenantRequest } from "./tenants.ts";

const Manual = z.literal("manual");
/** Who asked, for the run report (`cplane run` fills in nothing: say it). */
const RequestedBy = z.string().min(1).optional();

/** A service name as the canary configuration keys it (functions/canary/lib/services.ts). */
export const CanaryServiceName = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,40}$/, "must be a service name such as api (lowercase letters, digits, dashes)");

/** An image reference with a tag (`registry.example.com/shop/api:2.0.0`): the tag names the version. */
export const ImageWithTag = z
  .string()
  .max(512)
  .regex(
    /^[a-z0-9]([a-z0-9._-]*[a-z0-9])?(:[0-9]+)?(\/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)*:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/,
    "must be an image reference with a tag, such as registry.example.com/shop/api:2.0.0",
  );

/** Traffic percentages of the canary, step by step: strictly increasing, the last one 100. */
export const CanarySteps = z
  .array(z.number().int().min(1).max(100))
  .min(1)
  .max(20)
  .refine(
    (steps) => steps.every((step, i) => i === 0 || step > (steps[i - 1] ?? 0)),
    "must increase strictly",
  )
  .refine((steps) => steps[steps.length - 1] === 100, "must end at 100");

/**
 * A push to main (rule `git-push-main-canary`): the configuration says which service the repository
 * deploys and the image the commit built; or a person promoting an image of a service by hand
 * (`{"service": "api", "image": "registry.example.com/shop/api:2.0.0"}`), optionally in another
 * region, with other steps or another bake time than the service's configuration.
 */
export const CanaryPromotionInput = z.union([
  z.object({
    trigger: z.literal("git-push"),
    repository: z.string().min(1),
    commit: CommitSha,
    branch: z.string().min(1),
    pusher: z.string().min(1),
    deliveryId: z.string().min(1),
  }),
  z.strictObject({
    trigger: Manual.optional(),
    service: CanaryServiceName,
    image: ImageWithTag,
    region: AwsRegion.optional(),
    steps: CanarySteps.optional(),
    bakeMinutes: z
      .number()
      .int()
      .min(1)
      .max(24 * 60)
      .optional(),
    requestedBy: RequestedBy,
  }),
]);

/** A tenant's slug as the registry holds it (functions/tenant/lib/slug.ts writes the same rule). */
const TenantSlug = z
  .string()
  .max(40)
  .regex(/^[a-z](?:[a-z0-9]|-(?=[a-z0-9]))*$/, "must be a tenant slug");

/**
 * The nightly schedule (tenants due by their tier's cadence), or a manual run: every active tenant, or
 * the chosen ones, from their latest snapshot or, with `pointInTime`, restored to that moment.
 */
export const BackupVerificationInput = z.discriminatedUnion("trigger", [
  z.object({ trigger: z.literal("schedule"), scheduledTime: Timestamp }),
  z.object({
    trigger: Manual,
    requestedBy: RequestedBy,
    tenants: z
      .array(TenantSlug)
      .min(1)
      .max(500)
      .refine((slugs) => new Set(slugs).size === slugs.length, "must not name a tenant twice")
      .optional(),
    pointInTime: Timestamp.optional(),
  }),
]);

/** The weekly manual snapshots (schedule `weekly-backup-snapshots`), or a manual run. */
export const BackupSnapshotsInput = z.discriminatedUnion("trigger", [
  z.object({ trigger: z.literal("schedule"), scheduledTime: Timestamp }),
  z.object({ trigger: Manual, requestedBy: RequestedBy }),
]);

/** The scratch sweeper (schedule `backup-scratch-sweeper`), or a manual run with its own age. */
export const BackupSweeperInput = z.discriminatedUnion("trigger", [
  z.object({ trigger: z.literal("schedule"), scheduledTime: Timestamp }),
  z.object({
    trigger: Manual,
    requestedBy: RequestedBy,
    olderThanMinutes: z
      .number()
      .int()
      .min(0)
      .max(7 * 24 * 60)
      .optional(),
  }),
]);

/**
 * A region-health alarm (rule `region-health-alarm-failover`: fail over away from the alarm's region),
 * the monthly drill schedule, or a person choosing the mode.
 */
export const RegionalFailoverInput = z.discriminatedUnion("trigger", [
  z.object({
    trigger: z.literal("alarm"),
    mode: z.literal("failover"),
    /** `cplane-region-health-<region>`: the region it names is the one failed over from. */
    alarmName: z.string().min(1),
    /** Where the alarm lives (Route 53 health metrics are in us-east-1), not the region it watches. */
    alarmRegion: AwsRegion,
    /** The alarm's new state as CloudWatch sent it (value, reason, timestamp...), passed as an object. */
    state: z.looseObject({ value: z.string().min(1), reason: z.string(), timestamp: z.string().optional() }),
    alarmTime: Timestamp,
  }),
  z.object({ trigger: z.literal("schedule"), mode: z.literal("drill"), scheduledTime: Timestamp }),
  z.object({
    trigger: Manual,
    mode: z.enum(["failover", "switchover", "drill"]),
    reason: z.string().min(1),
    requestedBy: RequestedBy,
  }),
]);

/** DR upkeep on a schedule (readiness every 30 minutes, the copy pipeline every 5), or run by hand. */
export const DrUpkeepInput = z.discriminatedUnion("trigger", [
  z.object({ trigger: z.literal("schedule"), scheduledTime: Timestamp }),
  z.object({ trigger: Manual, requestedBy: RequestedBy }),
]);

/**
 * The detail of `Step Functions Execution Status Change` for an execution stopped or timed out from
 * outside (rule `execution-stopped-clean-up` passes `$.detail`): the event's contract, its status narrowed.
 */
export const OperationCleanupInput = StepFunctionsExecutionStatusChange.detail.extend({
  status: z.enum(["ABORTED", "TIMED_OUT"]),
});

export const workflowInputs = {
  "tenant-onboarding": TenantRequest,
  "tenant-offboarding": TenantOffboardingRequest,
  "canary-promotion": CanaryPromotionInput,
  "backup-verification": BackupVerificationInput,
  "backup-snapshots": BackupSnapshotsInput,
  "backup-sweeper": BackupSweeperInput,
  "regional-failover": RegionalFailoverInput,
  "dr-readiness": DrUpkeepInput,
  "dr-snapshot-copies": DrUpkeepInput,
  "operation-cleanup": OperationCleanupInput,
} as const;

export type WorkflowInputs = typeof workflowInputs;
export type WorkflowName = keyof WorkflowInputs;
export type WorkflowInput<Name extends WorkflowName> = z.infer<WorkflowInputs[Name]>;

export const WORKFLOW_NAMES = Object.keys(workflowInputs) as readonly WorkflowName[];
