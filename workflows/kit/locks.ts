/**
 * Locks and interlocks: named leases (`ops/acquire-locks`, `ops/release-locks`) held by the execution
 * itself, with an expiry so that a dead owner's lease is taken over. `acquireLocks` tries, waits and
 * tries again until a deadline, then ends in `LocksHeldError` naming who holds what; `releaseLocks`
 * gives everything back and never fails the workflow (the lease's expiry is the backstop).
 *
 * The policy every workflow follows (names in `LOCKS`): a regional failover or DR drill holds `fleet`
 * exclusively; onboarding and canary steps that change things hold it shared, so they wait while a
 * failover runs and a failover waits for them to finish the step at hand; `service:<name>` is one
 * canary per service; `tenant:<slug>` is one operation per tenant.
 */
import type { JsonValue, State } from "../asl.ts";
import { lambdaTask } from "../asl.ts";
import { catchAll, detectedFailure, EXECUTION_ARN, TRANSIENT_RETRY } from "./steps.ts";

export const LOCKS = {
  fleet: "fleet",
  service: (nameExpression: string) => `'service:' & ${nameExpression}`,
  tenant: (slugExpression: string) => `'tenant:' & ${slugExpression}`,
} as const;

export interface AcquireLocksSpec {
  /** JSONata (without `{% %}`) of the list `[{"name": ..., "mode": "exclusive"|"shared"}]`. */
  readonly locks: string;
  /** How long a hold lasts if never released: at least the workflow's own timeout. */
  readonly ttlSeconds: number;
  readonly retrySeconds: number;
  readonly maxWaitSeconds: number;
  readonly next: string;
  /** Where a wait that ran out goes, with `$failure` = `LocksHeldError`. */
  readonly onBlocked: string;
  readonly onFailure: string;
}

export interface LockBlock {
  readonly entry: string;
  readonly variables: Readonly<Record<string, JsonValue>>;
  readonly states: Readonly<Record<string, State>>;
}

export function acquireLocks(spec: AcquireLocksSpec): LockBlock {
  return {
    entry: "AcquireLocks",
    variables: { locks: null, locksDeadline: 0 },
    states: {
      AcquireLocks: lambdaTask("ops/acquire-locks", {
        Payload: `{% {"locks": ${spec.locks}, "ttlSeconds": ${spec.ttlSeconds}, "executionArn": ${EXECUTION_ARN}} %}`,
        Assign: {
          locks: "{% $states.result.Payload %}",
          locksDeadline: `{% $locksDeadline = 0 ? $toMillis($states.context.State.EnteredTime) + ${spec.maxWaitSeconds * 1000} : $locksDeadline %}`,
        },
        Retry: [TRANSIENT_RETRY],
        Catch: [catchAll("acquire-locks", spec.onFailure)],
        Next: "AreLocksAcquired",
      }),
      AreLocksAcquired: {
        Type: "Choice",
        Choices: [
          { Condition: "{% $locks.acquired = true %}", Next: spec.next },
          {
            Condition: "{% $toMillis($states.context.State.EnteredTime) >= $locksDeadline %}",
            Next: "LocksBlocked",
          },
        ],
        Default: "WaitForLocks",
      },
      WaitForLocks: { Type: "Wait", Seconds: spec.retrySeconds, Next: "AcquireLocks" },
      LocksBlocked: detectedFailure(
        "acquire-locks",
        "LocksHeldError",
        `{% 'lock ' & $locks.heldBy[0].lock & ' is held ' & $locks.heldBy[0].mode & ' by ' & $locks.heldBy[0].owner & ' until ' & $locks.heldBy[0].until & '; waited ${Math.round(spec.maxWaitSeconds / 60)} minutes' %}`,
        spec.onBlocked,
      ),
    },
  };
}

/** Gives back every lease the execution holds, then goes to `next` whatever happens. */
export function releaseLocks(next: string): State {
  return lambdaTask("ops/release-locks", {
    Payload: `{% {"executionArn": ${EXECUTION_ARN}} %}`,
    // The state's output is its input: what the workflow returns is not the release's business.
    Output: "{% $states.input %}",
    Retry: [TRANSIENT_RETRY],
    Catch: [{ ErrorEquals: ["States.ALL"], Next: next, Output: "{% $states.input %}" }],
    Next: next,
  });
}
