/**
 * The scratch sweeper: removes scratch clusters (tagged `cplane:scratch`) older than a few hours, which
 * only a crashed or stopped backup verification leaves behind, and reports what it removed and what it
 * could not remove yet.
 */
import { workflowInputs } from "../events/workflows.ts";
import type { StateMachineDefinition } from "./asl.ts";
import { EXECUTION_ARN, recordReport, step } from "./kit/index.ts";
import type { WorkflowSpec } from "./workflow.ts";

const TRIGGER = `($states.input.trigger = "schedule" ? {"type": "schedule", "source": "schedule backup-scratch-sweeper", "at": $states.input.scheduledTime} : {"type": "manual", "source": "StartExecution", "by": $states.input.requestedBy})`;

export const backupSweeperDefinition: StateMachineDefinition = {
  Comment: "Removes scratch clusters left behind by crashed backup verification runs",
  QueryLanguage: "JSONata",
  TimeoutSeconds: 3600,
  StartAt: "Initialize",
  States: {
    Initialize: {
      Type: "Pass",
      Assign: { trigger: `{% ${TRIGGER} %}`, swept: null, failure: null, report: null },
      Next: "SweepScratch",
    },
    SweepScratch: step(
      "backup/sweep-scratch",
      `{% $merge([{"executionArn": ${EXECUTION_ARN}}, $exists($states.input.olderThanMinutes) ? {"olderThanMinutes": $states.input.olderThanMinutes} : {}]) %}`,
      "RecordReport",
      "Failed",
      { Assign: { swept: "{% $states.result.Payload %}" } },
    ),
    RecordReport: recordReport({
      workflow: "backup-sweeper",
      trigger: "$trigger",
      outcome: '($count($swept.left) = 0 ? "succeeded" : "failed")',
      reason:
        '$string($count($swept.removed)) & " scratch clusters removed" & ($count($swept.left) > 0 ? "; left: " & $join($swept.left.(cluster & " (" & reason & ")"), "; ") : "")',
      figures:
        '[{"name": "scratch clusters removed", "value": $count($swept.removed), "unit": "count", "key": true}]',
      next: "Done",
    }),
    Done: { Type: "Succeed", Output: "{% $swept %}" },
    Failed: { Type: "Fail", Error: "{% $failure.error %}", Cause: "{% $failure.cause %}" },
  },
};

export const backupSweeper: WorkflowSpec<"backup-sweeper"> = {
  name: "backup-sweeper",
  description:
    "Removes scratch clusters older than a few hours that a crashed backup verification left behind.",
  definition: backupSweeperDefinition,
  input: workflowInputs["backup-sweeper"],
};
