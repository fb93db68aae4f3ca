/**
 * Moves a global database's writer to the target region: `FailoverGlobalCluster` with data loss
 * allowed when the writer's region is lost (failover), `SwitchoverGlobalCluster` when it is healthy
 * (switchover, drill, fail back). Called in the target region. Measures the RPO at promotion (the
 * secondary's last reported AuroraGlobalDBRPOLag; a switchover loses nothing). Safe to repeat: a move
 * already under way or done is reported, not started again; one under way elsewhere is retried.
 */
import { FailoverGlobalClusterCommand, SwitchoverGlobalClusterCommand } from "@aws-sdk/client-rds";
import { z } from "zod";
import { awsNow } from "../shared/aws-clients.ts";
import { defineStep } from "../shared/handler.ts";
import { isAwsError } from "../tenant/lib/errors.ts";
import { rdsIn, regionOfArn } from "./lib/aws.ts";
import { findGlobal } from "./lib/dr-setup.ts";
import { DrResourceBusyError, PlatformNotFoundError } from "./lib/errors.ts";
import { rpoLagSeconds } from "./lib/metrics.ts";

export const PromoteInput = z.object({
  globalClusterIdentifier: z.string().min(1),
  targetArn: z.string().startsWith("arn:"),
  dataLoss: z.boolean(),
  executionArn: z.string().min(1),
});

export interface PromoteResult {
  readonly startedAt: string;
  /** Seconds of writes that may be lost: 0 for a switchover, the last replication lag for a failover. */
  readonly rpoSeconds: number | null;
  readonly already: boolean;
}

export const handler = defineStep(PromoteInput, async (input): Promise<PromoteResult> => {
  const region = regionOfArn(input.targetArn);
  const startedAt = new Date(awsNow()).toISOString();
  const global = await findGlobal(region, input.globalClusterIdentifier);
  if (!global) throw new PlatformNotFoundError(`global database ${input.globalClusterIdentifier} not found`);
  const writer = global.GlobalClusterMembers?.find((m) => m.IsWriter)?.DBClusterArn;
  const movingTo = global.FailoverState?.ToDbClusterArn;
  if (movingTo === input.targetArn) return { startedAt, rpoSeconds: null, already: true };
  // Moving elsewhere (a drill's switchover cut short, now failed back): its writer is the target only
  // until the move ends, so it is moved again once it has settled.
  if (movingTo)
    throw new DrResourceBusyError(
      `${input.globalClusterIdentifier} is moving to ${movingTo} (${global.Status}); moved back once it settles`,
    );
  if (writer === input.targetArn) return { startedAt, rpoSeconds: null, already: true };
  const rpoSeconds = input.dataLoss
    ? ((await rpoLagSeconds(region, input.targetArn.split(":").pop() ?? "")) ?? null)
    : 0;
  const command = input.dataLoss
    ? new FailoverGlobalClusterCommand({
        GlobalClusterIdentifier: input.globalClusterIdentifier,
        TargetDbClusterIdentifier: input.targetArn,
        AllowDataLoss: true,
      })
    : new SwitchoverGlobalClusterCommand({
        GlobalClusterIdentifier: input.globalClusterIdentifier,
        TargetDbClusterIdentifier: input.targetArn,
      });
  await rdsIn(region)
    .send(command as never)
    .catch((error: unknown) => {
      if (isAwsError(error, "InvalidGlobalClusterStateFault", "InvalidDBClusterStateFault"))
        throw new DrResourceBusyError(`${input.globalClusterIdentifier}: ${(error as Error).message}`, {
          cause: error,
        });
      throw error;
    });
  return { startedAt, rpoSeconds, already: false };
});
