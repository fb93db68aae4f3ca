/**
 * Errors of two kinds: `StatesError` is a failure inside an execution (it has an ASL error name and
 * a cause, and Retry/Catch match it); the API errors are thrown by the execution API and carry the
 * Step Functions API error name as their `name`, so the local server can answer with it verbatim.
 */

/** A failure raised while running a state: `error` is what Retry/Catch match, `cause` the text. */
export class StatesError extends Error {
  override name = "StatesError";
  readonly error: string;
  override readonly cause: string | undefined;
  constructor(error: string, cause?: string) {
    super(cause === undefined ? error : `${error}: ${cause}`);
    this.error = error;
    this.cause = cause;
  }
}

export const StatesErrors = {
  ALL: "States.ALL",
  Runtime: "States.Runtime",
  TaskFailed: "States.TaskFailed",
  Timeout: "States.Timeout",
  HeartbeatTimeout: "States.HeartbeatTimeout",
  DataLimitExceeded: "States.DataLimitExceeded",
  QueryEvaluationError: "States.QueryEvaluationError",
  IntrinsicFailure: "States.IntrinsicFailure",
  ExceedToleratedFailureThreshold: "States.ExceedToleratedFailureThreshold",
  ItemReaderFailed: "States.ItemReaderFailed",
  ResultWriterFailed: "States.ResultWriterFailed",
  BranchFailed: "States.BranchFailed",
  NoChoiceMatched: "States.NoChoiceMatched",
  ParameterPathFailure: "States.ParameterPathFailure",
  Permissions: "States.Permissions",
} as const;

/** Base of every error the execution API throws; `name` is the Step Functions API error name. */
export class SfnApiError extends Error {
  override name = "SfnApiError";
}
export class InvalidDefinition extends SfnApiError {
  override name = "InvalidDefinition";
}
export class InvalidName extends SfnApiError {
  override name = "InvalidName";
}
export class InvalidArn extends SfnApiError {
  override name = "InvalidArn";
}
export class StateMachineDoesNotExist extends SfnApiError {
  override name = "StateMachineDoesNotExist";
}
export class StateMachineAlreadyExists extends SfnApiError {
  override name = "StateMachineAlreadyExists";
}
export class ExecutionDoesNotExist extends SfnApiError {
  override name = "ExecutionDoesNotExist";
}
export class ExecutionAlreadyExists extends SfnApiError {
  override name = "ExecutionAlreadyExists";
}
export class ExecutionNotRedrivable extends SfnApiError {
  override name = "ExecutionNotRedrivable";
}
export class InvalidExecutionInput extends SfnApiError {
  override name = "InvalidExecutionInput";
}
export class InvalidOutput extends SfnApiError {
  override name = "InvalidOutput";
}
export class InvalidToken extends SfnApiError {
  override name = "InvalidToken";
}
export class TaskDoesNotExist extends SfnApiError {
  override name = "TaskDoesNotExist";
}
export class TaskTimedOut extends SfnApiError {
  override name = "TaskTimedOut";
}
export class ValidationException extends SfnApiError {
  override name = "ValidationException";
}
