/**
 * The Step Functions API (JSON 1.0, `AWSStepFunctions.*`) over the local engine. Requests reach an
 * operation only after AWS's model of its input has accepted them (see model.ts), so each operation
 * reads members of the types and within the limits AWS allows, and a malformed request changes nothing.
 */
import { type Engine, type ExecutionStatus, SfnApiError, ValidationException } from "../engine/index.ts";
import type { AwsJsonService, Operation } from "./aws-json.ts";
import { loadModel } from "./model.ts";
import type { SfnOperation } from "./operations.ts";

const model = loadModel("sfn.json");

const str = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);
const num = (value: unknown): number | undefined => (typeof value === "number" ? value : undefined);

export function stepFunctionsService(engine: Engine): AwsJsonService {
  const operations: Record<SfnOperation, Operation> = {
    ListStateMachines: () => engine.listStateMachines(),
    DescribeStateMachine: (input) => engine.describeStateMachine(String(input.stateMachineArn)),
    StartExecution: (input) =>
      engine.startExecution({
        stateMachineArn: String(input.stateMachineArn),
        name: str(input.name),
        input: str(input.input),
      }),
    DescribeExecution: (input) => engine.describeExecution(String(input.executionArn)),
    ListExecutions: (input) => {
      // The model requires neither: AWS takes a state machine or a Map Run; we have no Map Runs.
      if (input.stateMachineArn === undefined) {
        throw new ValidationException(
          "1 validation error detected: Value null at 'stateMachineArn' failed to satisfy constraint: Member must not be null",
        );
      }
      if (input.statusFilter === "PENDING_REDRIVE") {
        throw new ValidationException("statusFilter PENDING_REDRIVE requires a mapRunArn");
      }
      return engine.listExecutions({
        stateMachineArn: String(input.stateMachineArn),
        statusFilter: str(input.statusFilter) as ExecutionStatus | undefined,
        maxResults: num(input.maxResults),
        nextToken: str(input.nextToken),
      });
    },
    GetExecutionHistory: (input) =>
      engine.getExecutionHistory(String(input.executionArn), {
        reverseOrder: input.reverseOrder === true,
        maxResults: num(input.maxResults),
        nextToken: str(input.nextToken),
        includeExecutionData: input.includeExecutionData !== false,
      }),
    StopExecution: (input) =>
      engine.stopExecution(String(input.executionArn), { error: str(input.error), cause: str(input.cause) }),
    RedriveExecution: (input) => engine.redriveExecution(String(input.executionArn)),
    SendTaskSuccess: (input) =>
      engine.sendTaskSuccess({ taskToken: String(input.taskToken), output: String(input.output) }),
    SendTaskFailure: (input) =>
      engine.sendTaskFailure({
        taskToken: String(input.taskToken),
        error: str(input.error),
        cause: str(input.cause),
      }),
    SendTaskHeartbeat: (input) => engine.sendTaskHeartbeat({ taskToken: String(input.taskToken) }),
  };
  return {
    targetPrefix: "AWSStepFunctions",
    contentType: "application/x-amz-json-1.0",
    isClientError: (error) => error instanceof SfnApiError,
    operations,
    model,
  };
}
