/**
 * The readiness run's first step: what offboardings left in a region that did not answer (the tenant's
 * `leftovers`) is removed once the region answers (lib/region-clearing.ts: a global database's members
 * detached, a snapshot kept of each cluster before it goes, DR snapshots, secrets, namespaces and the
 * operators' access). Nothing is made: an offboarded tenant never gets replication or copies again (the
 * re-establishing and reconciling steps after this one look at active tenants only). Over as many runs
 * as the deletions take; a region still down waits for the next run; one tenant's failure is reported
 * and the others go on.
 */
import { z } from "zod";
import type { Leftover } from "../../events/tenants.ts";
import { defineStep } from "../shared/handler.ts";
import { kubernetesClient } from "../shared/kubernetes.ts";
import { now } from "../tenant/lib/inputs.ts";
import { clusterSettings } from "../tenant/lib/namespace.ts";
import { getTenant, listTenantBriefs, type TenantRecord } from "../tenant/lib/registry.ts";
import { clearRegion, isUnreachable, type KubernetesIn } from "./lib/region-clearing.ts";
import { setLeftovers } from "./lib/store.ts";

export const SweepOffboardedInput = z.object({ executionArn: z.string().min(1) });

export interface SweepOffboardedResult {
  /** Per tenant, what went this run. */
  readonly removed: readonly string[];
  /** Per tenant and region, what is still going (the next run goes on). */
  readonly waiting: readonly string[];
  /** Regions that still did not answer, per tenant. */
  readonly unreachable: readonly string[];
  readonly failed: readonly { subject: string; reason: string }[];
}

export const handler = defineStep(SweepOffboardedInput, async (input): Promise<SweepOffboardedResult> => {
  const result = {
    removed: [] as string[],
    waiting: [] as string[],
    unreachable: [] as string[],
    failed: [] as { subject: string; reason: string }[],
  };
  const clusterName = clusterSettings().clusterName;
  const kubernetesIn: KubernetesIn = (region) => kubernetesClient(clusterName, region);
  // The fleet in brief (no history), every readiness run; the few with leftovers are read whole.
  const candidates = (await listTenantBriefs()).filter(
    (t) => t.status === "offboarded" && (t.leftovers ?? []).length > 0,
  );
  for (const candidate of candidates) {
    const tenant = await getTenant(candidate.slug);
    if (!tenant) continue;
    try {
      await sweep(tenant, input.executionArn, kubernetesIn, result);
    } catch (error) {
      result.failed.push({
        subject: tenant.slug,
        reason: `${(error as Error).name}: ${(error as Error).message}`,
      });
    }
  }
  return result;
});

async function sweep(
  tenant: TenantRecord,
  executionArn: string,
  kubernetesIn: KubernetesIn,
  result: SweepOffboardedResult,
): Promise<void> {
  const owner = { slug: tenant.slug, tenantId: tenant.tenantId, executionArn };
  const keepAfter =
    tenant.history.findLast((h) => h.step === "start-offboarding")?.at ?? new Date(0).toISOString();
  const leftovers = tenant.leftovers ?? [];
  // The region the writer ran in last: a held writer there goes once the other region's member has.
  const regions = [...new Set(leftovers.map((l) => l.region))].sort(
    (a, b) => Number(a === tenant.finalSnapshotRegion) - Number(b === tenant.finalSnapshotRegion),
  );
  const cleared = new Set<string>();
  const removed: string[] = [];
  for (const region of regions) {
    try {
      const done = await clearRegion(owner, region, keepAfter, kubernetesIn);
      removed.push(...done.removed);
      if (done.waiting.length === 0) cleared.add(region);
      else (result.waiting as string[]).push(`${tenant.slug} in ${region}: ${done.waiting.join("; ")}`);
    } catch (error) {
      if (!isUnreachable(error)) throw error;
      (result.unreachable as string[]).push(`${tenant.slug}: ${region}`);
    }
  }
  if (removed.length > 0) (result.removed as string[]).push(`${tenant.slug}: ${removed.join(", ")}`);
  const remaining: Leftover[] = leftovers.filter((l) => !cleared.has(l.region));
  if (removed.length === 0 && remaining.length === leftovers.length) return;
  await setLeftovers(tenant.slug, remaining, {
    at: now(),
    step: "sweep-offboarded",
    outcome: remaining.length > 0 ? "partial" : "removed",
    reason: [
      removed.length > 0 ? `removed ${removed.join(", ")}` : undefined,
      cleared.size > 0 ? `nothing left in ${[...cleared].join(", ")}` : undefined,
      remaining.length > 0
        ? `still left in ${[...new Set(remaining.map((l) => l.region))].join(", ")}`
        : undefined,
    ]
      .filter(Boolean)
      .join("; "),
    executionArn,
  });
}
