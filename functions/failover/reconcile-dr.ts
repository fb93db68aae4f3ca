/**
 * The readiness run's reconciliation: every active tenant that runs at home (a tenant moved by a
 * failover is re-established instead) gets the DR its tier's profile says (lib/reconcile.ts: a tenant
 * whose tier changed joins or leaves a global database) and its DR space in the paired region for that
 * tier (namespace quotas follow the tier; lib/dr-space.ts). Each change is recorded on the tenant and
 * returned for the assessment to report; one tenant's failure is reported and the others go on.
 */
import { z } from "zod";
import { defineStep } from "../shared/handler.ts";
import { kubernetesClient } from "../shared/kubernetes.ts";
import { now } from "../tenant/lib/inputs.ts";
import { clusterSettings, LABEL_TIER } from "../tenant/lib/namespace.ts";
import { recordStep } from "../tenant/lib/registry.ts";
import { isOutage, regionPair } from "./lib/aws.ts";
import { ensureDrSpace } from "./lib/dr-space.ts";
import { Inventory } from "./lib/inventory.ts";
import { activeTenants } from "./lib/plan.ts";
import { drInLine, type Reconciled, reconcileTenant } from "./lib/reconcile.ts";

export const ReconcileDrInput = z.object({ executionArn: z.string().min(1) });

export interface ReconcileDrResult {
  /** Tenants whose DR changed profile (or is changing), with why. */
  readonly reconciled: readonly Reconciled[];
  /** Tenants whose DR space was (re)made: what was created. */
  readonly spaces: readonly string[];
  /** Tenants that could not be brought into line this run, with the error. */
  readonly failed: readonly { subject: string; reason: string }[];
}

export const handler = defineStep(ReconcileDrInput, async (input): Promise<ReconcileDrResult> => {
  const regions = regionPair();
  const settings = clusterSettings();
  const kubernetes = await kubernetesClient(settings.clusterName, regions.dr);
  const reconciled: Reconciled[] = [];
  const spaces: string[] = [];
  const failed: { subject: string; reason: string }[] = [];
  const tenants = (await activeTenants()).filter((t) => !t.region || t.region === regions.home);
  // Who needs a closer look, from one listing per region (lib/inventory.ts); those are read again.
  const inventory = new Inventory();
  const namespaces = await inventory
    .namespaces(`${settings.clusterName}@${regions.dr}`, kubernetes)
    // Not swallowed: unlisted, every tenant gets the closer look, whose own namespace read meets the
    // same error and reports it against the tenant (`failed`), as before the listing.
    .catch(() => undefined);
  for (const tenant of tenants) {
    try {
      const spaceInLine = namespaces?.get(tenant.slug)?.metadata?.labels?.[LABEL_TIER] === tenant.tier;
      // A listing that failed (throttled, a region down) decides nothing: the tenant gets the closer look.
      if (spaceInLine && (await drInLine(inventory, tenant, regions).catch(() => false))) continue;
      const change = await reconcileTenant(tenant, regions, input.executionArn);
      const owner = {
        slug: tenant.slug,
        tenantId: tenant.tenantId,
        executionArn: input.executionArn,
        tier: tenant.tier,
      };
      // The DR space is made again only when missing or made for another tier (quotas follow the tier).
      const namespace = await kubernetes.read({
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: tenant.slug },
      });
      const inLine = namespace?.metadata?.labels?.[LABEL_TIER] === tenant.tier;
      const space = inLine ? [] : await ensureDrSpace(kubernetes, settings, owner, regions);
      if (change) reconciled.push(change);
      if (space.length > 0) spaces.push(`${tenant.slug}: ${space.join(", ")}`);
      if (change || space.length > 0)
        await recordStep(tenant.slug, {
          at: now(),
          step: "reconcile-dr",
          outcome: change?.state === "pending" ? "pending" : "reconciled",
          reason: [change?.reason, space.length > 0 ? `DR space: ${space.join(", ")}` : undefined]
            .filter(Boolean)
            .join("; "),
          executionArn: input.executionArn,
        });
    } catch (error) {
      if (isOutage(error)) throw error; // a region down: the whole run waits for the next
      failed.push({ subject: tenant.slug, reason: `${(error as Error).name}: ${(error as Error).message}` });
    }
  }
  return { reconciled, spaces, failed };
});
