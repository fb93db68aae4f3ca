/**
 * The failure path every workflow ends with when a step fails: compensate what this execution created
 * (optional), record the failure and publish the workflow's failure event, then fail with the step's
 * error and a cause that carries the reason. Every step's catch-all (`catchAll`) leads here with
 * `$failure` set; a failure of the path itself never hides the original error.
 */
import type { CatalogFunctionId } from "../../functions/catalog.ts";
import { type JsonValue, lambdaTask, type State } from "../asl.ts";
import { releaseLocks } from "./locks.ts";
import { recordReport } from "./report.ts";
import { TRANSIENT_RETRY } from "./steps.ts";

/**
 * Compensation outlasts ordinary steps' patience: what it leaves behind costs more than waiting, and
 * what it removes may still be changing state (a cluster still being created cannot be deleted yet).
 * 25 attempts backing off to two minutes, fully jittered, wait about 20 minutes in all: twice an
 * Aurora cluster's creation.
 */
export const COMPENSATION_RETRY = { ...TRANSIENT_RETRY, MaxAttempts: 25, MaxDelaySeconds: 120 };

export interface FailurePathSpec {
  /** Undoes what this execution created; its result, or its error, goes to `$compensation`. */
  readonly compensate?: { readonly id: CatalogFunctionId; readonly payload: string; readonly state?: string };
  /** Records the failure and publishes the failure event; may return `{ reason }` for the cause. */
  readonly record: { readonly id: CatalogFunctionId; readonly payload: string; readonly state?: string };
  /** The Fail state's name, and what failed, as the cause's first words (`tenant onboarding`). */
  readonly fail: { readonly state: string; readonly what: string };
  /** Give back the execution's leases (workflows that take locks) before failing. */
  readonly releaseLocks?: boolean;
  /**
   * Write the run report before recording the failure, so that the failure event carries its summary
   * (`"report": $report` in the record payload): the workflow's name and a JSONata trigger, and
   * JSONata of the workflow's own decisions on its way down (an array), after compensation's.
   */
  readonly report?: { readonly workflow: string; readonly trigger: string; readonly decisions?: string };
}

export interface FailurePath {
  /** Where a step's catch-all goes. */
  readonly entry: string;
  /** Where a failure goes when nothing was created yet: past compensation, straight to the report and record. */
  readonly recordEntry: string;
  readonly variables: Readonly<Record<string, JsonValue>>;
  readonly states: Readonly<Record<string, State>>;
}

export function failurePath(spec: FailurePathSpec): FailurePath {
  const record = spec.record.state ?? "RecordFailure";
  const beforeRecord = spec.report ? "ReportFailure" : record;
  const states: Record<string, State> = {};
  if (spec.compensate) {
    states[spec.compensate.state ?? "Compensate"] = lambdaTask(spec.compensate.id, {
      Payload: spec.compensate.payload,
      Assign: { compensation: "{% $states.result.Payload %}" },
      Retry: [COMPENSATION_RETRY],
      Catch: [
        {
          ErrorEquals: ["States.ALL"],
          Next: beforeRecord,
          Assign: {
            compensation: { error: "{% $states.errorOutput.Error & ': ' & $states.errorOutput.Cause %}" },
          },
        },
      ],
      Next: beforeRecord,
    });
  }
  if (spec.report) {
    states.ReportFailure = recordReport({
      workflow: spec.report.workflow,
      trigger: spec.report.trigger,
      outcome: `($failure.error = "LocksHeldError" ? "blocked" : "failed")`,
      reason: `$failure.step & ": " & $failure.error`,
      decisions: `$append(($compensation.error ? [{"name": "compensation", "outcome": "failed", "reason": $substring($compensation.error, 0, 1000)}] : []), ${spec.report.decisions ?? "[]"})`,
      figures: `($compensation.removed ? [{"name": "resources removed", "value": $count($compensation.removed), "unit": "count", "key": true}] : [])`,
      next: record,
    });
  }
  const afterRecord = spec.releaseLocks ? "ReleaseLocksAfterFailure" : spec.fail.state;
  states[record] = lambdaTask(spec.record.id, {
    Payload: spec.record.payload,
    Assign: { recorded: "{% $states.result.Payload %}" },
    Retry: [TRANSIENT_RETRY],
    Catch: [{ ErrorEquals: ["States.ALL"], Next: afterRecord }],
    Next: afterRecord,
  });
  if (spec.releaseLocks) states.ReleaseLocksAfterFailure = releaseLocks(spec.fail.state);
  states[spec.fail.state] = {
    Type: "Fail",
    Error: "{% $failure.error %}",
    Cause: `{% '${spec.fail.what} failed at ' & $failure.step & ': ' & $failure.error & ($recorded.reason ? ': ' & $recorded.reason : '') %}`,
  };
  return {
    entry: spec.compensate ? (spec.compensate.state ?? "Compensate") : beforeRecord,
    recordEntry: beforeRecord,
    variables: {
      failure: null,
      compensation: null,
      recorded: null,
      ...(spec.report ? { report: null } : {}),
    },
    states,
  };
}
