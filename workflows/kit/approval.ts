/**
 * The approval gate: one mechanism for every human decision. `ops/request-approval` stores the request
 * with its task token and announces `Approval Requested`; the execution waits until someone runs
 * `cplane tasks approve|reject <approvalId> --reason ...` (SendTaskSuccess with the decision: who,
 * when, why) or the timeout passes. On timeout a gate either rejects, or escalates once (a second
 * request, `escalated: true`, with its own timeout) and then rejects.
 */
import { type JsonValue, lambdaTask, type State } from "../asl.ts";
import { catchAll, EXECUTION_ARN, TRANSIENT_RETRY } from "./steps.ts";

export interface ApprovalGateSpec {
  /** The gate's state name, also its id in the approval (`PromoteToProduction`). */
  readonly gate: string;
  /** JSONata (without `{% %}`) of the question, and of the evidence object shown with it. */
  readonly question: string;
  readonly evidence?: string;
  readonly timeoutSeconds: number;
  /** What a timeout means: a rejection, or one escalation (with this timeout) before it. */
  readonly onTimeout:
    | { readonly action: "reject" }
    | { readonly action: "escalate"; readonly timeoutSeconds: number };
  readonly approved: string;
  readonly rejected: string;
  readonly onFailure: string;
}

export interface ApprovalBlock {
  readonly entry: string;
  /** `$<decisionVariable>`: `{ approved, decidedBy, decidedAt, reason, approvalId? }`. */
  readonly decisionVariable: string;
  readonly variables: Readonly<Record<string, JsonValue>>;
  readonly states: Readonly<Record<string, State>>;
}

export function approvalGate(spec: ApprovalGateSpec): ApprovalBlock {
  const decision = `${spec.gate.charAt(0).toLowerCase()}${spec.gate.slice(1)}Decision`;
  const decided = `${spec.gate}Decided`;
  const timedOut = `${spec.gate}TimedOut`;
  const escalated = `${spec.gate}Escalated`;
  const request = (escalation: boolean, timeoutSeconds: number, onTimeout: string): State =>
    lambdaTask("ops/request-approval", {
      waitForTaskToken: true,
      Comment: escalation
        ? "Nobody answered in time: asked again, escalated."
        : "Waits for a person's decision.",
      Payload: `{% {"gate": "${spec.gate}", "question": ${spec.question}, ${spec.evidence ? `"evidence": ${spec.evidence}, ` : ""}"timeoutSeconds": ${timeoutSeconds}, "escalated": ${escalation}, "taskToken": $states.context.Task.Token, "executionArn": ${EXECUTION_ARN}} %}`,
      TimeoutSeconds: timeoutSeconds,
      Assign: { [decision]: "{% $states.result %}" },
      Output: "{% $states.input %}",
      Retry: [TRANSIENT_RETRY],
      Catch: [
        { ErrorEquals: ["States.Timeout"], Next: onTimeout, Output: "{% $states.input %}" },
        catchAll("request-approval", spec.onFailure),
      ],
      Next: decided,
    });
  const states: Record<string, State> = {
    [spec.gate]:
      spec.onTimeout.action === "escalate"
        ? request(false, spec.timeoutSeconds, escalated)
        : request(false, spec.timeoutSeconds, timedOut),
    [timedOut]: {
      Type: "Pass",
      Assign: {
        [decision]: {
          approved: false,
          decidedBy: "timeout",
          decidedAt: "{% $states.context.State.EnteredTime %}",
          reason: `no decision within the gate's time (${spec.timeoutSeconds}s${spec.onTimeout.action === "escalate" ? `, then ${spec.onTimeout.timeoutSeconds}s escalated` : ""})`,
        },
      },
      Next: decided,
    },
    [decided]: {
      Type: "Choice",
      Choices: [{ Condition: `{% $${decision}.approved = true %}`, Next: spec.approved }],
      Default: spec.rejected,
    },
  };
  if (spec.onTimeout.action === "escalate")
    states[escalated] = request(true, spec.onTimeout.timeoutSeconds, timedOut);
  return { entry: spec.gate, decisionVariable: decision, variables: { [decision]: null }, states };
}
