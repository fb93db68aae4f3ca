/**
 * The Step Functions API (JSON 1.0, `AWSStepFunctions.*`) over the local engine. Each operation
 * checks its required parameters first, as AWS does, so a malformed request changes nothing.
 */
import { type Engine, type ExecutionStatus, SfnApiError, ValidationException } from "../engine/index.ts";
import type { AwsJsonService } from "./aws-json.ts";

function required(input: Record<string, unknown>, ...names: string[]): void {
  const missing = names.filter((name) => typeof input[name] !== "string" || input[name] === "");
  if (missing.length > 0) {
    throw new ValidationException(
      `${missing.length} validation error${missing.length > 1 ? "s" : ""} detected: ${missing
        .map((name) => `Value null at '${name}' failed to satisfy constraint: Member must not be null`)
        .join("; ")}`,
    );
  }
}

const optionalString = (value: unknown): string | undefined =>
  typeof value === "string" ? value : undefined;
const optionalNumber = (value: unknown): number | undefined =>
  typeof value === "number" ? value : undefined;

export function stepFunctionsService(engine: Engine): AwsJsonService {
  return {
    targetPrefix: "AWSStepFunctions",
    contentType: "application/x-amz-json-1.0",
    isClientError: (error) => error instanceof SfnApiError,
    operations: {
      ListStateMachines: () => engine.listStateMachines(),
      DescribeStateMachine: (input) => {
        required(input, "stateMachineArn");
        return engine.describeStateMachine(String(input.stateMachineArn));
      },
      StartExecution: (input) => {
        required(input, "stateMachineArn");
        return engine.startExecution({
          stateMachineArn: String(input.stateMachineArn),
          name: optionalString(input.name),
          input: optionalString(input.input),
        });
      },
      DescribeExecution: (input) => {
        required(input, "executionArn");
        return engine.describeExecution(String(input.executionArn));
      },
      ListExecutions: (input) => {
        required(input, "stateMachineArn");
        return engine.listExecutions({
          stateMachineArn: String(input.stateMachineArn),
          statusFilter: optionalString(input.statusFilter) as ExecutionStatus | undefined,
          maxResults: optionalNumber(input.maxResults),
          nextToken: optionalString(input.nextToken),
        });
      },
      GetExecutionHistory: (input) => {
        required(input, "executionArn");
        return engine.getExecutionHistory(String(input.executionArn), {
          reverseOrder: input.reverseOrder === true,
          maxResults: optionalNumber(input.maxResults),
          nextToken: optionalString(input.nextToken),
          includeExecutionData: input.includeExecutionData !== false,
        });
      },
      StopExecution: (input) => {
        required(input, "executionArn");
        return engine.stopExecution(String(input.executionArn), {
          error: optionalString(input.error),
          cause: optionalString(input.cause),
        });
      },
      RedriveExecution: (input) => {
        required(input, "executionArn");
        return engine.redriveExecution(String(input.executionArn));
      },
      SendTaskSuccess: (input) => {
        required(input, "taskToken", "output");
        return engine.sendTaskSuccess({ taskToken: String(input.taskToken), output: String(input.output) });
      },
      SendTaskFailure: (input) => {
        required(input, "taskToken");
        return engine.sendTaskFailure({
          taskToken: String(input.taskToken),
          error: optionalString(input.error),
          cause: optionalString(input.cause),
        });
      },
      SendTaskHeartbeat: (input) => {
        required(input, "taskToken");
        return engine.sendTaskHeartbeat({ taskToken: String(input.taskToken) });
      },
    },
  };
}
