/**
 * The state machine's probe while it waits for a tenant cluster: is the cluster and every instance
 * `available`, has it failed, and where does it answer. Never waits itself.
 */
import { z } from "zod";
import { defineStep } from "../shared/handler.ts";
import { clusterInstances, findCluster } from "./lib/database.ts";
import { DatabaseNotFoundError } from "./lib/errors.ts";

export const CheckDatabaseInput = z.object({
  clusterIdentifier: z.string().min(1),
  executionArn: z.string().optional(),
});

/** Statuses from which a cluster does not become available by waiting. */
export const FAILED_STATUSES: ReadonlySet<string> = new Set([
  "failed",
  "inaccessible-encryption-credentials",
  "inaccessible-encryption-credentials-recoverable",
  "incompatible-parameters",
  "incompatible-restore",
  "deleting",
]);

export interface CheckDatabaseResult {
  readonly status: string;
  readonly ready: boolean;
  readonly failed: boolean;
  readonly clusterArn: string;
  readonly endpoint: string;
  readonly readerEndpoint: string;
  readonly port: number;
  /** The RDS-managed master secret (an ARN; the password never leaves Secrets Manager). */
  readonly masterSecretArn: string;
  readonly instances: readonly { readonly identifier: string; readonly status: string }[];
}

export const handler = defineStep(CheckDatabaseInput, async (input): Promise<CheckDatabaseResult> => {
  const cluster = await findCluster(input.clusterIdentifier);
  if (!cluster) throw new DatabaseNotFoundError(`DB cluster ${input.clusterIdentifier} does not exist`);
  const instances = (await clusterInstances(input.clusterIdentifier)).map((instance) => ({
    identifier: instance.DBInstanceIdentifier ?? "",
    status: instance.DBInstanceStatus ?? "unknown",
  }));
  const status = cluster.Status ?? "unknown";
  const failed =
    FAILED_STATUSES.has(status) || instances.some((instance) => FAILED_STATUSES.has(instance.status));
  return {
    status,
    ready:
      status === "available" &&
      instances.length > 0 &&
      instances.every((instance) => instance.status === "available"),
    failed,
    clusterArn: cluster.DBClusterArn ?? "",
    endpoint: cluster.Endpoint ?? "",
    readerEndpoint: cluster.ReaderEndpoint ?? "",
    port: cluster.Port ?? 5432,
    masterSecretArn: cluster.MasterUserSecret?.SecretArn ?? "",
    instances,
  };
});
