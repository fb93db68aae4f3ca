/**
 * The ASL interpreter: runs a state machine (or a Parallel branch, or a Map iteration) over a
 * thread of execution, recording history as it goes. The execution API (engine.ts) owns the
 * executions; this module owns the semantics of every state.
 */
import type { Clock } from "../clock/clock.ts";
import { evaluateRule, parseTimestamp } from "./choice.ts";
import { StatesError, StatesErrors } from "./errors.ts";
import type { History, HistoryEventType } from "./history.ts";
import { evaluateIntrinsic, isIntrinsic, parseIntrinsic } from "./intrinsics.ts";
import {
  isObject,
  type Json,
  type JsonObject,
  jsonByteLength,
  MAX_JSON_DEPTH,
  payloadExcess,
  setOwn,
  typeName,
} from "./json.ts";
import {
  clockFunctions,
  evaluateJsonata,
  JsonataFunctionResultError,
  JsonataRuntimeError,
  jsonataExpression,
} from "./jsonata.ts";
import { compilePath, evaluatePath, type PathResult, ResultPathMismatch, setAtPath } from "./jsonpath.ts";
import {
  callIntegration,
  completeNestedSync,
  type NestedExecutions,
  type ParsedResource,
  parseResource,
  type TaskRuntime,
} from "./tasks.ts";
import type { AslCatcher, AslMachine, AslState, QueryLanguage } from "./types.ts";

export const PAYLOAD_LIMIT_BYTES = 256 * 1024;
/** AWS runs at most 40 iterations of an inline Map concurrently. */
export const INLINE_MAP_CONCURRENCY = 40;

/** Why a thread stopped before its end. */
export class Interrupt extends Error {
  override name = "Interrupt";
  readonly kind: "stopped" | "timedOut" | "sibling";
  constructor(kind: "stopped" | "timedOut" | "sibling") {
    super(kind);
    this.kind = kind;
  }
}

export interface TaskTokenWaiter {
  resolve(output: Json): void;
  reject(error: StatesError): void;
  heartbeat(): void;
}

/** Task tokens, shared by all executions of an engine. */
export interface TokenRegistry {
  issue(executionArn: string, stateName: string, waiter: TaskTokenWaiter): string;
  revoke(token: string): void;
}

/** What one execution shares across its threads. */
export interface ExecutionRun {
  readonly clock: Clock;
  readonly history: History;
  readonly runtime: TaskRuntime;
  readonly nested: NestedExecutions;
  readonly tokens: TokenRegistry;
  readonly region: string;
  readonly executionArn: string;
  readonly queryLanguage: QueryLanguage;
  /** `$$.Execution` (built on first use) and `$$.StateMachine`. */
  readonly contextExecution: () => JsonObject;
  readonly contextStateMachine: JsonObject;
  /** The wait cap (ms) for Wait states and retry back-off; undefined for none. */
  readonly maxWaitMs: number | undefined;
  /** Results of the top-level Map/Parallel state that last ran (kept for a redrive). */
  partial?: { stateName: string; results: Map<number, Json> } | undefined;
  /** Given at redrive: the results of the failed Map/Parallel state to reuse. */
  resume?: { stateName: string; results: Map<number, Json> } | undefined;
  /** The top-level state being run (and its input): where a redrive resumes. */
  atState?: string;
  atInput?: Json;
  topVars?: Record<string, Json>;
}

type Vars = Record<string, Json>;

export interface Thread {
  readonly run: ExecutionRun;
  readonly vars: Vars;
  readonly signal: AbortSignal;
  prev: number;
  readonly topLevel: boolean;
}

interface StateCtx {
  readonly thread: Thread;
  readonly name: string;
  readonly state: AslState;
  readonly ql: QueryLanguage;
  readonly input: Json;
  readonly enteredId: number;
  readonly enteredTime: number;
  retryCount: number;
  taskToken?: string;
  pending?: PendingToken | undefined;
  mapItem?: { Index: number; Value: Json };
}

interface Step {
  readonly next: string | undefined;
  readonly output: Json;
  /** Assigned variables as JSON texts, for the exit event. */
  readonly assigned?: Record<string, string>;
}

const ENTERED: Record<AslState["Type"], HistoryEventType> = {
  Pass: "PassStateEntered",
  Task: "TaskStateEntered",
  Choice: "ChoiceStateEntered",
  Wait: "WaitStateEntered",
  Succeed: "SucceedStateEntered",
  Fail: "FailStateEntered",
  Parallel: "ParallelStateEntered",
  Map: "MapStateEntered",
};
const EXITED: Record<AslState["Type"], HistoryEventType> = {
  Pass: "PassStateExited",
  Task: "TaskStateExited",
  Choice: "ChoiceStateExited",
  Wait: "WaitStateExited",
  Succeed: "SucceedStateExited",
  Fail: "FailStateEntered",
  Parallel: "ParallelStateExited",
  Map: "MapStateExited",
};

export function record(thread: Thread, type: HistoryEventType, details?: Record<string, unknown>): number {
  const id = thread.run.history.add(type, thread.prev, details);
  thread.prev = id;
  return id;
}

function checkInterrupt(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason instanceof Interrupt ? signal.reason : new Interrupt("stopped");
}

/** Runs states from `startAt` (default the machine's StartAt) until an end; returns the output. */
export async function runMachine(
  machine: AslMachine,
  input: Json,
  thread: Thread,
  startAt?: string,
): Promise<Json> {
  let name = startAt ?? machine.StartAt;
  let value = input;
  for (;;) {
    checkInterrupt(thread.signal);
    const state = machine.States[name];
    if (!state) throw new StatesError(StatesErrors.Runtime, `The state '${name}' does not exist`);
    if (thread.topLevel) {
      thread.run.atState = name;
      thread.run.atInput = value;
      thread.run.topVars = thread.vars;
    }
    const step = await runState(name, state, value, thread);
    if (step.next === undefined) return step.output;
    name = step.next;
    value = step.output;
  }
}

async function runState(name: string, state: AslState, input: Json, thread: Thread): Promise<Step> {
  const enteredId = thread.run.history.addState(ENTERED[state.Type], thread.prev, name, input);
  thread.prev = enteredId;
  const sc: StateCtx = {
    thread,
    name,
    state,
    ql: state.QueryLanguage ?? thread.run.queryLanguage,
    input,
    enteredId,
    enteredTime: thread.run.clock.now(),
    retryCount: 0,
  };
  try {
    switch (state.Type) {
      case "Pass":
        return await finishSimple(sc, await passResult(sc));
      case "Choice":
        return await runChoice(sc);
      case "Wait":
        return await runWait(sc);
      case "Succeed":
        return await finishSimple(sc, undefined);
      case "Fail":
        return await runFail(sc);
      default:
        return await runWithRetry(sc);
    }
  } catch (e) {
    const located = locate(sc, e);
    if (located instanceof StatesError) recordEvaluationFailure(sc, e, located);
    throw located;
  }
}

/** Errors raised by field evaluation get AWS's "An error occurred while executing the state" prefix. */
class FieldError extends StatesError {
  override name = "FieldError";
  /** The field whose evaluation failed (`Output`, `Assign/x`, `Items`), where one did. */
  location: string | undefined;
}

function locate(sc: StateCtx, e: unknown): unknown {
  if (e instanceof FieldError) {
    return new StatesError(
      e.error,
      `An error occurred while executing the state '${sc.name}' (entered at the event id #${sc.enteredId}). ${e.cause ?? ""}`,
    );
  }
  if (e instanceof JsonataRuntimeError) {
    return new StatesError(
      StatesErrors.QueryEvaluationError,
      `An error occurred while executing the state '${sc.name}' (entered at the event id #${sc.enteredId}). ${e.message}`,
    );
  }
  return e;
}

function fieldError(error: string, detail: string, location?: string): FieldError {
  const e = new FieldError(error, detail);
  e.location = location;
  return e;
}

/**
 * A JSONata state records an `EvaluationFailed` event where an expression (or what it returned)
 * fails: "This event will only be present in state machines that have QueryLanguage set to JSONata"
 * (API Reference, EvaluationFailedEventDetails: state, error, cause, location). Only the state that
 * evaluated records it; the error then fails, retries or is caught as any other.
 */
function recordEvaluationFailure(sc: StateCtx, raw: unknown, located: StatesError): void {
  if (sc.ql !== "JSONata" || located.error !== StatesErrors.QueryEvaluationError) return;
  if (!(raw instanceof FieldError) && !(raw instanceof JsonataRuntimeError)) return;
  const location = raw instanceof FieldError ? raw.location : undefined;
  record(sc.thread, "EvaluationFailed", {
    state: sc.name,
    error: located.error,
    cause: located.cause ?? "",
    ...(location === undefined ? {} : { location }),
  });
}

// ---------------------------------------------------------------- context, paths, templates

function contextObject(sc: StateCtx): JsonObject {
  const run = sc.thread.run;
  const ctx: JsonObject = {
    Execution: run.contextExecution(),
    State:
      sc.state.Type === "Task" || sc.state.Type === "Map" || sc.state.Type === "Parallel"
        ? { EnteredTime: new Date(sc.enteredTime).toISOString(), Name: sc.name, RetryCount: sc.retryCount }
        : { EnteredTime: new Date(sc.enteredTime).toISOString(), Name: sc.name },
    StateMachine: run.contextStateMachine,
  };
  if (sc.taskToken !== undefined) ctx.Task = { Token: sc.taskToken };
  if (sc.mapItem) ctx.Map = { Item: { Index: sc.mapItem.Index, Value: sc.mapItem.Value } };
  return ctx;
}

const VAR_REF = /^\$([A-Za-z_][A-Za-z0-9_]*)(.*)$/s;

/** Resolves a JSONPath reference: `$...` the value, `$$...` the context, `$name...` a variable. */
function resolveRef(path: string, value: Json, sc: StateCtx): PathResult {
  const c1 = path[1];
  if (c1 === "$") return evaluatePath(compilePath(path.slice(1)), contextObject(sc));
  if (c1 === undefined || c1 === "." || c1 === "[" || c1 === " ")
    return evaluatePath(compilePath(path), value);
  const m = VAR_REF.exec(path);
  if (!m) return evaluatePath(compilePath(path), value);
  const name = m[1] as string;
  const vars = sc.thread.vars;
  if (!(name in vars)) return { found: false };
  return evaluatePath(compilePath(`$${m[2] ?? ""}`), vars[name] as Json);
}

function pathOrFail(path: string, value: Json, sc: StateCtx, field: string): Json {
  const r = resolveRef(path, value, sc);
  if (!r.found) {
    throw fieldError(
      StatesErrors.Runtime,
      `The JSONPath '${path}' specified for the field '${field}' could not be found in the input '${JSON.stringify(value)}'`,
    );
  }
  return r.value;
}

function applyInputPath(sc: StateCtx, input: Json): Json {
  const p = sc.state.InputPath;
  if (p === undefined || p === "$") return input;
  if (p === null) return {};
  const r = resolveRef(p, input, sc);
  if (!r.found) {
    throw fieldError(
      StatesErrors.Runtime,
      `Invalid path '${p}' : No results for path: ${compilePath(p.startsWith("$$") ? p.slice(1) : p).normalized}`,
    );
  }
  return r.value;
}

function applyOutputPath(sc: StateCtx, value: Json): Json {
  const p = sc.state.OutputPath;
  if (p === undefined || p === "$") return value;
  if (p === null) return {};
  const r = resolveRef(p, value, sc);
  if (!r.found) {
    throw fieldError(
      StatesErrors.Runtime,
      `Invalid path '${p}' : No results for path: ${compilePath(p.startsWith("$$") ? p.slice(1) : p).normalized}`,
    );
  }
  return r.value;
}

function applyResultPath(
  _sc: StateCtx,
  resultPath: string | null | undefined,
  input: Json,
  result: Json,
): Json {
  if (resultPath === undefined || resultPath === "$") return result;
  if (resultPath === null) return input;
  try {
    return setAtPath(input, compilePath(resultPath), result);
  } catch (e) {
    if (e instanceof ResultPathMismatch) {
      throw fieldError(
        StatesErrors.Runtime,
        `Unable to apply step "${resultPath}" to input ${JSON.stringify(input)}`,
      );
    }
    throw e;
  }
}

/** Evaluates a JSONPath payload template (Parameters, ResultSelector, ItemSelector, Assign). */
function evalTemplate(tpl: Json, value: Json, sc: StateCtx): Json {
  if (Array.isArray(tpl)) return tpl.map((t) => evalTemplate(t, value, sc));
  if (!isObject(tpl)) return tpl;
  const out: JsonObject = {};
  for (const key in tpl) {
    const v = tpl[key] as Json;
    if (key.endsWith(".$") && typeof v === "string") {
      setOwn(out, key.slice(0, -2), evalDynamic(v, value, sc, key));
    } else {
      setOwn(out, key, isObject(v) || Array.isArray(v) ? evalTemplate(v, value, sc) : v);
    }
  }
  return out;
}

function evalDynamic(expr: string, value: Json, sc: StateCtx, field: string): Json {
  if (isIntrinsic(expr)) {
    return evaluateIntrinsic(parseIntrinsic(expr), (p) => pathOrFail(p, value, sc, field));
  }
  return pathOrFail(expr, value, sc, field);
}

function assignJsonPath(sc: StateCtx, assign: JsonObject | undefined, value: Json): Vars | undefined {
  if (!assign) return undefined;
  const out: Vars = {};
  for (const key in assign) {
    const v = assign[key] as Json;
    if (key.endsWith(".$") && typeof v === "string") out[key.slice(0, -2)] = evalDynamic(v, value, sc, key);
    else out[key] = isObject(v) || Array.isArray(v) ? evalTemplate(v, value, sc) : v;
  }
  return out;
}

// ---------------------------------------------------------------- JSONata

function jsonataBindings(sc: StateCtx, extra: JsonObject): Record<string, unknown> {
  const bindings: Record<string, unknown> = clockFunctions(sc.thread.run.clock);
  for (const k in sc.thread.vars) bindings[k] = sc.thread.vars[k];
  bindings.states = { input: sc.input, context: contextObject(sc), ...extra };
  return bindings;
}

async function evalJsonataField(
  value: Json | undefined,
  field: string,
  bindings: Record<string, unknown>,
  input: Json,
): Promise<Json> {
  if (value === undefined) return null;
  if (typeof value === "string") {
    const expr = jsonataExpression(value);
    if (expr === undefined) return value;
    let result: Json | undefined;
    try {
      result = await evaluateJsonata(expr, input, bindings);
    } catch (e) {
      if (e instanceof JsonataFunctionResultError) {
        throw fieldError(
          StatesErrors.QueryEvaluationError,
          `The JSONata expression '${expr.trim()}' specified for the field '${field}' returned a function, which is not a JSON value.`,
          field,
        );
      }
      if (e instanceof JsonataRuntimeError) {
        throw fieldError(
          StatesErrors.QueryEvaluationError,
          `The JSONata expression '${expr.trim()}' specified for the field '${field}' threw an error during evaluation. ${e.message}`,
          field,
        );
      }
      if (e instanceof StatesError) throw fieldError(e.error, e.cause ?? "", field);
      throw e;
    }
    if (result === undefined) {
      throw fieldError(
        StatesErrors.QueryEvaluationError,
        `The JSONata expression '${expr.trim()}' specified for the field '${field}' returned nothing (undefined).`,
        field,
      );
    }
    return result;
  }
  if (Array.isArray(value)) {
    const out: Json[] = [];
    for (const v of value) out.push(await evalJsonataField(v, field, bindings, input));
    return out;
  }
  if (isObject(value)) {
    const out: JsonObject = {};
    for (const k in value) out[k] = await evalJsonataField(value[k], `${field}/${k}`, bindings, input);
    return out;
  }
  return value;
}

async function assignJsonata(
  sc: StateCtx,
  assign: JsonObject | undefined,
  bindings: Record<string, unknown>,
): Promise<Vars | undefined> {
  if (!assign) return undefined;
  const out: Vars = {};
  for (const k in assign) out[k] = await evalJsonataField(assign[k], `Assign/${k}`, bindings, sc.input);
  return out;
}

function commit(sc: StateCtx, assigned: Vars | undefined): void {
  if (!assigned) return;
  const vars = sc.thread.vars;
  for (const k in assigned) vars[k] = assigned[k] as Json;
}

/** Records the exit event, applies assigned variables and returns where to go next. */
function exit(sc: StateCtx, output: Json, assigned: Vars | undefined, next?: string): Step {
  // A state that passes its input on unchanged cannot have grown it; anything new is measured.
  if (output !== sc.input) checkPayload(output, sc.name);
  commit(sc, assigned);
  // The step doubles as the exit event's payload (the history reads `output` and `assigned`).
  const step: Step = assigned
    ? {
        next: next ?? (sc.state.End ? undefined : sc.state.Next),
        output,
        assigned: Object.fromEntries(Object.entries(assigned).map(([k, v]) => [k, JSON.stringify(v)])),
      }
    : { next: next ?? (sc.state.End ? undefined : sc.state.Next), output };
  const thread = sc.thread;
  thread.prev = thread.run.history.addState(EXITED[sc.state.Type], thread.prev, sc.name, step);
  return step;
}

// ---------------------------------------------------------------- Pass, Succeed, Choice, Wait, Fail

/** The Pass state's result (JSONPath) or undefined (JSONata: the input). */
async function passResult(sc: StateCtx): Promise<Json | undefined> {
  const s = sc.state;
  if (sc.ql === "JSONata") return undefined;
  if (s.Result !== undefined) return s.Result;
  const effective = applyInputPath(sc, sc.input);
  if (s.Parameters !== undefined) return evalTemplate(s.Parameters, effective, sc);
  return effective;
}

async function finishSimple(sc: StateCtx, result: Json | undefined): Promise<Step> {
  const s = sc.state;
  if (sc.ql === "JSONata") {
    const bindings = jsonataBindings(sc, {});
    const assigned = await assignJsonata(sc, s.Assign, bindings);
    const output =
      s.Output === undefined ? sc.input : await evalJsonataField(s.Output, "Output", bindings, sc.input);
    return exit(sc, output, assigned);
  }
  if (s.Type === "Pass") {
    const value = result as Json;
    const assigned = assignJsonPath(sc, s.Assign, value);
    const merged = applyResultPath(sc, s.ResultPath, sc.input, value);
    return exit(sc, applyOutputPath(sc, merged), assigned);
  }
  const effective = applyInputPath(sc, sc.input);
  const assigned = assignJsonPath(sc, s.Assign, effective);
  return exit(sc, applyOutputPath(sc, effective), assigned);
}

async function runChoice(sc: StateCtx): Promise<Step> {
  const s = sc.state;
  const choices = s.Choices ?? [];
  if (sc.ql === "JSONata") {
    const bindings = jsonataBindings(sc, {});
    for (const rule of choices) {
      const cond = await evalJsonataField(rule.Condition, "Condition", bindings, sc.input);
      if (typeof cond !== "boolean") {
        throw fieldError(
          StatesErrors.QueryEvaluationError,
          `The JSONata expression '${String(jsonataExpression(rule.Condition) ?? rule.Condition).trim()}' specified for the field 'Condition' returned an unexpected result type. Expected 'boolean', but was '${typeName(cond)}' for value: ${JSON.stringify(cond)}`,
          "Condition",
        );
      }
      if (cond) {
        const assigned = await assignJsonata(sc, rule.Assign as JsonObject | undefined, bindings);
        const output =
          rule.Output === undefined
            ? sc.input
            : await evalJsonataField(rule.Output, "Output", bindings, sc.input);
        return exit(sc, output, assigned, rule.Next as string);
      }
    }
    if (s.Default === undefined) throw noChoice(sc);
    const assigned = await assignJsonata(sc, s.Assign, bindings);
    const output =
      s.Output === undefined ? sc.input : await evalJsonataField(s.Output, "Output", bindings, sc.input);
    return exit(sc, output, assigned, s.Default);
  }
  const effective = applyInputPath(sc, sc.input);
  const resolve = (p: string) => {
    const r = resolveRef(p, effective, sc);
    return r.found ? { found: true, value: r.value } : { found: false, value: null };
  };
  for (const rule of choices) {
    let matched: boolean;
    try {
      matched = evaluateRule(rule, resolve);
    } catch (e) {
      if (e instanceof StatesError && e.error === StatesErrors.Runtime)
        throw fieldError(e.error, e.cause ?? "");
      throw e;
    }
    if (matched) {
      const assigned = assignJsonPath(sc, rule.Assign as JsonObject | undefined, effective);
      return exit(sc, applyOutputPath(sc, effective), assigned, rule.Next as string);
    }
  }
  if (s.Default === undefined) throw noChoice(sc);
  const assigned = assignJsonPath(sc, s.Assign, effective);
  return exit(sc, applyOutputPath(sc, effective), assigned, s.Default);
}

function noChoice(sc: StateCtx): StatesError {
  return fieldError(
    StatesErrors.NoChoiceMatched,
    `No Matches! The choice state '${sc.name}' has no matching rule and no Default.`,
  );
}

async function runWait(sc: StateCtx): Promise<Step> {
  const s = sc.state;
  const clock = sc.thread.run.clock;
  let effective = sc.input;
  let bindings: Record<string, unknown> | undefined;
  let untilMs: number;
  if (sc.ql === "JSONata") {
    bindings = jsonataBindings(sc, {});
    if (s.Seconds !== undefined) {
      // A value that is not a number fails as every JSONata number field does (numberField).
      const secs = await numberField(sc, s.Seconds, undefined, "Seconds", bindings, sc.input);
      if (secs === undefined || !Number.isInteger(secs) || secs < 0) {
        throw fieldError(
          StatesErrors.QueryEvaluationError,
          `The Seconds field must be a non-negative integer, but was: ${JSON.stringify(secs)}`,
          "Seconds",
        );
      }
      untilMs = sc.enteredTime + secs * 1000;
    } else {
      const ts = await evalJsonataField(s.Timestamp, "Timestamp", bindings, sc.input);
      const t = parseTimestamp(ts);
      if (t === undefined) {
        throw fieldError(
          StatesErrors.QueryEvaluationError,
          `The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: ${typeof ts === "string" ? ts : JSON.stringify(ts)}`,
          "Timestamp",
        );
      }
      untilMs = t;
    }
  } else {
    effective = applyInputPath(sc, sc.input);
    if (s.Seconds !== undefined) untilMs = sc.enteredTime + Number(s.Seconds) * 1000;
    else if (s.Timestamp !== undefined) untilMs = parseTimestamp(s.Timestamp) ?? sc.enteredTime;
    else if (s.SecondsPath !== undefined) {
      const v = resolveRef(s.SecondsPath, effective, sc);
      if (!v.found) {
        throw fieldError(
          StatesErrors.Runtime,
          `Invalid path '${s.SecondsPath}' : No results for path: ${compilePath(s.SecondsPath).normalized}`,
        );
      }
      const secs = readNumber(v.value, "integer");
      if (secs === undefined) {
        throw fieldError(
          StatesErrors.Runtime,
          `The SecondsPath parameter cannot be parsed as a long value: ${s.SecondsPath} == ${pathValueText(v.value)}`,
        );
      }
      if (secs < 0) {
        throw fieldError(
          StatesErrors.Runtime,
          `The SecondsPath parameter references a negative value: ${s.SecondsPath} == ${pathValueText(v.value)}`,
        );
      }
      untilMs = sc.enteredTime + secs * 1000;
    } else {
      const path = s.TimestampPath as string;
      const v = resolveRef(path, effective, sc);
      const t = v.found ? parseTimestamp(v.value) : undefined;
      if (t === undefined) {
        throw fieldError(
          StatesErrors.Runtime,
          `The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: ${path} == ${v.found ? pathValueText(v.value) : "null"}`,
        );
      }
      untilMs = t;
    }
  }
  let delay = Math.max(0, untilMs - clock.now());
  const cap = sc.thread.run.maxWaitMs;
  if (cap !== undefined) delay = Math.min(delay, cap);
  if (delay > 0) await sleep(clock, delay, sc.thread.signal);
  if (sc.ql === "JSONata") {
    const b = bindings ?? jsonataBindings(sc, {});
    const assigned = await assignJsonata(sc, s.Assign, b);
    const output =
      s.Output === undefined ? sc.input : await evalJsonataField(s.Output, "Output", b, sc.input);
    return exit(sc, output, assigned);
  }
  const assigned = assignJsonPath(sc, s.Assign, effective);
  return exit(sc, applyOutputPath(sc, effective), assigned);
}

async function sleep(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  try {
    await clock.sleep(ms, signal);
  } catch {
    checkInterrupt(signal);
  }
}

async function runFail(sc: StateCtx): Promise<Step> {
  const s = sc.state;
  let error: Json | undefined;
  let cause: Json | undefined;
  if (sc.ql === "JSONata") {
    const bindings = jsonataBindings(sc, {});
    error = s.Error === undefined ? undefined : await evalJsonataField(s.Error, "Error", bindings, sc.input);
    cause = s.Cause === undefined ? undefined : await evalJsonataField(s.Cause, "Cause", bindings, sc.input);
  } else {
    error = s.ErrorPath !== undefined ? failPath(sc, s.ErrorPath, "ErrorPath") : s.Error;
    cause = s.CausePath !== undefined ? failPath(sc, s.CausePath, "CausePath") : s.Cause;
  }
  throw new StatesError(
    error === undefined || error === null ? "" : typeof error === "string" ? error : JSON.stringify(error),
    cause === undefined || cause === null
      ? undefined
      : typeof cause === "string"
        ? cause
        : JSON.stringify(cause),
  );
}

function failPath(sc: StateCtx, path: string, field: string): Json {
  if (isIntrinsic(path)) return evalDynamic(path, sc.input, sc, field);
  const r = resolveRef(path, sc.input, sc);
  if (!r.found) {
    throw fieldError(
      StatesErrors.Runtime,
      `The JSONPath '${path}' specified for the field '${field}' could not be found in the input '${JSON.stringify(sc.input)}'`,
    );
  }
  return r.value;
}

// ---------------------------------------------------------------- Task, Map, Parallel with Retry/Catch

/**
 * Whether a retrier's or catcher's ErrorEquals takes an error. States.Runtime is taken by none: "A
 * States.Runtime error isn't retriable, and will always cause the execution to fail" (Developer Guide,
 * "Handling errors in Step Functions workflows"), so naming it does not catch it either; States.ALL
 * and States.TaskFailed match every other error (States.TaskFailed all but States.Timeout).
 * States.DataLimitExceeded, which the same page calls uncatchable by States.ALL, is caught: AWS's
 * recording (`..._catch_state_all_data_limit_exceeded_...`) shows States.ALL catching it.
 * A heartbeat timeout is a timeout: States.Timeout is "reported when a Task state runs longer than
 * the TimeoutSeconds value or failed to send a heartbeat for a period longer than the
 * HeartbeatSeconds value", and States.HeartbeatTimeout names the second case alone (same page); so
 * States.Timeout takes both, and States.TaskFailed neither.
 */
function errorMatches(list: readonly string[], error: string): boolean {
  if (error === StatesErrors.Runtime) return false;
  const timeout = error === StatesErrors.Timeout || error === StatesErrors.HeartbeatTimeout;
  for (const e of list) {
    if (e === error || e === StatesErrors.ALL) return true;
    if (e === StatesErrors.Timeout && timeout) return true;
    if (e === StatesErrors.TaskFailed && !timeout) return true;
  }
  return false;
}

async function runWithRetry(sc: StateCtx): Promise<Step> {
  const s = sc.state;
  let counts: Map<number, number> | undefined;
  for (;;) {
    try {
      return await runOnce(sc);
    } catch (e) {
      if (e instanceof Interrupt) throw e;
      const located = locate(sc, e);
      if (!(located instanceof StatesError)) throw e;
      recordEvaluationFailure(sc, e, located);
      const retriers = s.Retry ?? [];
      const ri = retriers.findIndex((r) => errorMatches(r.ErrorEquals, located.error));
      const retrier = retriers[ri];
      if (retrier) {
        counts ??= new Map<number, number>();
        const count = counts.get(ri) ?? 0;
        const max = retrier.MaxAttempts ?? 3;
        if (count < max) {
          counts.set(ri, count + 1);
          let delay = (retrier.IntervalSeconds ?? 1) * (retrier.BackoffRate ?? 2) ** count;
          if (retrier.MaxDelaySeconds !== undefined) delay = Math.min(delay, retrier.MaxDelaySeconds);
          if (retrier.JitterStrategy === "FULL") delay = Math.random() * delay;
          let ms = Math.round(delay * 1000);
          const cap = sc.thread.run.maxWaitMs;
          if (cap !== undefined) ms = Math.min(ms, cap);
          if (ms > 0) await sleep(sc.thread.run.clock, ms, sc.thread.signal);
          sc.retryCount++;
          continue;
        }
      }
      const catcher = (s.Catch ?? []).find((c) => errorMatches(c.ErrorEquals, located.error));
      if (catcher) return await handleCatch(sc, catcher, located);
      throw located;
    }
  }
}

function errorOutput(e: StatesError): JsonObject {
  return { Error: e.error, Cause: e.cause ?? "" };
}

async function handleCatch(sc: StateCtx, catcher: AslCatcher, e: StatesError): Promise<Step> {
  const errOut = errorOutput(e);
  commitNothing();
  if (sc.ql === "JSONata") {
    const bindings = jsonataBindings(sc, { errorOutput: errOut });
    const assigned = await assignJsonata(sc, catcher.Assign, bindings);
    const output =
      catcher.Output === undefined
        ? errOut
        : await evalJsonataField(catcher.Output, "Output", bindings, sc.input);
    commit(sc, assigned);
    return { next: catcher.Next, output };
  }
  const assigned = assignJsonPath(sc, catcher.Assign, errOut);
  const output = applyResultPath(sc, catcher.ResultPath, sc.input, errOut);
  commit(sc, assigned);
  return { next: catcher.Next, output };
}

function commitNothing(): void {}

/** A Map's or Parallel's collected result counts against the payload limit as a task result does. */
function checkSize(sc: StateCtx, result: Json): Json {
  checkPayload(result, sc.name);
  return result;
}

/**
 * A value a state or task produced must fit the payload limits before anything records it: at most
 * 256 KiB of JSON, and nested at most MAX_JSON_DEPTH levels (deeper data would overflow the stack of
 * whatever serializes it later: the history, a checkpoint, a listing).
 */
export function checkPayload(value: unknown, source: string): void {
  const excess = payloadExcess(value, PAYLOAD_LIMIT_BYTES, MAX_JSON_DEPTH);
  if (excess === "bytes") {
    throw new StatesError(
      StatesErrors.DataLimitExceeded,
      `The state/task '${source}' returned a result with a size exceeding the maximum number of bytes service limit.`,
    );
  }
  if (excess === "depth") {
    throw new StatesError(
      StatesErrors.DataLimitExceeded,
      `The state/task '${source}' returned a result nested deeper than the maximum of ${MAX_JSON_DEPTH} levels.`,
    );
  }
}

interface PendingToken {
  readonly token: string;
  readonly result: Promise<Json>;
  onHeartbeat: (() => void) | undefined;
}

/** Issues the task token before the state's parameters are evaluated, so `$$.Task.Token` resolves. */
function issueToken(sc: StateCtx): PendingToken {
  const run = sc.thread.run;
  let resolve: (v: Json) => void = () => {};
  let reject: (e: StatesError) => void = () => {};
  const result = new Promise<Json>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  result.catch(() => {});
  const pending: { token: string; result: Promise<Json>; onHeartbeat: (() => void) | undefined } = {
    token: "",
    result,
    onHeartbeat: undefined,
  };
  pending.token = run.tokens.issue(run.executionArn, sc.name, {
    resolve,
    reject,
    heartbeat: () => pending.onHeartbeat?.(),
  });
  sc.taskToken = pending.token;
  return pending;
}

function runOnce(sc: StateCtx): Promise<Step> {
  if (sc.state.Type !== "Task" || !sc.state.Resource?.endsWith(".waitForTaskToken")) return runOnceInner(sc);
  const pending = issueToken(sc);
  sc.pending = pending;
  return runOnceInner(sc).finally(() => {
    sc.thread.run.tokens.revoke(pending.token);
    sc.pending = undefined;
    sc.taskToken = undefined;
  });
}

async function runOnceInner(sc: StateCtx): Promise<Step> {
  const s = sc.state;
  if (sc.ql === "JSONata") {
    const bindings = jsonataBindings(sc, {});
    let result: Json;
    if (s.Type === "Task") {
      const args =
        s.Arguments === undefined
          ? sc.input
          : await evalJsonataField(s.Arguments, "Arguments", bindings, sc.input);
      result = await runTask(sc, args, bindings);
    } else if (s.Type === "Parallel") {
      const branchInput =
        s.Arguments === undefined
          ? sc.input
          : await evalJsonataField(s.Arguments, "Arguments", bindings, sc.input);
      result = checkSize(sc, await runParallel(sc, branchInput));
    } else {
      result = checkSize(sc, await runMap(sc, sc.input, bindings));
    }
    const after = jsonataBindings(sc, { result });
    const assigned = await assignJsonata(sc, s.Assign, after);
    const output =
      s.Output === undefined ? result : await evalJsonataField(s.Output, "Output", after, sc.input);
    return exit(sc, output, assigned);
  }
  const effective = applyInputPath(sc, sc.input);
  let result: Json;
  if (s.Type === "Task") {
    const params = s.Parameters === undefined ? effective : evalTemplate(s.Parameters, effective, sc);
    result = await runTask(sc, params, undefined, effective);
  } else if (s.Type === "Parallel") {
    const params = s.Parameters === undefined ? effective : evalTemplate(s.Parameters, effective, sc);
    result = checkSize(sc, await runParallel(sc, params));
  } else {
    result = checkSize(sc, await runMap(sc, effective, undefined));
  }
  const selected = s.ResultSelector === undefined ? result : evalTemplate(s.ResultSelector, result, sc);
  const assigned = assignJsonPath(sc, s.Assign, selected);
  const merged = applyResultPath(sc, s.ResultPath, sc.input, selected);
  return exit(sc, applyOutputPath(sc, merged), assigned);
}

/**
 * A number given in the definition, by a `*Path` (JSONPath) or by a JSONata expression. AWS reads a
 * path's value as Java reads a JSON node as a number: a number, or text that parses as one
 * (`"1"`; recorded for ToleratedFailureCountPath and ToleratedFailurePercentagePath). Counts and
 * seconds are integers; ToleratedFailurePercentage is a float (API Reference, UpdateMapRun:
 * `toleratedFailurePercentage` Float, `toleratedFailureCount` Long, `maxConcurrency` Integer).
 * Anything else fails with States.Runtime quoting the value as JSON text (`"{}"`, recorded for
 * MaxConcurrencyPath), `null` when the path selects nothing.
 */
async function numberField(
  sc: StateCtx,
  value: number | string | undefined,
  path: string | undefined,
  field: string,
  bindings: Record<string, unknown> | undefined,
  effective: Json,
  kind: "integer" | "float" = "integer",
  location = field,
): Promise<number | undefined> {
  if (path !== undefined) {
    const r = resolveRef(path, effective, sc);
    const n = r.found ? readNumber(r.value, kind) : undefined;
    if (n === undefined) {
      throw fieldError(
        StatesErrors.Runtime,
        `The ${field}Path field refers to value "${r.found ? JSON.stringify(r.value) : "null"}" which is not a valid ${kind}: ${path}`,
      );
    }
    return n;
  }
  if (typeof value === "string" && bindings) {
    const v = await evalJsonataField(value, location, bindings, sc.input);
    if (typeof v !== "number") {
      throw fieldError(
        StatesErrors.QueryEvaluationError,
        `The JSONata expression '${String(jsonataExpression(value)).trim()}' specified for the field '${location}' returned an unexpected result type. Expected 'integer', but was '${typeName(v)}' for value: ${JSON.stringify(v)}`,
        location,
      );
    }
    return v;
  }
  return typeof value === "number" ? value : undefined;
}

/**
 * How a Wait state's `SecondsPath` / `TimestampPath` cause shows the value it read, after `<path> == `:
 * text as it is, without quotes (recorded for TimestampPath: `== 2016-13-05T21:29:29Z`; recorded
 * numbers: `== 1.5`), anything else as JSON text. (Map's and Task's `*Path` causes quote JSON text
 * instead: see numberField.)
 */
function pathValueText(v: Json): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

/**
 * Java's reading of a JSON value as an integer (Long.parseLong) or a float (Float.parseFloat): a
 * number, or text that parses as one; a long holds up to 2^63 - 1.
 */
function readNumber(v: Json, kind: "integer" | "float"): number | undefined {
  let n: number | undefined;
  if (typeof v === "number") n = v;
  else if (typeof v === "string") {
    const text = kind === "integer" ? v : v.trim();
    const syntax = kind === "integer" ? /^[+-]?\d+$/ : /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
    if (syntax.test(text)) n = Number(text);
  }
  if (n === undefined || !Number.isFinite(n)) return undefined;
  if (kind === "float") return n;
  return Number.isInteger(n) && Math.abs(n) < 2 ** 63 ? n : undefined;
}

function runTask(
  sc: StateCtx,
  args: Json,
  bindings: Record<string, unknown> | undefined,
  effective: Json = sc.input,
): Promise<Json> {
  const s = sc.state;
  if (
    s.TimeoutSeconds === undefined &&
    s.TimeoutSecondsPath === undefined &&
    s.HeartbeatSeconds === undefined &&
    s.HeartbeatSecondsPath === undefined
  ) {
    return startTask(sc, args, undefined, undefined);
  }
  return timedTask(sc, args, bindings, effective);
}

async function timedTask(
  sc: StateCtx,
  args: Json,
  bindings: Record<string, unknown> | undefined,
  effective: Json,
): Promise<Json> {
  const s = sc.state;
  const timeout = await numberField(
    sc,
    s.TimeoutSeconds,
    s.TimeoutSecondsPath,
    "TimeoutSeconds",
    bindings,
    effective,
  );
  const heartbeat = await numberField(
    sc,
    s.HeartbeatSeconds,
    s.HeartbeatSecondsPath,
    "HeartbeatSeconds",
    bindings,
    effective,
  );
  requirePositive(timeout, "TimeoutSeconds", s.TimeoutSecondsPath, s.TimeoutSeconds);
  requirePositive(heartbeat, "HeartbeatSeconds", s.HeartbeatSecondsPath, s.HeartbeatSeconds);
  return startTask(sc, args, timeout, heartbeat);
}

/**
 * A Task's TimeoutSeconds and HeartbeatSeconds (and a Map's ItemBatcher sizes) are positive integers:
 * "the reference path must select fields whose values are positive integers" (Developer Guide, Task
 * state), so a path that
 * selects 0 or less fails as one selecting no integer does (States.Runtime); an expression that
 * yields one is "Value out of range" (States.QueryEvaluationError: "{% $evaluatesToNegativeNumber %}
 * will fail in the TimeoutSeconds field", Developer Guide, "Transforming data with JSONata"; the
 * cause's wording is ours).
 */
function requirePositive(
  n: number | undefined,
  field: string,
  path: string | undefined,
  value: number | string | undefined,
  location = field,
): void {
  if (n === undefined || (Number.isInteger(n) && n > 0)) return;
  if (path !== undefined) {
    throw fieldError(
      StatesErrors.Runtime,
      `The ${field}Path field refers to value "${n}" which is not a valid integer: ${path}`,
    );
  }
  const expr = jsonataExpression(value);
  if (expr === undefined) return; // a literal: the definition's checks bound it
  throw fieldError(
    StatesErrors.QueryEvaluationError,
    `The JSONata expression '${expr.trim()}' specified for the field '${location}' returned a value out of range: ${n}. Expected a positive integer.`,
    location,
  );
}

/** Records the scheduling events and runs the integration. */
function startTask(
  sc: StateCtx,
  args: Json,
  timeout: number | undefined,
  heartbeat: number | undefined,
): Promise<Json> {
  const run = sc.thread.run;
  const resource = sc.state.Resource as string;
  const parsed = parseResource(resource);
  const legacy = parsed.service === "lambda-legacy";
  const common = parsed.common;
  if (legacy) {
    record(
      sc.thread,
      "LambdaFunctionScheduled",
      timeout === undefined
        ? { resource, input: args }
        : { resource, input: args, timeoutInSeconds: timeout },
    );
    record(sc.thread, "LambdaFunctionStarted");
  } else {
    record(sc.thread, "TaskScheduled", {
      ...common,
      region: run.region,
      // Kept as a value; the history turns it into JSON text when read.
      parameters: args,
      ...(timeout !== undefined ? { timeoutInSeconds: timeout } : {}),
      ...(heartbeat !== undefined ? { heartbeatInSeconds: heartbeat } : {}),
    });
    record(sc.thread, "TaskStarted", common);
  }
  if (timeout === undefined && heartbeat === undefined && parsed.pattern === undefined) {
    // Fast path: no timers, no token, no polling; the thread's signal reaches the runtime as is.
    return run.clock
      .track(
        callIntegration(
          parsed,
          call(sc, resource, args, undefined, sc.thread.signal),
          run.runtime,
          run.nested,
        ),
      )
      .then(
        (result) => {
          checkInterrupt(sc.thread.signal);
          return taskSucceeded(sc, result, legacy, common, resource);
        },
        (e: unknown) => {
          throw taskFailed(sc, e, legacy, common);
        },
      );
  }
  return controlledTask(sc, args, parsed, resource, legacy, common, timeout, heartbeat);
}

/** A task with a timeout, a heartbeat, a task token or a `.sync` wait. */
async function controlledTask(
  sc: StateCtx,
  args: Json,
  parsed: ParsedResource,
  resource: string,
  legacy: boolean,
  common: { resourceType: string; resource: string },
  timeout: number | undefined,
  heartbeat: number | undefined,
): Promise<Json> {
  const run = sc.thread.run;
  const controller = new AbortController();
  const onAbort = () => controller.abort(sc.thread.signal.reason);
  sc.thread.signal.addEventListener("abort", onAbort, { once: true });
  let timer: { cancel(): void } | undefined;
  let heartbeatTimer: { cancel(): void } | undefined;
  try {
    const work = new Promise<Json>((resolve, reject) => {
      if (timeout !== undefined) {
        timer = run.clock.setTimer(timeout * 1000, () =>
          reject(new StatesError(StatesErrors.Timeout, undefined)),
        );
      }
      controller.signal.addEventListener("abort", () => reject(controller.signal.reason), { once: true });
      const resetHeartbeat = () => {
        heartbeatTimer?.cancel();
        if (heartbeat !== undefined) {
          heartbeatTimer = run.clock.setTimer(heartbeat * 1000, () =>
            reject(new StatesError(StatesErrors.HeartbeatTimeout, undefined)),
          );
        }
      };
      const body = async (): Promise<Json> => {
        const pending = sc.pending;
        if (parsed.pattern === "waitForTaskToken" && pending) {
          pending.onHeartbeat = resetHeartbeat;
          const submitted = await run.clock.track(
            callIntegration(
              parsed,
              call(sc, resource, args, pending.token, controller.signal),
              run.runtime,
              run.nested,
            ),
          );
          record(sc.thread, "TaskSubmitted", { ...common, output: submitted });
          resetHeartbeat();
          return await pending.result;
        }
        const result = await run.clock.track(
          callIntegration(
            parsed,
            call(sc, resource, args, undefined, controller.signal),
            run.runtime,
            run.nested,
          ),
        );
        if (parsed.service === "states" && (parsed.pattern === "sync" || parsed.pattern === "sync:2")) {
          record(sc.thread, "TaskSubmitted", { ...common, output: result });
          return await completeNestedSync(parsed, result, run.nested, controller.signal);
        }
        return result;
      };
      body().then(resolve, reject);
    });
    const result = await work;
    return taskSucceeded(sc, result, legacy, common, resource);
  } catch (e) {
    controller.abort(new Interrupt("sibling"));
    throw taskFailed(sc, e, legacy, common);
  } finally {
    timer?.cancel();
    heartbeatTimer?.cancel();
    sc.thread.signal.removeEventListener("abort", onAbort);
  }
}

function taskSucceeded(
  sc: StateCtx,
  result: Json,
  legacy: boolean,
  common: { resourceType: string; resource: string },
  resource: string,
): Json {
  try {
    checkPayload(result, resource);
  } catch (error) {
    throw taskFailed(sc, error, legacy, common);
  }
  if (legacy) record(sc.thread, "LambdaFunctionSucceeded", { output: result });
  else record(sc.thread, "TaskSucceeded", { ...common, output: result });
  return result;
}

/** Records the task's failure event and returns the error to throw. */
function taskFailed(
  sc: StateCtx,
  e: unknown,
  legacy: boolean,
  common: { resourceType: string; resource: string },
): unknown {
  if (e instanceof Interrupt || e instanceof FieldError) return e;
  const err = e instanceof StatesError ? e : new StatesError(StatesErrors.TaskFailed, String(e));
  const timedOut = err.error === StatesErrors.Timeout || err.error === StatesErrors.HeartbeatTimeout;
  const details = { error: err.error, ...(err.cause !== undefined ? { cause: err.cause } : {}) };
  if (legacy) record(sc.thread, timedOut ? "LambdaFunctionTimedOut" : "LambdaFunctionFailed", details);
  else record(sc.thread, timedOut ? "TaskTimedOut" : "TaskFailed", { ...common, ...details });
  return err;
}

function call(
  sc: StateCtx,
  resource: string,
  input: Json,
  taskToken: string | undefined,
  signal: AbortSignal,
) {
  return {
    stateName: sc.name,
    resource,
    input,
    taskToken,
    signal,
    executionArn: sc.thread.run.executionArn,
    roleArn: sc.thread.run.contextExecution().RoleArn as string | undefined,
  };
}

function childThread(sc: StateCtx, signal: AbortSignal, isolated: boolean): Thread {
  return {
    run: sc.thread.run,
    vars: isolated ? {} : (Object.create(sc.thread.vars) as Vars),
    signal,
    prev: sc.thread.prev,
    topLevel: false,
  };
}

async function runParallel(sc: StateCtx, input: Json): Promise<Json> {
  const branches = sc.state.Branches ?? [];
  record(sc.thread, "ParallelStateStarted");
  const controller = new AbortController();
  const onAbort = () => controller.abort(sc.thread.signal.reason);
  sc.thread.signal.addEventListener("abort", onAbort, { once: true });
  try {
    const results = await allOrFirstFailure(
      branches.map((branch) => async () => {
        const t = childThread(sc, controller.signal, false);
        return runMachine(branch, input, t);
      }),
      Number.POSITIVE_INFINITY,
      controller,
      keptResults(sc),
    );
    record(sc.thread, "ParallelStateSucceeded");
    return results;
  } catch (e) {
    if (!(e instanceof Interrupt)) {
      const err = e instanceof StatesError ? e : new StatesError(StatesErrors.Runtime, String(e));
      record(sc.thread, "ParallelStateFailed", { error: err.error, cause: err.cause });
    }
    throw e;
  } finally {
    sc.thread.signal.removeEventListener("abort", onAbort);
  }
}

/**
 * The branch/iteration results a redrive keeps for a top-level Parallel or Map state: what
 * succeeded before it failed (recorded as it runs) and, after a redrive, what to reuse.
 */
function keptResults(sc: StateCtx): Map<number, Json> | undefined {
  if (!sc.thread.topLevel) return undefined;
  const run = sc.thread.run;
  const resume = run.resume;
  run.resume = undefined;
  const succeeded = new Map<number, Json>(resume?.stateName === sc.name ? resume.results : []);
  run.partial = { stateName: sc.name, results: succeeded };
  return succeeded;
}

/** Runs jobs with a concurrency limit; the first failure aborts the rest and is rethrown. */
async function allOrFirstFailure(
  jobs: (() => Promise<Json>)[],
  limit: number,
  controller: AbortController,
  succeeded?: Map<number, Json>,
): Promise<Json[]> {
  const results: Json[] = new Array(jobs.length);
  let nextIndex = 0;
  let failure: { e: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (nextIndex < jobs.length && !failure) {
      const i = nextIndex++;
      const kept = succeeded?.get(i);
      if (kept !== undefined) {
        results[i] = kept;
        continue;
      }
      try {
        results[i] = await (jobs[i] as () => Promise<Json>)();
        succeeded?.set(i, results[i] as Json);
      } catch (e) {
        if (!failure && !(e instanceof Interrupt && e.kind === "sibling")) {
          failure = { e };
          controller.abort(new Interrupt("sibling"));
        }
        return;
      }
    }
  };
  const n = Math.min(jobs.length, limit);
  const workers: Promise<void>[] = [];
  for (let i = 0; i < n; i++) workers.push(worker());
  await Promise.all(workers);
  if (failure) throw failure.e;
  return results;
}

async function runMap(
  sc: StateCtx,
  effective: Json,
  bindings: Record<string, unknown> | undefined,
): Promise<Json> {
  const s = sc.state;
  const processor = s.ItemProcessor ?? s.Iterator;
  if (!processor)
    throw new StatesError(StatesErrors.Runtime, `The Map state '${sc.name}' has no ItemProcessor`);
  const distributed = processor.ProcessorConfig?.Mode === "DISTRIBUTED";
  if (s.ItemReader) {
    throw fieldError(
      StatesErrors.ItemReaderFailed,
      "ItemReader is not supported by the local engine: pass the items in the state input instead.",
    );
  }
  if (s.ResultWriter) {
    throw fieldError(
      StatesErrors.ResultWriterFailed,
      "ResultWriter is not supported by the local engine: the Map state's results are returned in its output.",
    );
  }
  let items: Json;
  if (sc.ql === "JSONata") {
    const b = bindings ?? jsonataBindings(sc, {});
    if (s.Items !== undefined) {
      items = await evalJsonataField(s.Items, "Items", b, sc.input);
      if (!Array.isArray(items)) {
        const expr = jsonataExpression(s.Items);
        if (expr === undefined) {
          throw fieldError(
            StatesErrors.QueryEvaluationError,
            `Map state input must be an array but was: ${JSON.stringify(items)}`,
          );
        }
        throw fieldError(
          StatesErrors.QueryEvaluationError,
          `The JSONata expression '${expr.trim()}' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was '${typeName(items)}' for value: ${JSON.stringify(items)}`,
          "Items",
        );
      }
    } else {
      items = sc.input;
      if (!Array.isArray(items)) {
        throw fieldError(
          StatesErrors.QueryEvaluationError,
          `Map state input must be an array but was: ${JSON.stringify(items)}`,
        );
      }
    }
  } else {
    const path = s.ItemsPath ?? "$";
    const r = resolveRef(path, effective, sc);
    if (!r.found) {
      throw fieldError(
        StatesErrors.Runtime,
        `Invalid path '${path}' : No results for path: ${compilePath(path.startsWith("$$") ? path.slice(1) : path).normalized}`,
      );
    }
    items = r.value;
    if (!Array.isArray(items)) {
      throw fieldError(
        StatesErrors.Runtime,
        `Map state input must be an array but was: ${JSON.stringify(items)}`,
      );
    }
  }
  const list = items as Json[];
  const maxConcurrency =
    (await numberField(sc, s.MaxConcurrency, s.MaxConcurrencyPath, "MaxConcurrency", bindings, effective)) ??
    0;
  if (s.MaxConcurrencyPath !== undefined && maxConcurrency < 0) {
    throw fieldError(
      StatesErrors.Runtime,
      `The MaxConcurrencyPath field refers to value "${maxConcurrency}" which is not a valid integer: ${s.MaxConcurrencyPath}`,
    );
  }
  const toleratedCount = await numberField(
    sc,
    s.ToleratedFailureCount,
    s.ToleratedFailureCountPath,
    "ToleratedFailureCount",
    bindings,
    effective,
  );
  const toleratedPct = await numberField(
    sc,
    s.ToleratedFailurePercentage,
    s.ToleratedFailurePercentagePath,
    "ToleratedFailurePercentage",
    bindings,
    effective,
    "float",
  );
  if (toleratedPct !== undefined && (toleratedPct < 0 || toleratedPct > 100)) {
    throw fieldError(StatesErrors.Runtime, "ToleratedFailurePercentage must be between 0 and 100.");
  }
  if (toleratedCount !== undefined && toleratedCount < 0) {
    throw fieldError(StatesErrors.Runtime, "ToleratedFailureCount cannot be negative.");
  }

  // Selected inputs, then batches.
  const selector = s.ItemSelector ?? (sc.ql === "JSONPath" ? s.Parameters : undefined);
  const inputs: Json[] = [];
  for (let i = 0; i < list.length; i++) {
    const item = list[i] as Json;
    if (selector === undefined) {
      inputs.push(item);
      continue;
    }
    sc.mapItem = { Index: i, Value: item };
    if (sc.ql === "JSONata") {
      inputs.push(await evalJsonataField(selector, "ItemSelector", jsonataBindings(sc, {}), sc.input));
    } else {
      inputs.push(evalTemplate(selector, effective, sc));
    }
    sc.mapItem = undefined;
  }
  let iterationInputs = inputs;
  if (s.ItemBatcher) {
    const b = s.ItemBatcher;
    // Read as every other count is: a number, a `*Path` (JSONPath) or an expression (JSONata).
    const batchBindings = sc.ql === "JSONata" ? jsonataBindings(sc, {}) : undefined;
    // Both are positive integers (Amazon States Language, ItemBatcher: paths "MUST select fields whose
    // values are positive integers", JSONata strings "MUST evaluate to positive integers").
    const batchNumber = async (field: "MaxItemsPerBatch" | "MaxInputBytesPerBatch") => {
      const value = b[field] as number | string | undefined;
      const path = b[`${field}Path`] as string | undefined;
      const location = `ItemBatcher/${field}`;
      const n = await numberField(sc, value, path, field, batchBindings, effective, "integer", location);
      requirePositive(n, field, path, value, location);
      return n;
    };
    const maxItems = (await batchNumber("MaxItemsPerBatch")) ?? Number.POSITIVE_INFINITY;
    const maxBytes = (await batchNumber("MaxInputBytesPerBatch")) ?? 256 * 1024;
    let batchInput: Json | undefined;
    if (b.BatchInput !== undefined) {
      batchInput =
        sc.ql === "JSONata"
          ? await evalJsonataField(b.BatchInput, "ItemBatcher/BatchInput", jsonataBindings(sc, {}), sc.input)
          : evalTemplate(b.BatchInput, effective, sc);
    }
    iterationInputs = [];
    let cur: Json[] = [];
    let bytes = 0;
    for (const v of inputs) {
      const size = jsonByteLength(v);
      if (cur.length > 0 && (cur.length >= maxItems || bytes + size > maxBytes)) {
        iterationInputs.push(
          batchInput === undefined ? { Items: cur } : { BatchInput: batchInput, Items: cur },
        );
        cur = [];
        bytes = 0;
      }
      cur.push(v);
      bytes += size;
    }
    if (cur.length > 0)
      iterationInputs.push(
        batchInput === undefined ? { Items: cur } : { BatchInput: batchInput, Items: cur },
      );
  }

  const thread = sc.thread;
  if (distributed)
    record(thread, "MapRunStarted", {
      mapRunArn: `${thread.run.executionArn.replace(":execution:", ":mapRun:")}/${sc.name}:${crypto.randomUUID()}`,
    });
  else record(thread, "MapStateStarted", { length: iterationInputs.length });
  const controller = new AbortController();
  const onAbort = () => controller.abort(thread.signal.reason);
  thread.signal.addEventListener("abort", onAbort, { once: true });
  const tolerant = toleratedCount !== undefined || toleratedPct !== undefined;
  let failures = 0;
  const total = iterationInputs.length;
  const exceeded = () =>
    (toleratedCount !== undefined ? failures > toleratedCount : toleratedPct === undefined) &&
    (toleratedPct !== undefined ? (failures / Math.max(1, total)) * 100 > toleratedPct : true);
  try {
    const jobs = iterationInputs.map((input, index) => async (): Promise<Json> => {
      const t = childThread(sc, controller.signal, distributed);
      record(t, "MapIterationStarted", { name: sc.name, index });
      try {
        const out = await runMachine(processor, input, t);
        record(t, "MapIterationSucceeded", { name: sc.name, index });
        return out;
      } catch (e) {
        if (e instanceof Interrupt) {
          record(t, "MapIterationAborted", { name: sc.name, index });
          throw e;
        }
        record(t, "MapIterationFailed", { name: sc.name, index });
        if (tolerant) {
          failures++;
          if (!exceeded()) {
            const err = e instanceof StatesError ? e : new StatesError(StatesErrors.Runtime, String(e));
            return errorOutput(err);
          }
          throw new StatesError(
            StatesErrors.ExceedToleratedFailureThreshold,
            "The specified tolerated failure threshold was exceeded",
          );
        }
        throw e;
      }
    });
    const results = await allOrFirstFailure(
      jobs,
      // An inline Map runs at most 40 iterations at a time on AWS, whatever MaxConcurrency says.
      distributed
        ? maxConcurrency > 0
          ? maxConcurrency
          : Number.POSITIVE_INFINITY
        : Math.min(maxConcurrency > 0 ? maxConcurrency : INLINE_MAP_CONCURRENCY, INLINE_MAP_CONCURRENCY),
      controller,
      keptResults(sc),
    );
    record(thread, distributed ? "MapRunSucceeded" : "MapStateSucceeded");
    return results;
  } catch (e) {
    if (!(e instanceof Interrupt)) {
      const err = e instanceof StatesError ? e : new StatesError(StatesErrors.Runtime, String(e));
      record(thread, distributed ? "MapRunFailed" : "MapStateFailed", { error: err.error, cause: err.cause });
    }
    throw e;
  } finally {
    thread.signal.removeEventListener("abort", onAbort);
  }
}
