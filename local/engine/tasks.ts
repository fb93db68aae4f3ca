/**
 * Task integrations. The engine implements Step Functions' *integration* semantics (the shape of
 * `lambda:invoke` results, Lambda error names and causes, legacy Lambda ARNs, `events:putEvents`,
 * nested `states:startExecution`); the runtime supplies only primitives through `TaskRuntime`.
 */
import { StatesError, StatesErrors } from "./errors.ts";
import { isObject, type Json, type JsonObject } from "./json.ts";

export interface InvokeContext {
  readonly signal: AbortSignal;
  readonly executionArn: string;
  readonly stateName: string;
}

export interface PutEventsEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  EventBusName?: string;
  Resources?: string[];
  Time?: string;
  TraceHeader?: string;
}

export interface PutEventsResult {
  FailedEntryCount: number;
  Entries: { EventId?: string; ErrorCode?: string; ErrorMessage?: string }[];
}

/** A task the engine hands over whole to the runtime (see `TaskRuntime.invokeTask`). */
export interface TaskCall {
  readonly stateName: string;
  readonly resource: string;
  /** The effective parameters (JSONPath `Parameters` / JSONata `Arguments`), or the input. */
  readonly input: Json;
  readonly taskToken: string | undefined;
  readonly signal: AbortSignal;
  readonly executionArn: string;
  /** The role the state machine runs as (`$$.Execution.RoleArn`): what its Tasks are authorized as. */
  readonly roleArn?: string;
}

/**
 * What the runtime provides. Every member is optional: a resource whose primitive is missing fails
 * with `States.Runtime` and a message naming it.
 *
 * - `invokeFunction`: run a Lambda handler. Return its result; throw to report a function error
 *   (the error's `name` becomes the Step Functions error, as Lambda's `errorType` does). Throw a
 *   `StatesError` to choose error and cause yourself (e.g. `Lambda.ResourceNotFoundException`).
 * - `putEvents`: EventBridge PutEvents.
 * - `invokeTask`: handle a resource entirely (result as the integration returns it); return
 *   `undefined` to leave it to the engine.
 * - `authorizeTask`: called before every integration call (each attempt); throw a `StatesError` to fail
 *   the Task as Step Functions does when the state machine's role may not make the call.
 */
export interface TaskRuntime {
  invokeFunction?(functionName: string, payload: Json, context: InvokeContext): Promise<Json | undefined>;
  putEvents?(entries: PutEventsEntry[], context: InvokeContext): Promise<PutEventsResult>;
  invokeTask?(call: TaskCall): Promise<Json> | undefined;
  authorizeTask?(call: TaskCall): Promise<void>;
}

/** Nested executions, provided by the engine itself. */
export interface NestedExecutions {
  start(params: JsonObject, parentArn: string): Promise<{ executionArn: string; startDate: Date }>;
  wait(executionArn: string, signal: AbortSignal): Promise<NestedOutcome>;
  stop(executionArn: string): void;
}

export interface NestedOutcome {
  status: string;
  output?: string;
  error?: string;
  cause?: string;
  input?: string;
  startDate: Date;
  stopDate?: Date;
  stateMachineArn: string;
  executionArn: string;
  name: string;
}

export interface ParsedResource {
  /** e.g. `lambda`, `events`, `states`; for legacy Lambda ARNs `lambda-legacy`. */
  readonly service: string;
  /** e.g. `invoke`, `putEvents`, `startExecution`. */
  readonly action: string;
  /** `waitForTaskToken`, `sync`, `sync:2` or undefined. */
  readonly pattern: string | undefined;
  /** History's resourceType/resource pair. */
  readonly resourceType: string;
  readonly resourceName: string;
  /** `{ resourceType, resource }` as Task* history events carry them. */
  readonly common: { readonly resourceType: string; readonly resource: string };
}

const parsedCache = new Map<string, ParsedResource>();

export function parseResource(resource: string): ParsedResource {
  let parsed = parsedCache.get(resource);
  if (!parsed) {
    parsed = parseResourceText(resource);
    if (parsedCache.size > 10_000) parsedCache.clear();
    parsedCache.set(resource, parsed);
  }
  return parsed;
}

function parseResourceText(resource: string): ParsedResource {
  const parts = parseParts(resource);
  return { ...parts, common: { resourceType: parts.resourceType, resource: parts.resourceName } };
}

function parseParts(resource: string): Omit<ParsedResource, "common"> {
  const m = /^arn:[^:]+:states:[^:]*:[^:]*:([^:]+):(.+)$/.exec(resource);
  if (m) {
    const service = m[1] as string;
    const rest = m[2] as string;
    const dot = rest.indexOf(".");
    const action = dot < 0 ? rest : rest.slice(0, dot);
    const pattern = dot < 0 ? undefined : rest.slice(dot + 1);
    return { service, action, pattern, resourceType: service, resourceName: rest };
  }
  if (/^arn:[^:]+:lambda:[^:]*:[^:]*:function:/.test(resource)) {
    return {
      service: "lambda-legacy",
      action: "invoke",
      pattern: undefined,
      resourceType: "lambda",
      resourceName: resource,
    };
  }
  if (/^arn:[^:]+:states:[^:]*:[^:]*:activity:/.test(resource)) {
    return {
      service: "activity",
      action: "activity",
      pattern: undefined,
      resourceType: "activity",
      resourceName: resource,
    };
  }
  return {
    service: "unknown",
    action: resource,
    pattern: undefined,
    resourceType: "unknown",
    resourceName: resource,
  };
}

/** Converts whatever a function threw into the error Step Functions reports for it. */
export function functionError(e: unknown): StatesError {
  if (e instanceof StatesError) return e;
  if (e instanceof Error) {
    const errorType = e.name || "Error";
    const trace = (e.stack ?? "").split("\n").filter((l) => l.length > 0);
    return new StatesError(errorType, JSON.stringify({ errorMessage: e.message, errorType, trace }));
  }
  return new StatesError("Error", JSON.stringify({ errorMessage: String(e), errorType: "Error", trace: [] }));
}

const REQUEST_ID = () => crypto.randomUUID();

/** The `lambda:invoke` integration's result around a function's payload. */
export function lambdaInvokeResult(payload: Json): JsonObject {
  const requestId = REQUEST_ID();
  const date = new Date().toUTCString();
  return {
    ExecutedVersion: "$LATEST",
    Payload: payload,
    SdkHttpMetadata: {
      AllHttpHeaders: {
        "X-Amz-Executed-Version": ["$LATEST"],
        "x-amzn-Remapped-Content-Length": ["0"],
        Connection: ["keep-alive"],
        "x-amzn-RequestId": [requestId],
        "Content-Length": [String(Buffer.byteLength(JSON.stringify(payload) ?? "null"))],
        Date: [date],
        "Content-Type": ["application/json"],
      },
      HttpHeaders: {
        Connection: "keep-alive",
        "Content-Length": String(Buffer.byteLength(JSON.stringify(payload) ?? "null")),
        "Content-Type": "application/json",
        Date: date,
        "X-Amz-Executed-Version": "$LATEST",
        "x-amzn-Remapped-Content-Length": "0",
        "x-amzn-RequestId": requestId,
      },
      HttpStatusCode: 200,
    },
    SdkResponseMetadata: { RequestId: requestId },
    StatusCode: 200,
  };
}

function runtimeError(message: string): never {
  throw new StatesError(StatesErrors.Runtime, message);
}

/**
 * Runs one integration call (the part before any task-token wait or `.sync` poll) and returns the
 * integration's result.
 */
export async function callIntegration(
  parsed: ParsedResource,
  call: TaskCall,
  runtime: TaskRuntime,
  nested: NestedExecutions,
): Promise<Json> {
  await runtime.authorizeTask?.(call);
  const custom = runtime.invokeTask?.(call);
  if (custom) return await custom;
  const ctx: InvokeContext = {
    signal: call.signal,
    executionArn: call.executionArn,
    stateName: call.stateName,
  };
  if (parsed.service === "lambda-legacy" || (parsed.service === "lambda" && parsed.action === "invoke")) {
    if (!runtime.invokeFunction) runtimeError(`No Lambda runtime is configured to run ${call.resource}`);
    let functionName: string;
    let payload: Json;
    if (parsed.service === "lambda-legacy") {
      functionName = call.resource;
      payload = call.input;
    } else {
      const params = call.input;
      if (!isObject(params) || typeof params.FunctionName !== "string") {
        throw new StatesError(
          StatesErrors.Runtime,
          "The field 'FunctionName' is required for the resource arn:aws:states:::lambda:invoke",
        );
      }
      functionName = params.FunctionName;
      payload = params.Payload === undefined ? null : params.Payload;
    }
    if (parsed.service === "lambda" && isObject(call.input) && call.input.InvocationType === "Event") {
      // Asynchronous invocation: Lambda accepts the event and the task goes on (202, empty payload).
      runtime.invokeFunction(functionName, payload, ctx).catch(() => {});
      return { ...lambdaInvokeResult(""), StatusCode: 202 };
    }
    let result: Json | undefined;
    try {
      result = await runtime.invokeFunction(functionName, payload, ctx);
    } catch (e) {
      throw functionError(e);
    }
    const value = result === undefined ? null : result;
    return parsed.service === "lambda-legacy" ? value : lambdaInvokeResult(value);
  }
  if (parsed.service === "events" && parsed.action === "putEvents") {
    if (!runtime.putEvents) runtimeError(`No event bus is configured for ${call.resource}`);
    const params = call.input;
    const entries = isObject(params) && Array.isArray(params.Entries) ? params.Entries : undefined;
    if (!entries)
      runtimeError("The field 'Entries' is required for the resource arn:aws:states:::events:putEvents");
    const shaped: PutEventsEntry[] = entries.map((entry) => {
      const e = isObject(entry) ? entry : {};
      const detail = e.Detail;
      return {
        ...(typeof e.Source === "string" ? { Source: e.Source } : {}),
        ...(typeof e.DetailType === "string" ? { DetailType: e.DetailType } : {}),
        ...(detail === undefined
          ? {}
          : { Detail: typeof detail === "string" ? detail : JSON.stringify(detail) }),
        ...(typeof e.EventBusName === "string" ? { EventBusName: e.EventBusName } : {}),
        ...(Array.isArray(e.Resources)
          ? { Resources: e.Resources.filter((r): r is string => typeof r === "string") }
          : {}),
        ...(typeof e.Time === "string" ? { Time: e.Time } : {}),
      };
    });
    const result = await runtime.putEvents(shaped, ctx);
    if (result.FailedEntryCount > 0) {
      throw new StatesError("EventBridge.FailedEntry", JSON.stringify(result));
    }
    return result as unknown as Json;
  }
  if (parsed.service === "states" && parsed.action === "startExecution") {
    const params = call.input;
    if (!isObject(params) || typeof params.StateMachineArn !== "string") {
      runtimeError(
        "The field 'StateMachineArn' is required for the resource arn:aws:states:::states:startExecution",
      );
    }
    const started = await nested.start(params, call.executionArn);
    return { ExecutionArn: started.executionArn, StartDate: started.startDate.toISOString() };
  }
  if (parsed.service === "activity")
    runtimeError(`Activities are not supported by the local engine: ${call.resource}`);
  return runtimeError(
    `The resource '${call.resource}' is not supported by the local engine (supported: lambda:invoke, Lambda function ARNs, events:putEvents, states:startExecution)`,
  );
}

/** Completes a `.sync` / `.sync:2` nested execution: waits for it and shapes its result. */
export async function completeNestedSync(
  parsed: ParsedResource,
  started: Json,
  nested: NestedExecutions,
  signal: AbortSignal,
): Promise<Json> {
  const arn = isObject(started) && typeof started.ExecutionArn === "string" ? started.ExecutionArn : "";
  const outcome = await nested.wait(arn, signal);
  const v2 = parsed.pattern === "sync:2";
  const parse = (text: string | undefined): Json => (text === undefined ? null : (JSON.parse(text) as Json));
  if (outcome.status === "SUCCEEDED") {
    return {
      ExecutionArn: outcome.executionArn,
      Input: v2 ? parse(outcome.input) : (outcome.input ?? "{}"),
      InputDetails: { Included: true },
      Name: outcome.name,
      Output: v2 ? parse(outcome.output) : (outcome.output ?? "null"),
      OutputDetails: { Included: true },
      RedriveCount: 0,
      RedriveStatus: "NOT_REDRIVABLE",
      RedriveStatusReason: "Execution is SUCCEEDED and cannot be redriven",
      StartDate: outcome.startDate.toISOString(),
      StateMachineArn: outcome.stateMachineArn,
      Status: "SUCCEEDED",
      StopDate: (outcome.stopDate ?? new Date()).toISOString(),
    };
  }
  throw new StatesError(
    "States.TaskFailed",
    JSON.stringify({
      ExecutionArn: outcome.executionArn,
      Input: outcome.input,
      Name: outcome.name,
      Status: outcome.status,
      Error: outcome.error,
      Cause: outcome.cause,
      StartDate: outcome.startDate.getTime(),
      StateMachineArn: outcome.stateMachineArn,
      StopDate: outcome.stopDate?.getTime(),
    }),
  );
}
