/** Whether a restored tenant cluster and its writer are available in the target region. */
import { DescribeDBInstancesCommand } from "@aws-sdk/client-rds";
import { z } from "zod";
import { awsNow } from "../shared/aws-clients.ts";
import { defineStep } from "../shared/handler.ts";
import { rdsIn } from "./lib/aws.ts";
import { findClusterIn } from "./lib/dr-setup.ts";

export const CheckRestoreInput = z.object({
  clusterIdentifier: z.string().min(1),
  region: z.string().min(1),
  executionArn: z.string().min(1),
});

export interface RestoreStatus {
  readonly ready: boolean;
  readonly failed: boolean;
  readonly status: string;
  readonly endpoint: string | null;
  readonly at: string;
}

const FAILED = new Set(["incompatible-restore", "failed", "inaccessible-encryption-credentials"]);

export const handler = defineStep(CheckRestoreInput, async (input): Promise<RestoreStatus> => {
  const at = new Date(awsNow()).toISOString();
  const cluster = await findClusterIn(input.region, input.clusterIdentifier);
  const status = cluster?.Status ?? "missing";
  const { DBInstances } = await rdsIn(input.region).send(
    new DescribeDBInstancesCommand({
      Filters: [{ Name: "db-cluster-id", Values: [input.clusterIdentifier] }],
    }),
  );
  const writerReady = (DBInstances ?? []).some((i) => i.DBInstanceStatus === "available");
  return {
    ready: status === "available" && writerReady,
    failed: FAILED.has(status) || status === "missing",
    status,
    endpoint: cluster?.Endpoint ?? null,
    at,
  };
});
