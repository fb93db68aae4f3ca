/**
 * Scratch resources' names and tags. A name is deterministic per tenant and execution, so that a
 * retried or redriven step finds what it made before (adopt, never a second copy), and short enough
 * for RDS (63 characters, `scratch-` + slug of at most 40 + `-` + 8 hex digits + `-1`).
 */
import { createHash } from "node:crypto";
import type { Tag } from "@aws-sdk/client-rds";
import { tagValue } from "../../tenant/lib/database.ts";

export const SCRATCH_PREFIX = "scratch-";
export const TAG_SCRATCH = "cplane:scratch";
export const TAG_EXECUTION = "cplane:execution";
export const TAG_TENANT = "cplane:tenant";
/** When the scratch resource was made (ISO), for the sweeper. */
export const TAG_CREATED = "cplane:scratch-created";

export interface ScratchNames {
  readonly cluster: string;
  readonly instance: string;
}

export function scratchNames(slug: string, executionArn: string): ScratchNames {
  const run = createHash("sha256").update(executionArn).digest("hex").slice(0, 8);
  const cluster = `${SCRATCH_PREFIX}${slug}-${run}`;
  return { cluster, instance: `${cluster}-1` };
}

export function scratchTags(slug: string, executionArn: string, createdAt: string): Tag[] {
  return [
    { Key: TAG_SCRATCH, Value: "true" },
    { Key: TAG_EXECUTION, Value: executionArn },
    { Key: TAG_TENANT, Value: slug },
    { Key: TAG_CREATED, Value: createdAt },
  ];
}

export { tagValue };

/** Scratch, and made by this execution: the only thing a cleanup may delete. */
export function isOurScratch(tags: readonly Tag[] | undefined, executionArn: string): boolean {
  return tagValue(tags, TAG_SCRATCH) === "true" && tagValue(tags, TAG_EXECUTION) === executionArn;
}
