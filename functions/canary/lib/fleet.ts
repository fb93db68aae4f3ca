/**
 * The fleet interlock for traffic changes: a failover or DR drill holds the `fleet` lease exclusively,
 * and a canary changes traffic only while holding it shared, for the length of the change. A step that
 * finds it held throws `FleetLockedError`, which the state machine retries for as long as a failover
 * may take; the failover, in turn, waits for the change at hand to finish (seconds), not for the canary.
 */

import { acquireLease, releaseLease } from "../../ops/lib/leases.ts";
import { awsNow } from "../../shared/aws-clients.ts";
import { FleetLockedError } from "./errors.ts";

export const FLEET_LOCK = "fleet";
/** A hold outlives any one change; a crashed step's hold expires on its own. */
const HOLD_MS = 5 * 60_000;

export async function withFleetLock<T>(executionArn: string, change: () => Promise<T>): Promise<T> {
  const decision = await acquireLease({
    name: FLEET_LOCK,
    owner: executionArn,
    mode: "shared",
    ttlMs: HOLD_MS,
    now: awsNow(),
  });
  if (!decision.acquired) {
    const holder = decision.heldBy[0];
    throw new FleetLockedError(
      `the fleet lock is held ${holder?.mode ?? "exclusive"} by ${holder?.owner ?? "another operation"} until ${new Date(holder?.until ?? 0).toISOString()}: no traffic change now`,
    );
  }
  try {
    return await change();
  } finally {
    await releaseLease(FLEET_LOCK, executionArn);
  }
}
