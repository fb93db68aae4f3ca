/**
 * Waiting for AWS: `Wait<name>` → `Check<name>` → `Is<name>Ready`, looping with back-off until the check
 * says ready (→ `next`), failed (→ `<name>Failed`) or the deadline passes (→ `<name>TimedOut`); the last
 * two record a named error in `$failure` and go to the failure path.
 *
 * With `wake`, the wait is not a timer but a task token that AWS's own state-change event for the
 * resource resumes (`ops/await-resource` registers it; a rule on the default bus sends it back): the
 * workflow moves on as soon as the resource changes, and the task's timeout, which backs off as the
 * timer did, is the poll that still finds a change whose event was lost.
 */
import type { CatalogFunctionId } from "../../functions/catalog.ts";
import { type JsonValue, lambdaTask, type State } from "../asl.ts";
import { catchAll, detectedFailure, EXECUTION_ARN, step, stepName, TRANSIENT_RETRY } from "./steps.ts";

export interface PollSpec {
  /** Names the states: `Wait<name>`, `Check<name>`, `Is<name>Ready`, `<name>Failed`, `<name>TimedOut`. */
  readonly name: string;
  /** The step that describes the resource; its result goes to `$<result>`. */
  readonly check: CatalogFunctionId;
  readonly payload: string;
  readonly result: string;
  /** JSONata conditions on `$<result>` (without the `{% %}`). */
  readonly readyWhen: string;
  readonly failedWhen: string;
  readonly next: string;
  readonly onFailure: string;
  /** Seconds, or a JSONata expression (without `{% %}`) of them: a deadline the input decides. */
  readonly deadlineSeconds: number | string;
  readonly firstPollSeconds: number;
  readonly maxPollSeconds: number;
  /** The named error and cause (a JSONata template) when the check says failed. */
  readonly failed: { readonly error: string; readonly cause: string };
  /** The named error and cause when the deadline passed. */
  readonly timedOut: { readonly error: string; readonly cause: string };
  /** Wake on the resource's AWS events: a JSONata expression of its ARN, and the event kind. */
  readonly wake?: { readonly resourceArn: string; readonly kind: AwaitedResourceKind };
  /**
   * Inside a Parallel branch or a Map iteration, which may not assign the workflow's `$failure`: the
   * check's errors and the named errors fail the branch (`<name>Failed` / `<name>TimedOut` are Fail
   * states), for the Parallel's or Map's Catch to take; `onFailure` is not used.
   */
  readonly inBranch?: boolean;
}

/** Resources whose state changes AWS publishes on the default bus (`ops/await-resource` knows them). */
export type AwaitedResourceKind = "rds-cluster" | "rds-cluster-snapshot";

export interface PollBlock {
  /** The state to go to to start waiting. */
  readonly entry: string;
  /** Variables the workflow's first state must assign (their initial values). */
  readonly variables: Readonly<Record<string, JsonValue>>;
  readonly states: Readonly<Record<string, State>>;
}

const lowerFirst = (text: string) => text.charAt(0).toLowerCase() + text.slice(1);

export function pollUntil(spec: PollSpec): PollBlock {
  const base = lowerFirst(spec.name);
  const interval = `${base}PollSeconds`;
  const deadline = `${base}Deadline`;
  const wait = `WaitFor${spec.name}`;
  const check = `Check${spec.name}`;
  const decide = `Is${spec.name}Ready`;
  const failed = `${spec.name}Failed`;
  const timedOut = `${spec.name}TimedOut`;
  const assign = {
    [interval]: `{% $min([$${interval} * 2, ${spec.maxPollSeconds}]) %}`,
    // The deadline counts from the first wait.
    [deadline]: `{% $${deadline} = 0 ? $toMillis($states.context.State.EnteredTime) + ${typeof spec.deadlineSeconds === "number" ? spec.deadlineSeconds * 1000 : `(${spec.deadlineSeconds}) * 1000`} : $${deadline} %}`,
  };
  const waitState: State = spec.wake
    ? lambdaTask("ops/await-resource", {
        Comment: "Resumed by the resource's AWS event; the timeout is the backstop poll.",
        waitForTaskToken: true,
        Payload: `{% {"resourceArn": ${spec.wake.resourceArn}, "kind": "${spec.wake.kind}", "taskToken": $states.context.Task.Token, "executionArn": ${EXECUTION_ARN}} %}`,
        TimeoutSeconds: `{% $${interval} %}`,
        Assign: assign,
        Retry: [TRANSIENT_RETRY],
        Catch: [
          // The backstop: nothing woke the wait in time, so look anyway.
          { ErrorEquals: ["States.Timeout"], Next: check, Assign: assign },
          catchAll(stepName("ops/await-resource"), spec.onFailure),
        ],
        Next: check,
      })
    : { Type: "Wait", Seconds: `{% $${interval} %}`, Assign: assign, Next: check };
  const fail = (named: { readonly error: string; readonly cause: string }): State =>
    spec.inBranch
      ? { Type: "Fail", Error: named.error, Cause: named.cause }
      : detectedFailure(stepName(spec.check), named.error, named.cause, spec.onFailure);
  return {
    entry: wait,
    variables: { [interval]: spec.firstPollSeconds, [deadline]: 0, [spec.result]: null },
    states: {
      [wait]: waitState,
      [check]: spec.inBranch
        ? lambdaTask(spec.check, {
            Payload: spec.payload,
            Assign: { [spec.result]: "{% $states.result.Payload %}" },
            Retry: [TRANSIENT_RETRY],
            Next: decide,
          })
        : step(spec.check, spec.payload, decide, spec.onFailure, {
            Assign: { [spec.result]: "{% $states.result.Payload %}" },
          }),
      [decide]: {
        Type: "Choice",
        Choices: [
          { Condition: `{% ${spec.readyWhen} %}`, Next: spec.next },
          { Condition: `{% ${spec.failedWhen} %}`, Next: failed },
          { Condition: `{% $toMillis($states.context.State.EnteredTime) > $${deadline} %}`, Next: timedOut },
        ],
        Default: wait,
      },
      [failed]: fail(spec.failed),
      [timedOut]: fail(spec.timedOut),
    },
  };
}
