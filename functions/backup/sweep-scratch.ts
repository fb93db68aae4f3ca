/**
 * The sweeper (workflow backup-sweeper): scratch clusters older than a few hours are what a crashed or
 * stopped run left behind (a run cleans up its own on every path within minutes). In every region a
 * tenant lives in, it deletes each cluster tagged `cplane:scratch` whose creation tag is older than the
 * limit, with its instances. One cluster that cannot go yet does not stop the others.
 */
import { type DBCluster, DescribeDBClustersCommand } from "@aws-sdk/client-rds";
import { z } from "zod";
import { awsNow } from "../shared/aws-clients.ts";
import { awsRegion } from "../shared/env.ts";
import { defineStep } from "../shared/handler.ts";
import { listTenants } from "../tenant/lib/registry.ts";
import { removeScratchCluster } from "./lib/cleanup.ts";
import { TAG_CREATED, TAG_SCRATCH, tagValue } from "./lib/names.ts";
import { rdsIn } from "./lib/rds.ts";

/** A run takes at most a few hours; anything scratch older than this belongs to no live run. */
export const DEFAULT_SWEEP_AGE_MINUTES = 6 * 60;

export const SweepScratchInput = z.object({
  olderThanMinutes: z.number().int().min(0).default(DEFAULT_SWEEP_AGE_MINUTES),
  executionArn: z.string().min(1),
});

export interface SweepScratchResult {
  readonly removed: readonly {
    readonly region: string;
    readonly cluster: string;
    readonly ageMinutes: number;
  }[];
  readonly left: readonly { readonly region: string; readonly cluster: string; readonly reason: string }[];
}

export const handler = defineStep(SweepScratchInput, async (input): Promise<SweepScratchResult> => {
  const regions = [...new Set([awsRegion(), ...(await listTenants()).map((t) => t.region)])].sort();
  const removed: { region: string; cluster: string; ageMinutes: number }[] = [];
  const left: { region: string; cluster: string; reason: string }[] = [];
  const now = awsNow();
  for (const region of regions) {
    let clusters: DBCluster[];
    try {
      ({ DBClusters: clusters = [] } = await rdsIn(region).send(
        new DescribeDBClustersCommand({ Filters: [{ Name: `tag:${TAG_SCRATCH}`, Values: ["true"] }] }),
      ));
    } catch (error) {
      left.push({ region, cluster: "*", reason: `cannot list: ${(error as Error).name}` });
      continue;
    }
    for (const cluster of clusters) {
      const id = cluster.DBClusterIdentifier ?? "";
      const created = Date.parse(
        tagValue(cluster.TagList, TAG_CREATED) ?? cluster.ClusterCreateTime?.toISOString() ?? "",
      );
      const ageMinutes = Number.isNaN(created)
        ? Number.POSITIVE_INFINITY
        : Math.floor((now - created) / 60_000);
      if (ageMinutes < input.olderThanMinutes || cluster.Status === "deleting") continue;
      try {
        await removeScratchCluster(region, cluster);
        removed.push({ region, cluster: id, ageMinutes });
      } catch (error) {
        left.push({ region, cluster: id, reason: `${(error as Error).name}: ${(error as Error).message}` });
      }
    }
  }
  return { removed, left };
});
