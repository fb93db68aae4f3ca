/** The payloads the backup steps pass each other, one schema each (the state machine carries them). */
import { z } from "zod";
import { awsNow } from "../../shared/aws-clients.ts";
import { Tier } from "../../tenant/lib/tiers.ts";

export const ExecutionArn = z.string().min(1);

/** A tenant to verify, as list-tenants returns it. */
export const Target = z.object({
  slug: z.string().min(1),
  tenantId: z.string().min(1),
  tier: Tier,
  region: z.string().min(1),
  clusterIdentifier: z.string().min(1),
  rtoSeconds: z.number().positive(),
});
export type Target = z.infer<typeof Target>;

/** What a scratch cluster is restored from: a snapshot, or the tenant's cluster at a point in time. */
export const RestoreSource = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("snapshot"),
    snapshotIdentifier: z.string().min(1),
    snapshotArn: z.string().min(1),
    /** When the snapshot was taken: the source's data as of then is what the restore must hold. */
    asOf: z.iso.datetime({ offset: true }),
  }),
  z.object({ kind: z.literal("point-in-time"), asOf: z.iso.datetime({ offset: true }) }),
]);
export type RestoreSource = z.infer<typeof RestoreSource>;

export const CheckValues = z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]));
export type CheckValues = z.infer<typeof CheckValues>;

export interface CheckResult {
  readonly check: string;
  readonly ok: boolean;
  readonly values: CheckValues;
}

export const CheckResultSchema = z.object({ check: z.string().min(1), ok: z.boolean(), values: CheckValues });

export function now(): string {
  return new Date(awsNow()).toISOString();
}
