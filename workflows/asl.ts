/**
 * Helpers for writing state machines as data. A Lambda Task names its function by logical id
 * (`cplane:function:tenant/provision-database`); stacks/ substitutes the deployed ARN and the local
 * runtime resolves the same reference to the in-process handler. One definition, two runtimes.
 */
import type { FunctionId } from "../functions/shared/catalog.ts";

export type JsonObject = { [key: string]: JsonValue | undefined };
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;

export type StateType = "Pass" | "Task" | "Choice" | "Wait" | "Succeed" | "Fail" | "Parallel" | "Map";

/** One state. ASL has many optional fields per type; the engine and asl-validator check them. */
export type State = { readonly Type: StateType } & JsonObject;

export interface StateMachineDefinition {
  readonly Comment?: string;
  readonly QueryLanguage?: "JSONata" | "JSONPath";
  readonly StartAt: string;
  readonly States: Readonly<Record<string, State>>;
  readonly TimeoutSeconds?: number;
  readonly Version?: string;
}

export interface Retrier {
  readonly ErrorEquals: readonly string[];
  readonly IntervalSeconds?: number;
  readonly MaxAttempts?: number;
  readonly BackoffRate?: number;
  readonly MaxDelaySeconds?: number;
  readonly JitterStrategy?: "FULL" | "NONE";
}

export interface Catcher {
  readonly ErrorEquals: readonly string[];
  readonly Next: string;
  readonly Output?: JsonValue;
  readonly Assign?: Readonly<Record<string, JsonValue>>;
}

export const FUNCTION_REF_PREFIX = "cplane:function:";
export const LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke";

/** The placeholder a definition uses for a function until a runtime resolves it. */
export function functionRef(id: FunctionId): string {
  return `${FUNCTION_REF_PREFIX}${id}`;
}

/** The logical id behind a placeholder, or undefined for anything else. */
export function functionIdOf(value: string): FunctionId | undefined {
  return value.startsWith(FUNCTION_REF_PREFIX)
    ? (value.slice(FUNCTION_REF_PREFIX.length) as FunctionId)
    : undefined;
}

/**
 * Lambda errors that mean the invocation never ran properly (AWS's recommended retrier for
 * `lambda:invoke`); a handler's own named errors are left to the state's own Retry/Catch.
 */
export const LAMBDA_SERVICE_ERRORS = [
  "Lambda.ServiceException",
  "Lambda.AWSLambdaException",
  "Lambda.SdkClientException",
  "Lambda.TooManyRequestsException",
] as const;

export interface LambdaTaskOptions {
  readonly Comment?: string;
  /** The handler's event; defaults to the state input. */
  readonly Payload?: JsonValue;
  /** The state output; defaults to the handler's return value. */
  readonly Output?: JsonValue;
  readonly Assign?: Readonly<Record<string, JsonValue>>;
  readonly Retry?: readonly Retrier[];
  readonly Catch?: readonly Catcher[];
  /** Seconds, or a JSONata expression of them. */
  readonly TimeoutSeconds?: number | string;
  /**
   * Invoke, then wait until someone returns the task token (`$states.context.Task.Token`, which the
   * payload must pass on) with SendTaskSuccess or SendTaskFailure; the state's result is what they sent.
   */
  readonly waitForTaskToken?: true;
  readonly Next?: string;
  readonly End?: true;
}

/** A JSONata Task state invoking a catalog function through the optimised Lambda integration. */
export function lambdaTask(id: FunctionId, options: LambdaTaskOptions): State {
  if ((options.Next === undefined) === (options.End === undefined)) {
    throw new Error(`lambdaTask(${id}) needs exactly one of Next or End`);
  }
  const state: Record<string, JsonValue | undefined> = {
    Type: "Task",
    Comment: options.Comment,
    Resource: options.waitForTaskToken ? `${LAMBDA_INVOKE}.waitForTaskToken` : LAMBDA_INVOKE,
    Arguments: { FunctionName: functionRef(id), Payload: options.Payload ?? "{% $states.input %}" },
    // A token's task returns what SendTaskSuccess sent, not an invocation result.
    Output:
      options.Output ?? (options.waitForTaskToken ? "{% $states.result %}" : "{% $states.result.Payload %}"),
    Assign: options.Assign as JsonValue | undefined,
    TimeoutSeconds: options.TimeoutSeconds,
    Retry: [
      {
        ErrorEquals: [...LAMBDA_SERVICE_ERRORS],
        IntervalSeconds: 1,
        MaxAttempts: 3,
        BackoffRate: 2,
        JitterStrategy: "FULL",
      },
      ...(options.Retry ?? []),
    ] as unknown as JsonValue,
    Catch: options.Catch as unknown as JsonValue | undefined,
    Next: options.Next,
    End: options.End,
  };
  for (const key of Object.keys(state)) if (state[key] === undefined) delete state[key];
  return state as unknown as State;
}

/** Every function id a definition refers to, Map and Parallel branches included. */
export function functionIdsOf(definition: StateMachineDefinition): FunctionId[] {
  const ids = new Set<FunctionId>();
  walkStrings(definition as unknown as JsonValue, (value) => {
    const id = functionIdOf(value);
    if (id) ids.add(id);
    return value;
  });
  return [...ids].sort();
}

/**
 * Returns a copy of the definition with every function placeholder replaced by `resolve(id)`:
 * stacks/ passes the deployed ARN, the local runtime its own function name.
 */
export function substituteFunctions(
  definition: StateMachineDefinition,
  resolve: (id: FunctionId) => string,
): StateMachineDefinition {
  return walkStrings(definition as unknown as JsonValue, (value) => {
    const id = functionIdOf(value);
    return id ? resolve(id) : value;
  }) as unknown as StateMachineDefinition;
}

function walkStrings(value: JsonValue | undefined, visit: (value: string) => string): JsonValue | undefined {
  if (typeof value === "string") return visit(value);
  if (Array.isArray(value)) return value.map((item) => walkStrings(item, visit) ?? null);
  if (value !== null && typeof value === "object") {
    const out: JsonObject = {};
    for (const [key, item] of Object.entries(value)) out[key] = walkStrings(item, visit);
    return out;
  }
  return value;
}
