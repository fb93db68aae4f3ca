/**
 * Offboarding: delete the tenant's cluster, only once its final snapshot is available (the handler
 * checks again, so deletion protection never comes off before). Safe to repeat: a cluster already
 * deleting or gone is done.
 */
import { z } from "zod";
import { defineStep } from "../shared/handler.ts";
import { deleteCluster } from "./lib/deletion.ts";
import { SnapshotNotReadyError } from "./lib/errors.ts";
import { TenantRef } from "./lib/inputs.ts";
import { tenantNames } from "./lib/slug.ts";
import { snapshotStatus } from "./lib/snapshots.ts";

export const DeleteDatabaseInput = TenantRef.extend({
  snapshotIdentifier: z.string().min(1).nullable(),
  /** Where the tenant runs (after a failover, the paired region); the stage's own when absent. */
  region: z.string().min(1).optional(),
});

export interface DeleteDatabaseResult {
  readonly removed: readonly string[];
}

export const handler = defineStep(DeleteDatabaseInput, async (input): Promise<DeleteDatabaseResult> => {
  const names = tenantNames(input.slug);
  if (input.snapshotIdentifier !== null) {
    const snapshot = await snapshotStatus(input.snapshotIdentifier, input.region);
    if (snapshot?.status !== "available") {
      throw new SnapshotNotReadyError(
        `final snapshot ${input.snapshotIdentifier} is ${snapshot?.status ?? "missing"}; the cluster stays protected`,
      );
    }
  }
  return { removed: await deleteCluster(names.clusterIdentifier, input, input.region) };
});
