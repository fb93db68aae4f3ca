/**
 * The readiness schedule's step: assesses DR readiness (lib/readiness.ts; each tenant's DR space
 * too: its namespace in the standby region and its secret readable there; and whether the standby node
 * group at its maximum can take the Deployments a failover scales up there), stores it for
 * `cplane dr status`, puts the per-tier counts in CloudWatch (`cplane/DR`), and publishes
 * `DR Readiness Changed` when the overall status or any subject's status changed.
 */
import { z } from "zod";
import { DrReadinessChanged } from "../../events/operations.ts";
import { requireEnv } from "../shared/env.ts";
import { defineStep } from "../shared/handler.ts";
import { kubernetesClient } from "../shared/kubernetes.ts";
import { publishEvent } from "../shared/publish.ts";
import { isOutage } from "./lib/aws.ts";
import { totalDemand } from "./lib/capacity.ts";
import { drSpaceProblems } from "./lib/dr-space.ts";
import { Inventory } from "./lib/inventory.ts";
import { putFigures } from "./lib/metrics.ts";
import { assessReadiness, type Light, type Readiness } from "./lib/readiness.ts";
import { standbyDemand } from "./lib/standby-demand.ts";
import { readReadiness, writeReadiness } from "./lib/store.ts";

export const CheckReadinessInput = z.object({
  executionArn: z.string().min(1),
  /** What the run's reconciliation changed (or could not), reported with the subject's status. */
  reconciled: z.array(z.object({ subject: z.string().min(1), reason: z.string() })).default([]),
});

export interface CheckReadinessResult {
  readonly overall: Light;
  readonly previous: Light | null;
  readonly changed: number;
  readonly perKind: Readiness["perKind"];
}

export const handler = defineStep(CheckReadinessInput, async (input): Promise<CheckReadinessResult> => {
  const previous = await readReadiness();
  const cluster = requireEnv("EKS_CLUSTER_NAME");
  // Every read is a listing, once per region or cluster (lib/inventory.ts), whatever the fleet's size.
  const inventory = new Inventory();
  const readiness = await assessReadiness({
    inventory,
    space: async (slug, regions) => {
      const kubernetes = await kubernetesClient(cluster, regions.dr);
      return drSpaceProblems(
        {
          namespaces: await inventory.namespaces(`${cluster}@${regions.dr}`, kubernetes),
          secrets: await inventory.secrets(regions.dr),
        },
        slug,
        regions,
      );
    },
    demand: async (region, computeCluster, sets) => {
      const kubernetes = await kubernetesClient(computeCluster, region);
      const deployments = await inventory.deployments(`${computeCluster}@${region}`, kubernetes);
      return totalDemand(standbyDemand(deployments, sets));
    },
  });
  await writeReadiness(readiness);
  const before = new Map((previous?.subjects ?? []).map((s) => [s.subject, s.status]));
  const reconciled = new Map(input.reconciled.map((r) => [r.subject, r.reason]));
  // A subject reconciled is reported even when its light stayed the same: its DR profile changed.
  const changed = readiness.subjects
    .filter((s) => before.get(s.subject) !== s.status || reconciled.has(s.subject))
    .map((s) => ({
      subject: s.subject,
      from: before.get(s.subject) ?? null,
      to: s.status,
      reason: reconciled.has(s.subject) ? `${reconciled.get(s.subject)}; ${s.reason}` : s.reason,
    }));
  if (changed.length > 0 || previous?.overall !== readiness.overall) {
    await publishEvent(DrReadinessChanged, {
      checkedAt: readiness.checkedAt,
      previous: previous?.overall ?? null,
      overall: readiness.overall,
      primaryRegion: readiness.primaryRegion,
      secondaryRegion: readiness.secondaryRegion,
      perTier: Object.fromEntries(Object.entries(readiness.perKind).map(([kind, v]) => [kind, v.status])),
      changed: changed.slice(0, 100),
    });
  }
  // The figures go to the region that serves now; when it does not answer, to the other.
  const data = Object.entries(readiness.perKind).flatMap(([kind, counts]) =>
    (["green", "amber", "red"] as const).map((light) => ({
      MetricName: "ReadinessCount",
      Dimensions: [
        { Name: "Tier", Value: kind },
        { Name: "Status", Value: light },
      ],
      Value: counts[light],
      Unit: "Count" as const,
    })),
  );
  await putFigures(readiness.primaryRegion, data).catch(async (error: unknown) => {
    if (!isOutage(error)) throw error;
    await putFigures(readiness.secondaryRegion, data);
  });
  return {
    overall: readiness.overall,
    previous: previous?.overall ?? null,
    changed: changed.length,
    perKind: readiness.perKind,
  };
});
