/** The weekly manual snapshots: name, tags (what they are and how long they are kept), age. */
import type { Tag } from "@aws-sdk/client-rds";
import { WEEKLY_SNAPSHOT_RETENTION_DAYS } from "./policy.ts";

/** Marks a manual snapshot as the weekly one (check-policy looks for it, the pruning deletes by it). */
export const TAG_WEEKLY = "cplane:weekly";
export const TAG_RETENTION = "cplane:retention-days";

/** `weekly-<cluster>-<YYYY-MM-DD>`: one a day at most, the same name when a run is retried. */
export function weeklySnapshotId(clusterIdentifier: string, at: Date): string {
  return `weekly-${clusterIdentifier}-${at.toISOString().slice(0, 10)}`;
}

export function weeklyTags(slug: string): Tag[] {
  return [
    { Key: TAG_WEEKLY, Value: "true" },
    { Key: TAG_RETENTION, Value: String(WEEKLY_SNAPSHOT_RETENTION_DAYS) },
    { Key: "cplane:tenant", Value: slug },
  ];
}
