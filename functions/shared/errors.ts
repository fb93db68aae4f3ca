/**
 * The base of every error a handler throws on purpose. The `name` is the contract with the state
 * machine: Retry and Catch match it, so renaming one is a breaking change.
 */
export class ControlPlaneError extends Error {
  /** Whether a retry can succeed (throttling, a resource still changing state). */
  readonly retryable: boolean = false;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The input of a step did not match its schema; nothing was changed. */
export class InvalidInputError extends ControlPlaneError {
  readonly issues: readonly string[];

  constructor(message: string, issues: readonly string[] = [], options?: ErrorOptions) {
    super(issues.length > 0 ? `${message}: ${issues.join("; ")}` : message, options);
    this.issues = issues;
  }
}

/** The deployment gave the function settings it cannot work with (a name too long, a malformed ARN). */
export class InvalidConfigurationError extends ControlPlaneError {}

/** A dependency is busy or changing state; the state machine retries with back-off. */
export class TransientError extends ControlPlaneError {
  override readonly retryable = true;
}

/** The EKS cluster a Kubernetes step needs does not exist. */
export class KubernetesClusterNotFoundError extends ControlPlaneError {}
/** The API server refused a request for a reason a retry will not fix (4xx other than 404/409/429). */
export class KubernetesRequestError extends ControlPlaneError {}

/** EventBridge refused the entry (FailedEntryCount > 0); retryable, as PutEvents failures usually are. */
export class EventPublishError extends ControlPlaneError {
  override readonly retryable = true;
  readonly errorCode: string | undefined;

  constructor(message: string, errorCode?: string) {
    super(message);
    this.errorCode = errorCode;
  }
}

/** AWS error names that mean "try again later" on every service the handlers call. */
export const THROTTLING_ERROR_NAMES: readonly string[] = [
  "ThrottlingException",
  "Throttling",
  "ThrottledException",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "ProvisionedThroughputExceededException",
  "RequestThrottledException",
  "ServiceUnavailable",
  "ServiceUnavailableException",
  "InternalFailure",
];

/** True when `error` is an AWS SDK error whose name says the call may succeed if repeated. */
export function isThrottling(error: unknown): boolean {
  return error instanceof Error && THROTTLING_ERROR_NAMES.includes(error.name);
}
