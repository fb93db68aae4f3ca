/**
 * The Step Functions API (JSON 1.0, `AWSStepFunctions.*`) over the local engine. Each operation
 * checks its required parameters first, as AWS does, so a malformed request changes nothing.
 */
import { type Engine, type ExecutionStatus, SfnApiError } from "../engine/index.ts";
import { type AwsJsonService, checkFields } from "./aws-json.ts";

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
        checkFields(input, { required: ["stateMachineArn"], strings: ["stateMachineArn"] });
        return engine.describeStateMachine(String(input.stateMachineArn));
      },
      StartExecution: (input) => {
        checkFields(input, {
          required: ["stateMachineArn"],
          strings: ["stateMachineArn", "name", "input", "traceHeader"],
        });
        return engine.startExecution({
          stateMachineArn: String(input.stateMachineArn),
          name: optionalString(input.name),
          input: optionalString(input.input),
        });
      },
      DescribeExecution: (input) => {
        checkFields(input, { required: ["executionArn"], strings: ["executionArn"] });
        return engine.describeExecution(String(input.executionArn));
      },
      ListExecutions: (input) => {
        checkFields(input, {
          required: ["stateMachineArn"],
          strings: ["stateMachineArn", "statusFilter", "nextToken"],
          numbers: ["maxResults"],
        });
        return engine.listExecutions({
          stateMachineArn: String(input.stateMachineArn),
          statusFilter: optionalString(input.statusFilter) as ExecutionStatus | undefined,
          maxResults: optionalNumber(input.maxResults),
          nextToken: optionalString(input.nextToken),
        });
      },
      GetExecutionHistory: (input) => {
        checkFields(input, {
          required: ["executionArn"],
          strings: ["executionArn", "nextToken"],
          numbers: ["maxResults"],
          booleans: ["reverseOrder", "includeExecutionData"],
        });
        return engine.getExecutionHistory(String(input.executionArn), {
          reverseOrder: input.reverseOrder === true,
          maxResults: optionalNumber(input.maxResults),
          nextToken: optionalString(input.nextToken),
          includeExecutionData: input.includeExecutionData !== false,
        });
      },
      StopExecution: (input) => {
        checkFields(input, { required: ["executionArn"], strings: ["executionArn", "error", "cause"] });
        return engine.stopExecution(String(input.executionArn), {
          error: optionalString(input.error),
          cause: optionalString(input.cause),
        });
      },
      RedriveExecution: (input) => {
        checkFields(input, { required: ["executionArn"], strings: ["executionArn", "clientToken"] });
        return engine.redriveExecution(String(input.executionArn));
      },
      SendTaskSuccess: (input) => {
        checkFields(input, { required: ["taskToken", "output"], strings: ["taskToken", "output"] });
        return engine.sendTaskSuccess({ taskToken: String(input.taskToken), output: String(input.output) });
      },
      SendTaskFailure: (input) => {
        checkFields(input, { required: ["taskToken"], strings: ["taskToken", "error", "cause"] });
        return engine.sendTaskFailure({
          taskToken: String(input.taskToken),
          error: optionalString(input.error),
          cause: optionalString(input.cause),
        });
      },
      SendTaskHeartbeat: (input) => {
        checkFields(input, { required: ["taskToken"], strings: ["taskToken"] });
        return engine.sendTaskHeartbeat({ taskToken: String(input.taskToken) });
      },
    },
  };
}
