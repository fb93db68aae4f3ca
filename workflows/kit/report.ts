/**
 * The run report (`reports/record-report`): one format for every workflow, stored in the registry and
 * summarized in the final event. The step reads the execution's history itself (steps and their times);
 * the workflow hands over what only it knows: the trigger, the outcome and reason, its decisions with
 * their inputs and thresholds, and its measured figures. A report that cannot be written never fails
 * the run it reports on: the workflow goes on without a summary.
 */
import { lambdaTask, type State } from "../asl.ts";
import { EXECUTION_ARN, TRANSIENT_RETRY } from "./steps.ts";

export interface ReportSpec {
  readonly workflow: string;
  /** JSONata (without `{% %}`) of each part; decisions and figures default to none. */
  readonly trigger: string;
  readonly outcome: string;
  readonly reason: string;
  readonly decisions?: string;
  readonly figures?: string;
  readonly next: string;
  /** JSONata of the execution reported on: this one unless a clean-up reports for the execution it follows. */
  readonly executionArn?: string;
}

/** The variable the summary goes to, for the final event's payload (`"report": $report`). */
export const REPORT_VARIABLE = "report";

/** A manual start unless the input says what started it (`trigger` from a rule or a schedule). */
export const TRIGGER_FROM_INPUT = (input: string) =>
  `($exists(${input}.trigger) and $type(${input}.trigger) = "object" ? ${input}.trigger : {"type": "manual", "source": "StartExecution"})`;

export function recordReport(spec: ReportSpec): State {
  return lambdaTask("reports/record-report", {
    Payload: `{% {"executionArn": ${spec.executionArn ?? EXECUTION_ARN}, "workflow": "${spec.workflow}", "trigger": ${spec.trigger}, "outcome": ${spec.outcome}, "reason": ${spec.reason}, "decisions": ${spec.decisions ?? "[]"}, "figures": ${spec.figures ?? "[]"}} %}`,
    Assign: { [REPORT_VARIABLE]: "{% $states.result.Payload %}" },
    Output: "{% $states.input %}",
    Retry: [TRANSIENT_RETRY],
    Catch: [{ ErrorEquals: ["States.ALL"], Next: spec.next, Output: "{% $states.input %}" }],
    Next: spec.next,
  });
}
