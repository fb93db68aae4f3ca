/**
 * Scales the target region's EKS node group to the size the region left had (bounded by its maximum),
 * so that it can take the whole load; a drill's fail back scales it to its size before. Returns the
 * update to watch, or none when the size is already right.
 */
import { DescribeNodegroupCommand, UpdateNodegroupConfigCommand } from "@aws-sdk/client-eks";
import { z } from "zod";
import { defineStep } from "../shared/handler.ts";
import { isAwsError } from "../tenant/lib/errors.ts";
import { eksIn } from "./lib/aws.ts";
import { DrResourceBusyError } from "./lib/errors.ts";

export const ScaleComputeInput = z.object({
  region: z.string().min(1),
  cluster: z.string().min(1),
  nodegroup: z.string().min(1),
  desiredSize: z.number().int().nonnegative(),
  executionArn: z.string().min(1),
});

export interface ScaleResult {
  readonly updateId: string | null;
  readonly from: number;
  readonly to: number;
}

export const handler = defineStep(ScaleComputeInput, async (input): Promise<ScaleResult> => {
  const eks = eksIn(input.region);
  const { nodegroup } = await eks.send(
    new DescribeNodegroupCommand({ clusterName: input.cluster, nodegroupName: input.nodegroup }),
  );
  const from = nodegroup?.scalingConfig?.desiredSize ?? 0;
  if (from === input.desiredSize) return { updateId: null, from, to: from };
  const { update } = await eks
    .send(
      new UpdateNodegroupConfigCommand({
        clusterName: input.cluster,
        nodegroupName: input.nodegroup,
        scalingConfig: { desiredSize: input.desiredSize },
      }),
    )
    .catch((error: unknown) => {
      if (isAwsError(error, "ResourceInUseException"))
        throw new DrResourceBusyError(`node group ${input.nodegroup} is updating`, { cause: error });
      throw error;
    });
  return { updateId: update?.id ?? null, from, to: input.desiredSize };
});
