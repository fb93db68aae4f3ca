/**
 * Step 1 of backup verification: which tenants this run verifies. A scheduled run takes the active
 * tenants whose tier is due (premium every night, the others on the weekly day); a manual run takes
 * every active tenant, or the chosen ones, and refuses a name the registry does not have (or one that
 * is not active) and a point in time in the future, before anything is restored.
 */
import { z } from "zod";
import { BackupVerificationInput } from "../../events/workflows.ts";
import { awsNow } from "../shared/aws-clients.ts";
import { defineStep } from "../shared/handler.ts";
import { listTenants, type TenantRecord } from "../tenant/lib/registry.ts";
import { tenantNames } from "../tenant/lib/slug.ts";
import { InvalidPointInTimeError, UnknownTenantError } from "./lib/errors.ts";
import type { Target } from "./lib/inputs.ts";
import { BACKUP_POLICY, dueOn } from "./lib/policy.ts";

export const ListTenantsInput = z.intersection(
  BackupVerificationInput,
  z.object({ executionArn: z.string().min(1) }),
);

export interface ListTenantsResult {
  readonly tenants: readonly Target[];
  /** Active tenants left out of this run, and why (not due by their tier's cadence). */
  readonly skipped: readonly { readonly slug: string; readonly reason: string }[];
  readonly pointInTime: string | null;
}

const target = (t: TenantRecord): Target => ({
  slug: t.slug,
  tenantId: t.tenantId,
  tier: t.tier,
  region: t.region,
  clusterIdentifier: tenantNames(t.slug).clusterIdentifier,
  rtoSeconds: BACKUP_POLICY[t.tier].rtoSeconds,
});

export const handler = defineStep(ListTenantsInput, async (input): Promise<ListTenantsResult> => {
  const pointInTime = input.trigger === "manual" ? (input.pointInTime ?? null) : null;
  if (pointInTime !== null && Date.parse(pointInTime) > awsNow()) {
    throw new InvalidPointInTimeError(`point in time ${pointInTime} is in the future`);
  }
  const all = await listTenants();
  const active = all.filter((t) => t.status === "active");
  if (input.trigger === "manual" && input.tenants) {
    const bySlug = new Map(all.map((t) => [t.slug, t]));
    const wrong = input.tenants.flatMap((slug) => {
      const tenant = bySlug.get(slug);
      if (!tenant) return [`${slug}: not registered`];
      return tenant.status === "active" ? [] : [`${slug}: ${tenant.status}, not active`];
    });
    if (wrong.length > 0) throw new UnknownTenantError("cannot verify these tenants", wrong);
    const chosen = new Set(input.tenants);
    return { tenants: active.filter((t) => chosen.has(t.slug)).map(target), skipped: [], pointInTime };
  }
  if (input.trigger === "manual") return { tenants: active.map(target), skipped: [], pointInTime };
  const at = new Date(input.scheduledTime);
  const due = active.filter((t) => dueOn(t.tier, at));
  const skipped = active
    .filter((t) => !dueOn(t.tier, at))
    .map((t) => ({ slug: t.slug, reason: `${t.tier}: verified ${BACKUP_POLICY[t.tier].cadence}` }));
  return { tenants: due.map(target), skipped, pointInTime };
});
