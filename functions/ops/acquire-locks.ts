/**
 * Takes the named leases an execution needs before its risky steps, all or none: each in the order
 * given (so two executions asking for the same set cannot deadlock), and the ones taken by this call
 * are given back when a later one is held by someone else. Never waits: it says who holds what, and
 * the state machine waits (bounded) and asks again (workflows/kit/locks.ts).
 *
 * A holder in the way whose execution no longer runs (it ended without its release, or was lost) is
 * not waited for until its lease expires, hours later: its hold is given back and the lock asked for
 * again, once. A failover at 3 a.m. must not be refused by an onboarding that died at midnight.
 */
import { z } from "zod";
import { awsNow } from "../shared/aws-clients.ts";
import { defineStep } from "../shared/handler.ts";
import { isExecutionRunning } from "../tenant/lib/executions.ts";
import { acquireLease, type Decision, type LeaseRequest, releaseLease } from "./lib/leases.ts";

/** `fleet`, `service:<name>`, `tenant:<slug>`: a kind, and what it is about. */
export const LockName = z
  .string()
  .regex(/^[a-z][a-z0-9-]*(:[A-Za-z0-9._/-]{1,200})?$/, "must look like kind[:subject]");

export const AcquireLocksInput = z.object({
  locks: z
    .array(z.object({ name: LockName, mode: z.enum(["exclusive", "shared"]) }))
    .min(1)
    .max(10),
  /** How long the holds last unless released or renewed: at least the execution's own timeout. */
  ttlSeconds: z
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 3600),
  executionArn: z.string().min(1),
});

export interface AcquireLocksResult {
  readonly acquired: boolean;
  /** When not acquired: the leases in the way, who holds them, how, and until when (ISO). */
  readonly heldBy: readonly { lock: string; owner: string; mode: string; until: string }[];
  /** Holders whose leases had expired and were taken over (owners that died). */
  readonly tookOver: readonly { lock: string; owner: string }[];
}

export const handler = defineStep(AcquireLocksInput, async (input): Promise<AcquireLocksResult> => {
  const taken: string[] = [];
  const tookOver: { lock: string; owner: string }[] = [];
  for (const lock of input.locks) {
    const request = (): LeaseRequest => ({
      name: lock.name,
      owner: input.executionArn,
      mode: lock.mode,
      ttlMs: input.ttlSeconds * 1000,
      now: awsNow(),
    });
    let decision: Decision = await acquireLease(request());
    if (!decision.acquired) {
      const gone = await holdersNotRunning(decision.heldBy.map((hold) => hold.owner));
      for (const owner of gone) {
        await releaseLease(lock.name, owner);
        tookOver.push({ lock: lock.name, owner });
      }
      if (gone.length > 0) decision = await acquireLease(request());
    }
    if (!decision.acquired) {
      for (const name of taken) await releaseLease(name, input.executionArn);
      return {
        acquired: false,
        heldBy: decision.heldBy.map((hold) => ({
          lock: lock.name,
          owner: hold.owner,
          mode: hold.mode,
          until: new Date(hold.until).toISOString(),
        })),
        tookOver: [],
      };
    }
    taken.push(lock.name);
    for (const owner of decision.tookOver) tookOver.push({ lock: lock.name, owner });
  }
  return { acquired: true, heldBy: [], tookOver };
});

/**
 * The holders whose executions have ended (or never existed), asked one by one. A holder that cannot
 * be asked about (not an execution of this deployment, or the question refused) is taken to run: its
 * lease is waited out, as before, never taken from it on a guess.
 */
async function holdersNotRunning(owners: readonly string[]): Promise<string[]> {
  const gone: string[] = [];
  for (const owner of owners) {
    const running = await isExecutionRunning(owner).catch(() => true);
    if (!running) gone.push(owner);
  }
  return gone;
}
