/**
 * First step of the clean-up after an execution was stopped or timed out from outside (Step Functions
 * runs no Catch then): what workflow it was, what it was asked, and how it ended.
 */
import { DescribeExecutionCommand, SFNClient } from "@aws-sdk/client-sfn";
import { z } from "zod";
import { createAwsClient } from "../shared/aws-clients.ts";
import { defineStep } from "../shared/handler.ts";

const sfn = createAwsClient(SFNClient);

/** The detail of AWS's `Step Functions Execution Status Change` event (the fields used). */
export const StoppedExecution = z.object({
  executionArn: z.string().min(1),
  stateMachineArn: z.string().min(1),
  status: z.enum(["ABORTED", "TIMED_OUT", "FAILED", "SUCCEEDED", "RUNNING", "PENDING_REDRIVE"]),
  error: z.string().nullish(),
  cause: z.string().nullish(),
});

export interface StoppedExecutionResult {
  readonly executionArn: string;
  /** The state machine's name (`cplane-prod-tenant-onboarding` on AWS, `tenant-onboarding` locally). */
  readonly stateMachineName: string;
  readonly status: string;
  /** What the clean-up records as the failure: `States.Aborted` or `States.Timeout` unless AWS said more. */
  readonly failure: { readonly step: string; readonly error: string; readonly cause: string };
  /** The execution's input, parsed (null when it was not JSON). */
  readonly input: unknown;
}

export const handler = defineStep(StoppedExecution, async (event): Promise<StoppedExecutionResult> => {
  const execution = await sfn.send(new DescribeExecutionCommand({ executionArn: event.executionArn }));
  let input: unknown = null;
  try {
    input = JSON.parse(execution.input ?? "null");
  } catch {
    input = null;
  }
  const status = execution.status ?? event.status;
  const error =
    event.error ?? execution.error ?? (status === "TIMED_OUT" ? "States.Timeout" : "States.Aborted");
  const cause =
    event.cause ??
    execution.cause ??
    (status === "TIMED_OUT"
      ? "the execution ran past its TimeoutSeconds"
      : "the execution was stopped from outside (StopExecution)");
  return {
    executionArn: event.executionArn,
    stateMachineName: event.stateMachineArn.split(":").pop() ?? "",
    status,
    failure: { step: "execution", error, cause },
    input,
  };
});
