/**
 * Lambda steps with the standard error handling: the Retry every step gets (derived from the error
 * classes the handlers throw, see functions/errors.ts) and a catch-all that remembers which step failed
 * and why in `$failure`, then goes to the workflow's failure path.
 */

import type { CatalogFunctionId } from "../../functions/catalog.ts";
import { RETRYABLE_ERRORS } from "../../functions/errors.ts";
import type { FunctionId } from "../../functions/shared/catalog.ts";
import { type Catcher, type JsonValue, lambdaTask, type Retrier, type State } from "../asl.ts";

/** The execution's ARN in a JSONata expression; every step's payload carries it as `executionArn`. */
export const EXECUTION_ARN = "$states.context.Execution.Id";

/** The variable the catch-all and detected failures fill: `{ step, error, cause }`. */
export const FAILURE_VARIABLE = "failure";

/** Retries throttling and resources still changing state, with jittered exponential back-off. */
export const TRANSIENT_RETRY: Retrier = {
  ErrorEquals: RETRYABLE_ERRORS,
  IntervalSeconds: 2,
  MaxAttempts: 6,
  BackoffRate: 2,
  MaxDelaySeconds: 60,
  JitterStrategy: "FULL",
};

/** The short name a step's failure is recorded under: `tenant/create-namespace` → `create-namespace`. */
export function stepName(id: FunctionId): string {
  return id.split("/")[1] ?? id;
}

/** A catch-all that records which step failed and why in `$failure`, then goes to `next`. */
export function catchAll(step: string, next: string): Catcher {
  return {
    ErrorEquals: ["States.ALL"],
    Next: next,
    Assign: {
      [FAILURE_VARIABLE]: {
        step,
        error: "{% $states.errorOutput.Error %}",
        cause: "{% $states.errorOutput.Cause %}",
      },
    },
  };
}

/** A Pass state recording a failure the state machine itself detected (a deadline, a failed resource). */
export function detectedFailure(step: string, error: string, cause: string, next: string): State {
  return { Type: "Pass", Assign: { [FAILURE_VARIABLE]: { step, error, cause } }, Next: next };
}

export interface StepOptions {
  readonly Assign?: Readonly<Record<string, JsonValue>>;
  /** Extra retriers tried before the standard one (a step that knows better for one error). */
  readonly Retry?: readonly Retrier[];
  readonly TimeoutSeconds?: number;
}

/**
 * A Lambda step: invoke `id` with `payload`, retry what is retryable, catch everything else into
 * `onFailure` with `$failure` set. Without `next` the step ends the execution.
 */
export function step(
  /** A function of the catalog: a misspelled id fails the typecheck. */
  id: CatalogFunctionId,
  payload: string,
  next: string | undefined,
  onFailure: string,
  options: StepOptions = {},
): State {
  return lambdaTask(id, {
    Payload: payload,
    ...(options.Assign ? { Assign: options.Assign } : {}),
    ...(options.TimeoutSeconds ? { TimeoutSeconds: options.TimeoutSeconds } : {}),
    Retry: [...(options.Retry ?? []), TRANSIENT_RETRY],
    Catch: [catchAll(stepName(id), onFailure)],
    ...(next ? { Next: next } : { End: true as const }),
  });
}
