/** Whether the node group's scaling update finished (Successful), failed, or still runs. */
import { DescribeUpdateCommand } from "@aws-sdk/client-eks";
import { z } from "zod";
import { awsNow } from "../shared/aws-clients.ts";
import { defineStep } from "../shared/handler.ts";
import { eksIn } from "./lib/aws.ts";

export const CheckComputeInput = z.object({
  region: z.string().min(1),
  cluster: z.string().min(1),
  nodegroup: z.string().min(1),
  updateId: z.string().nullable(),
  executionArn: z.string().min(1),
});

export interface ComputeStatus {
  readonly ready: boolean;
  readonly failed: boolean;
  readonly status: string;
  readonly at: string;
}

export const handler = defineStep(CheckComputeInput, async (input): Promise<ComputeStatus> => {
  const at = new Date(awsNow()).toISOString();
  if (!input.updateId) return { ready: true, failed: false, status: "unchanged", at };
  const { update } = await eksIn(input.region).send(
    new DescribeUpdateCommand({
      name: input.cluster,
      nodegroupName: input.nodegroup,
      updateId: input.updateId,
    }),
  );
  const status = update?.status ?? "unknown";
  return {
    ready: status === "Successful",
    failed: status === "Failed" || status === "Cancelled",
    status,
    at,
  };
});
