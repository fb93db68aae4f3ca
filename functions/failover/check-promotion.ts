/** Whether a global database's writer is now the target cluster, and since when (the cloud's time). */
import { z } from "zod";
import { awsNow } from "../shared/aws-clients.ts";
import { defineStep } from "../shared/handler.ts";
import { regionOfArn } from "./lib/aws.ts";
import { findGlobal } from "./lib/dr-setup.ts";

export const CheckPromotionInput = z.object({
  globalClusterIdentifier: z.string().min(1),
  targetArn: z.string().startsWith("arn:"),
  executionArn: z.string().min(1),
});

export interface PromotionStatus {
  readonly ready: boolean;
  readonly failed: boolean;
  readonly status: string;
  readonly at: string;
}

export const handler = defineStep(CheckPromotionInput, async (input): Promise<PromotionStatus> => {
  const global = await findGlobal(regionOfArn(input.targetArn), input.globalClusterIdentifier);
  const at = new Date(awsNow()).toISOString();
  if (!global) return { ready: false, failed: true, status: "not found", at };
  const writer = global.GlobalClusterMembers?.find((m) => m.IsWriter)?.DBClusterArn;
  const ready = writer === input.targetArn && global.Status === "available";
  // Checked only after the move was started: settled with another writer means it will not come right.
  const failed = global.Status === "available" && !global.FailoverState && writer !== input.targetArn;
  return { ready, failed, status: global.Status ?? "unknown", at };
});
