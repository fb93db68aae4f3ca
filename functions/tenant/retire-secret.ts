/**
 * Offboarding: schedule the tenant's application secret for deletion with a recovery window, after
 * checking it is the tenant's, where the tenant runs first and then at home (after an unplanned
 * failover the secret where it runs is a standalone copy, and the stale primary at home is another).
 * A secret still replicated loses its replicas first (a replicated secret cannot be deleted). Already
 * scheduled or gone: nothing to do. A home region that does not answer is recorded as a leftover.
 */
import { DeleteSecretCommand, RemoveRegionsFromReplicationCommand } from "@aws-sdk/client-secrets-manager";
import { z } from "zod";
import type { Leftover } from "../../events/tenants.ts";
import { describeSecret, secretsIn } from "../failover/lib/dr-space.ts";
import { isUnreachable } from "../failover/lib/region-clearing.ts";
import { awsRegion, optionalEnv } from "../shared/env.ts";
import { defineStep } from "../shared/handler.ts";
import { assertOwnedBy } from "./lib/database.ts";
import { TenantRef } from "./lib/inputs.ts";
import { tenantNames } from "./lib/slug.ts";

/** `region`: where the tenant runs (after a failover, the paired region); the stage's own when absent. */
export const RetireSecretInput = TenantRef.extend({ region: z.string().min(1).optional() });

export interface RetireSecretResult {
  readonly secretName: string;
  readonly deletionDate: string | null;
  readonly recoveryWindowDays: number;
  readonly leftovers: readonly Leftover[];
}

export const handler = defineStep(RetireSecretInput, async (input): Promise<RetireSecretResult> => {
  const secretName = tenantNames(input.slug).secretName;
  const recoveryWindowDays = Number(optionalEnv("SECRET_RECOVERY_WINDOW_DAYS", "30"));
  const home = awsRegion();
  const serving = input.region ?? home;
  const leftovers: Leftover[] = [];
  let deletionDate: string | null = null;
  for (const region of serving === home ? [home] : [serving, home]) {
    try {
      const date = await retireIn(region, secretName, input, recoveryWindowDays);
      deletionDate ??= date;
    } catch (error) {
      if (region === serving || !isUnreachable(error)) throw error;
      leftovers.push({ region, resource: `secret ${secretName}`, reason: `${region} did not answer` });
    }
  }
  return { secretName, deletionDate, recoveryWindowDays, leftovers };
});

/** Schedules the secret's deletion in `region`; its deletion date, or null when it is not there (or a replica). */
async function retireIn(
  region: string,
  secretName: string,
  owner: { slug: string; tenantId: string },
  recoveryWindowDays: number,
): Promise<string | null> {
  const secrets = secretsIn(region);
  const described = await describeSecret(region, secretName);
  if (!described) return null;
  assertOwnedBy(`secret ${secretName}`, described.Tags, owner);
  if (described.DeletedDate) return described.DeletedDate.toISOString();
  // A replica goes with its primary's replication, removed where the primary is.
  if ((described.PrimaryRegion ?? region) !== region) return null;
  const replicas = (described.ReplicationStatus ?? []).map((r) => r.Region ?? "").filter((r) => r !== "");
  if (replicas.length > 0)
    await secrets.send(
      new RemoveRegionsFromReplicationCommand({ SecretId: secretName, RemoveReplicaRegions: replicas }),
    );
  const { DeletionDate } = await secrets.send(
    new DeleteSecretCommand({ SecretId: secretName, RecoveryWindowInDays: recoveryWindowDays }),
  );
  return DeletionDate?.toISOString() ?? null;
}
