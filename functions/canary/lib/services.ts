/**
 * Which services a repository deploys, and how each one's canary goes: steps, bake time, gates, the
 * approval before 100 %, tenant cohorts. Data, not code: a team changes its rollout here (reviewed
 * like code), and the workflow reads it through `resolveService`. Defaults are the platform's own
 * figures (DESIGN.md: 10/25/50/100 %, an hour per step, error rate < 1 %, p99 < 500 ms, business
 * success no more than 2 points below stable).
 */
import { z } from "zod";
import { AwsRegion } from "../../../events/fields.ts";
import { CanaryServiceName, CanarySteps } from "../../../events/workflows.ts";
import { Tier } from "../../tenant/lib/tiers.ts";

/** A cohort stage: the tenants (by tier or by id) whose requests go to the canary while it lasts. */
export const CohortStage = z
  .strictObject({
    tiers: z.array(Tier).min(1).optional(),
    tenants: z
      .array(z.string().regex(/^[a-z0-9-]{1,63}$/))
      .min(1)
      .optional(),
  })
  .refine((stage) => (stage.tiers === undefined) !== (stage.tenants === undefined), {
    message: "a cohort stage names tiers or tenants, not both",
  });

export const CanaryServiceConfig = z.strictObject({
  /** `owner/name` of the repository whose pushes to main deploy this service. */
  repository: z.string().regex(/^[\w.-]+\/[\w.-]+$/),
  /** The image repository; a push deploys `<imageRepository>:<first 12 characters of the commit>`. */
  imageRepository: z.string().min(1),
  namespace: z.string().regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/),
  /** The EKS cluster, `{region}` replaced by the region deployed to. */
  cluster: z.string().min(1),
  /** Regions it may be deployed to; none: the control plane's own region only. */
  regions: z.array(AwsRegion).min(1).optional(),
  steps: CanarySteps.default([10, 25, 50, 100]),
  bakeMinutes: z.number().int().min(1).max(1440).default(60),
  /**
   * A bake at 100 % before stable is replaced: the canary takes all traffic for `minutes` (default: the
   * service's bake time) while stable still runs, held to the gates that make sense without stable
   * traffic (error rate and p99 as always; business success against stable's baseline measured at the
   * previous step). A breach rolls back to stable, which is still there. Absent: stable is replaced as
   * soon as the canary passes its last step below 100 %.
   */
  fullBake: z.strictObject({ minutes: z.number().int().min(1).max(1440).optional() }).optional(),
  /** How often the canary is compared with stable during a bake: at most a minute, so a breach rolls back within one. */
  analysisIntervalSeconds: z.number().int().min(30).max(60).default(60),
  /** How long a rollout (canary pods, then stable on promotion) may take to become ready. */
  progressDeadlineSeconds: z.number().int().min(60).max(3600).default(600),
  gates: z
    .strictObject({
      maxErrorRatePercent: z.number().positive().max(100).default(1),
      maxP99Ms: z.number().positive().default(500),
      maxBusinessSuccessDropPoints: z.number().nonnegative().max(100).default(2),
      /** Requests each of canary and stable must have served in the window for a conclusive analysis. */
      minRequests: z.number().int().positive().default(50),
      /** Business transactions each must have for the success-rate comparison (fewer move the rate by points). */
      minTransactions: z.number().int().positive().default(50),
    })
    .prefault({}),
  approval: z
    .strictObject({
      /** Ask a person before the canary takes 100 %. */
      beforeFull: z.boolean().default(false),
    })
    .prefault({}),
  /**
   * Tenant cohorts: the first stages send only these tenants' requests to the canary (Istio header
   * match on `header`), each baked and gated like a step; then the weighted steps follow.
   */
  cohorts: z
    .strictObject({
      tierHeader: z
        .string()
        .regex(/^[a-z0-9-]+$/)
        .default("x-cplane-tenant-tier"),
      tenantHeader: z
        .string()
        .regex(/^[a-z0-9-]+$/)
        .default("x-cplane-tenant"),
      stages: z.array(CohortStage).min(1).max(5),
    })
    .optional(),
});
export type CanaryServiceConfig = z.output<typeof CanaryServiceConfig>;

export const CanaryServices = z.record(CanaryServiceName, CanaryServiceConfig).refine(
  (services) => {
    const repositories = Object.values(services).map((s) => s.repository);
    return new Set(repositories).size === repositories.length;
  },
  { message: "a repository deploys one service (a push starts one canary)" },
);

/** The services the demo fleet runs (local/cloud/demo.ts), as a team would configure them. */
export const CANARY_SERVICES: Readonly<Record<string, CanaryServiceConfig>> = CanaryServices.parse({
  web: {
    repository: "acme/shop-web",
    imageRepository: "cplane/web",
    namespace: "shop",
    cluster: "cplane-{region}",
    // Basic tenants first, then standard with them; premium only once the weighted steps begin.
    cohorts: { stages: [{ tiers: ["basic"] }, { tiers: ["basic", "standard"] }] },
    approval: { beforeFull: true },
  },
  api: {
    repository: "acme/shop-api",
    imageRepository: "cplane/api",
    namespace: "shop",
    cluster: "cplane-{region}",
    // Holds all traffic for its bake time while stable still runs, before stable is replaced.
    fullBake: {},
  },
});
