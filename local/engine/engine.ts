/**
 * The execution API, shaped like Step Functions' (field and error names of the SFN JSON protocol),
 * so that the local server can expose it 1:1: state machines, executions, history, stop, redrive,
 * task tokens. Time comes from the injected clock.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { type Clock, createClock } from "../clock/clock.ts";
import {
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  ExecutionNotRedrivable,
  InvalidArn,
  InvalidExecutionInput,
  InvalidName,
  InvalidOutput,
  InvalidToken,
  StateMachineAlreadyExists,
  StateMachineDoesNotExist,
  StatesError,
  StatesErrors,
  TaskDoesNotExist,
  ValidationException,
} from "./errors.ts";
import { History, type HistoryEvent, type HistorySnapshot } from "./history.ts";
import {
  type ExecutionRun,
  Interrupt,
  PAYLOAD_LIMIT_BYTES,
  record,
  runMachine,
  type TaskTokenWaiter,
  type Thread,
  type TokenRegistry,
} from "./interpreter.ts";
import { type Json, type JsonObject, MAX_JSON_DEPTH, nestedDeeperThan, payloadExcess } from "./json.ts";
import type { NestedExecutions, NestedOutcome, TaskRuntime } from "./tasks.ts";
import type { AslMachine } from "./types.ts";
import { validateDefinition } from "./validate.ts";

export type ExecutionStatus =
  | "RUNNING"
  | "SUCCEEDED"
  | "FAILED"
  | "TIMED_OUT"
  | "ABORTED"
  | "PENDING_REDRIVE";

export interface EngineOptions {
  clock?: Clock;
  runtime?: TaskRuntime;
  region?: string;
  accountId?: string;
  /** Caps every Wait and retry back-off (ms), e.g. 0 for conformance runs; default no cap. */
  maxWaitMs?: number;
  /**
   * How many finished executions (with their history) to keep; the oldest finished ones are
   * forgotten beyond it. Default 10,000.
   */
  retainExecutions?: number;
  /** Extra fields merged into `$$.Execution` (tests). */
  contextOverrides?: { Execution?: JsonObject; StateMachine?: JsonObject };
}

export interface StateMachineDescription {
  stateMachineArn: string;
  name: string;
  status: "ACTIVE";
  definition: string;
  roleArn: string;
  type: "STANDARD";
  creationDate: Date;
}

export interface ExecutionDescription {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  input: string;
  inputDetails: { included: boolean };
  output?: string;
  outputDetails?: { included: boolean };
  error?: string;
  cause?: string;
  redriveCount: number;
  redriveDate?: Date;
  redriveStatus: "REDRIVABLE" | "NOT_REDRIVABLE";
  redriveStatusReason?: string;
}

/** An execution as `exportExecutions` writes it (dates as epoch ms). */
export interface SavedExecution {
  readonly arn: string;
  readonly name: string;
  readonly stateMachineArn: string;
  readonly inputText: string;
  readonly status: ExecutionStatus;
  readonly startDate: number;
  readonly stopDate?: number;
  readonly outputText?: string;
  readonly error?: string;
  readonly cause?: string;
  readonly redriveCount: number;
  readonly redriveDate?: number;
  readonly parentArn?: string;
  readonly history: HistorySnapshot;
  /** Where a redrive resumes: the top-level state that was running, its input and the variables. */
  readonly resumeAt?: { readonly state: string; readonly input: Json; readonly vars: Record<string, Json> };
}

export type ExecutionListItem = Pick<
  ExecutionDescription,
  | "executionArn"
  | "stateMachineArn"
  | "name"
  | "status"
  | "startDate"
  | "stopDate"
  | "redriveCount"
  | "redriveDate"
>;

export type EngineEvent =
  | { kind: "history"; executionArn: string; event: HistoryEvent }
  | { kind: "status"; execution: ExecutionDescription };

interface StateMachineRecord {
  arn: string;
  name: string;
  definitionText: string;
  machine: AslMachine;
  roleArn: string;
  creationDate: Date;
}

interface ExecutionRecord {
  arn: string;
  /** Start order, never reused: what ListExecutions pages by (a new start never shifts a page). */
  seq: number;
  name: string;
  sm: StateMachineRecord;
  inputText: string;
  input: Json;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  output?: Json;
  outputText?: string;
  error?: string;
  cause?: string;
  redriveCount: number;
  redriveDate?: Date;
  history: History;
  controller: AbortController;
  run?: ExecutionRun;
  done: Promise<void>;
  settle: () => void;
  parentArn?: string;
}

interface TokenEntry {
  executionArn: string;
  stateName: string;
  waiter: TaskTokenWaiter;
}

/** AWS's rule for state machine and execution names: 1-80 characters, none of these, no control characters. */
const NAME_CHARS = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/]{1,80}$/;
function validName(name: string): boolean {
  if (!NAME_CHARS.test(name)) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c <= 0x1f || (c >= 0x7f && c <= 0x9f)) return false;
  }
  return true;
}

export class Engine {
  readonly clock: Clock;
  readonly region: string;
  readonly accountId: string;
  private readonly runtime: TaskRuntime;
  private readonly maxWaitMs: number | undefined;
  private readonly contextOverrides: EngineOptions["contextOverrides"];
  private readonly retainExecutions: number;
  private finishedCount = 0;
  private nextSeq = 0;
  private readonly machines = new Map<string, StateMachineRecord>();
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly tokens = new Map<string, TokenEntry>();
  private readonly listeners = new Set<(e: EngineEvent) => void>();
  private readonly changeListeners = new Set<() => void>();

  constructor(options: EngineOptions = {}) {
    this.clock = options.clock ?? createClock({ mode: { kind: "real" } });
    this.runtime = options.runtime ?? {};
    this.region = options.region ?? "us-east-1";
    this.accountId = options.accountId ?? "000000000000";
    this.maxWaitMs = options.maxWaitMs;
    this.contextOverrides = options.contextOverrides;
    this.retainExecutions = options.retainExecutions ?? 10_000;
  }

  // ------------------------------------------------------------ state machines

  createStateMachine(input: { name: string; definition: string | object; roleArn?: string }): {
    stateMachineArn: string;
    creationDate: Date;
  } {
    if (!validName(input.name)) throw new InvalidName(`Invalid Name: '${input.name}'`);
    let parsed: unknown;
    try {
      parsed =
        typeof input.definition === "string"
          ? JSON.parse(input.definition)
          : structuredClone(input.definition);
    } catch (e) {
      throw new ValidationException(
        `Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: ${(e as Error).message}'`,
      );
    }
    const machine = validateDefinition(parsed);
    const arn = `arn:aws:states:${this.region}:${this.accountId}:stateMachine:${input.name}`;
    const text = typeof input.definition === "string" ? input.definition : JSON.stringify(input.definition);
    const existing = this.machines.get(arn);
    if (existing) {
      if (existing.definitionText === text)
        return { stateMachineArn: arn, creationDate: existing.creationDate };
      throw new StateMachineAlreadyExists(`State Machine Already Exists: '${arn}'`);
    }
    const creationDate = this.clock.date();
    this.machines.set(arn, {
      arn,
      name: input.name,
      definitionText: text,
      machine,
      roleArn: input.roleArn ?? `arn:aws:iam::${this.accountId}:role/cplane-local`,
      creationDate,
    });
    return { stateMachineArn: arn, creationDate };
  }

  /** Replaces a state machine's definition (UpdateStateMachine). */
  updateStateMachine(input: { stateMachineArn: string; definition: string | object }): { updateDate: Date } {
    const sm = this.machine(input.stateMachineArn);
    const parsed =
      typeof input.definition === "string" ? JSON.parse(input.definition) : structuredClone(input.definition);
    sm.machine = validateDefinition(parsed);
    sm.definitionText =
      typeof input.definition === "string" ? input.definition : JSON.stringify(input.definition);
    return { updateDate: this.clock.date() };
  }

  describeStateMachine(stateMachineArn: string): StateMachineDescription {
    const sm = this.machine(stateMachineArn);
    return {
      stateMachineArn: sm.arn,
      name: sm.name,
      status: "ACTIVE",
      definition: sm.definitionText,
      roleArn: sm.roleArn,
      type: "STANDARD",
      creationDate: sm.creationDate,
    };
  }

  listStateMachines(): {
    stateMachines: { stateMachineArn: string; name: string; type: "STANDARD"; creationDate: Date }[];
  } {
    return {
      stateMachines: [...this.machines.values()].map((sm) => ({
        stateMachineArn: sm.arn,
        name: sm.name,
        type: "STANDARD" as const,
        creationDate: sm.creationDate,
      })),
    };
  }

  deleteStateMachine(stateMachineArn: string): void {
    this.machines.delete(stateMachineArn);
  }

  private machine(arn: string): StateMachineRecord {
    if (!arn.startsWith("arn:")) throw new InvalidArn(`Invalid Arn: '${arn}'`);
    const sm = this.machines.get(arn);
    if (!sm) throw new StateMachineDoesNotExist(`State Machine Does Not Exist: '${arn}'`);
    return sm;
  }

  // ------------------------------------------------------------ executions

  startExecution(input: { stateMachineArn: string; name?: string; input?: string }): {
    executionArn: string;
    startDate: Date;
  } {
    return this.start(input);
  }

  private start(input: { stateMachineArn: string; name?: string; input?: string; parentArn?: string }): {
    executionArn: string;
    startDate: Date;
  } {
    const sm = this.machine(input.stateMachineArn);
    // A name the engine makes (a UUID) is valid; only a caller's is checked.
    const name = input.name ?? randomUUID();
    if (input.name !== undefined && !validName(name)) throw new InvalidName(`Invalid Name: '${name}'`);
    const inputText = input.input ?? "{}";
    let value: Json;
    try {
      value = JSON.parse(inputText) as Json;
    } catch (e) {
      throw new InvalidExecutionInput(`Invalid State Machine Execution Input: '${(e as Error).message}'`);
    }
    if (Buffer.byteLength(inputText) > PAYLOAD_LIMIT_BYTES) {
      throw new InvalidExecutionInput(
        "Invalid State Machine Execution Input: the input exceeds 262144 bytes",
      );
    }
    // Refused before anything is stored: every later step (history, checkpoints, listings) serializes it.
    if (nestedDeeperThan(value)) {
      throw new InvalidExecutionInput(
        `Invalid State Machine Execution Input: the input nests JSON deeper than ${MAX_JSON_DEPTH} levels`,
      );
    }
    const arn = `arn:aws:states:${this.region}:${this.accountId}:execution:${sm.name}:${name}`;
    const existing = this.executions.get(arn);
    if (existing) {
      if (existing.inputText === inputText && existing.status === "RUNNING") {
        return { executionArn: arn, startDate: existing.startDate };
      }
      throw new ExecutionAlreadyExists(`Execution Already Exists: '${arn}'`);
    }
    let settle: () => void = () => {};
    const done = new Promise<void>((resolve) => {
      settle = resolve;
    });
    const history = new History(
      () => this.clock.now(),
      () => this.listeners.size > 0,
      this.changed,
    );
    history.subscribe((event) => this.emit({ kind: "history", executionArn: arn, event }));
    const rec: ExecutionRecord = {
      arn,
      seq: this.nextSeq++,
      name,
      sm,
      inputText,
      input: value,
      status: "RUNNING",
      startDate: this.clock.date(),
      redriveCount: 0,
      history,
      controller: new AbortController(),
      done,
      settle,
      ...(input.parentArn ? { parentArn: input.parentArn } : {}),
    };
    this.executions.set(arn, rec);
    if (this.listeners.size > 0) this.emit({ kind: "status", execution: this.describe(rec) });
    const thread = this.newThread(rec);
    record(thread, "ExecutionStarted", { input: value, roleArn: sm.roleArn });
    void this.drive(rec, thread, value, undefined);
    return { executionArn: arn, startDate: rec.startDate };
  }

  private newThread(rec: ExecutionRecord): Thread {
    const overrides = this.contextOverrides?.Execution;
    // `$$.Execution` is built when a state first reads the context object: most executions never do,
    // and formatting its dates is a good part of what starting a short execution costs.
    let ctxExecution: JsonObject | undefined;
    const contextExecution = (): JsonObject =>
      (ctxExecution ??= {
        Id: rec.arn,
        Input: rec.input,
        Name: rec.name,
        RoleArn: rec.sm.roleArn,
        StartTime: rec.startDate.toISOString(),
        RedriveCount: rec.redriveCount,
        ...(rec.redriveDate ? { RedriveTime: rec.redriveDate.toISOString() } : {}),
        ...(overrides ?? {}),
      });
    const run: ExecutionRun = {
      clock: this.clock,
      history: rec.history,
      runtime: this.runtime,
      nested: this.nested,
      tokens: this.tokenRegistry,
      region: this.region,
      executionArn: rec.arn,
      queryLanguage: rec.sm.machine.QueryLanguage ?? "JSONPath",
      contextExecution,
      contextStateMachine: {
        Id: rec.sm.arn,
        Name: rec.sm.name,
        ...(this.contextOverrides?.StateMachine ?? {}),
      },
      maxWaitMs: this.maxWaitMs,
    };
    rec.run = run;
    return { run, vars: {}, signal: rec.controller.signal, prev: rec.history.length, topLevel: true };
  }

  private async drive(
    rec: ExecutionRecord,
    thread: Thread,
    input: Json,
    startAt: string | undefined,
  ): Promise<void> {
    const machine = rec.sm.machine;
    let timer: { cancel(): void } | undefined;
    if (machine.TimeoutSeconds !== undefined) {
      const elapsed = this.clock.now() - rec.startDate.getTime();
      timer = this.clock.setTimer(machine.TimeoutSeconds * 1000 - (startAt ? 0 : elapsed), () =>
        rec.controller.abort(new Interrupt("timedOut")),
      );
    }
    // A redrive starts a new run; an older run that unwinds late must not touch the record.
    const current = () => rec.run === thread.run;
    try {
      const output = await runMachine(machine, input, thread, startAt);
      if (!current()) return;
      const excess = payloadExcess(output, PAYLOAD_LIMIT_BYTES);
      if (excess) {
        throw new StatesError(
          StatesErrors.DataLimitExceeded,
          excess === "bytes"
            ? "The state/task returned a result with a size exceeding the maximum number of bytes service limit."
            : `The state/task returned a result nested deeper than the maximum of ${MAX_JSON_DEPTH} levels.`,
        );
      }
      rec.output = output;
      rec.outputText = JSON.stringify(output) ?? "null";
      this.finish(rec, thread, "SUCCEEDED", "ExecutionSucceeded", { output });
    } catch (e) {
      if (!current()) return;
      if (e instanceof Interrupt) {
        if (rec.status !== "RUNNING") return;
        if (e.kind === "timedOut") {
          rec.error = StatesErrors.Timeout;
          rec.cause = "The execution has timed out.";
          this.finish(rec, thread, "TIMED_OUT", "ExecutionTimedOut", { error: rec.error, cause: rec.cause });
        } else {
          this.finish(rec, thread, "ABORTED", "ExecutionAborted", { error: rec.error, cause: rec.cause });
        }
        return;
      }
      const err =
        e instanceof StatesError
          ? e
          : new StatesError(StatesErrors.Runtime, (e as Error).message ?? String(e));
      rec.error = err.error;
      rec.cause = err.cause;
      this.finish(rec, thread, "FAILED", "ExecutionFailed", {
        ...(err.error ? { error: err.error } : {}),
        ...(err.cause !== undefined ? { cause: err.cause } : {}),
      });
    } finally {
      timer?.cancel();
    }
  }

  private finish(
    rec: ExecutionRecord,
    thread: Thread,
    status: ExecutionStatus,
    type: "ExecutionSucceeded" | "ExecutionFailed" | "ExecutionAborted" | "ExecutionTimedOut",
    details: Record<string, unknown>,
  ): void {
    if (rec.status !== "RUNNING") return;
    rec.status = status;
    rec.stopDate = this.clock.date();
    record(thread, type, details);
    rec.history.close();
    for (const [token, entry] of this.tokens) if (entry.executionArn === rec.arn) this.tokens.delete(token);
    if (this.listeners.size > 0) this.emit({ kind: "status", execution: this.describe(rec) });
    rec.settle();
    if (++this.finishedCount > this.retainExecutions) this.forgetOldest();
  }

  /** Drops the oldest finished executions beyond `retainExecutions` (insertion order is start order). */
  private forgetOldest(): void {
    for (const [arn, rec] of this.executions) {
      if (this.finishedCount <= this.retainExecutions) return;
      if (rec.status === "RUNNING") continue;
      this.executions.delete(arn);
      this.finishedCount--;
    }
  }

  describeExecution(executionArn: string): ExecutionDescription {
    return this.describe(this.execution(executionArn));
  }

  private execution(arn: string): ExecutionRecord {
    if (!arn.startsWith("arn:")) throw new InvalidArn(`Invalid Arn: '${arn}'`);
    const rec = this.executions.get(arn);
    if (!rec) throw new ExecutionDoesNotExist(`Execution Does Not Exist: '${arn}'`);
    return rec;
  }

  private describe(rec: ExecutionRecord): ExecutionDescription {
    const redrivable = rec.status === "FAILED" || rec.status === "TIMED_OUT" || rec.status === "ABORTED";
    return {
      executionArn: rec.arn,
      stateMachineArn: rec.sm.arn,
      name: rec.name,
      status: rec.status,
      startDate: rec.startDate,
      ...(rec.stopDate ? { stopDate: rec.stopDate } : {}),
      input: rec.inputText,
      inputDetails: { included: true },
      ...(rec.status === "SUCCEEDED"
        ? { output: rec.outputText ?? "null", outputDetails: { included: true } }
        : {}),
      ...(rec.error !== undefined && rec.status !== "SUCCEEDED" && rec.status !== "RUNNING"
        ? { error: rec.error }
        : {}),
      ...(rec.cause !== undefined && rec.status !== "SUCCEEDED" && rec.status !== "RUNNING"
        ? { cause: rec.cause }
        : {}),
      redriveCount: rec.redriveCount,
      ...(rec.redriveDate ? { redriveDate: rec.redriveDate } : {}),
      redriveStatus: redrivable && rec.run?.atState ? "REDRIVABLE" : "NOT_REDRIVABLE",
      ...(redrivable && rec.run?.atState
        ? {}
        : { redriveStatusReason: `Execution is ${rec.status} and cannot be redriven` }),
    };
  }

  /**
   * ListExecutions, newest first. A page token names the last execution returned (by its start
   * order), so a page follows on from where the last one ended however many executions start meanwhile.
   */
  listExecutions(input: {
    stateMachineArn: string;
    statusFilter?: ExecutionStatus;
    maxResults?: number;
    nextToken?: string;
  }): {
    executions: ExecutionListItem[];
    nextToken?: string;
  } {
    const sm = this.machine(input.stateMachineArn);
    const after = input.nextToken === undefined ? undefined : tokenKey(input.nextToken);
    const size = pageSize(input.maxResults);
    const records: ExecutionRecord[] = [];
    let more = false;
    const all = [...this.executions.values()];
    for (let i = all.length - 1; i >= 0; i--) {
      const e = all[i] as ExecutionRecord;
      if (e.sm !== sm || (input.statusFilter && e.status !== input.statusFilter)) continue;
      if (after !== undefined && e.seq >= after) continue;
      if (records.length === size) {
        more = true;
        break;
      }
      records.push(e);
    }
    const last = records.at(-1);
    return {
      executions: records.map((e) => ({
        executionArn: e.arn,
        stateMachineArn: sm.arn,
        name: e.name,
        status: e.status,
        startDate: e.startDate,
        ...(e.stopDate ? { stopDate: e.stopDate } : {}),
        redriveCount: e.redriveCount,
        ...(e.redriveDate ? { redriveDate: e.redriveDate } : {}),
      })),
      ...(more && last ? { nextToken: keyToken(last.seq) } : {}),
    };
  }

  getExecutionHistory(
    executionArn: string,
    options: {
      reverseOrder?: boolean;
      maxResults?: number;
      nextToken?: string;
      includeExecutionData?: boolean;
    } = {},
  ): { events: HistoryEvent[]; nextToken?: string } {
    const rec = this.execution(executionArn);
    let events = rec.history.list(options.includeExecutionData ?? true);
    if (options.reverseOrder) events = events.reverse();
    return page(
      events,
      options.maxResults,
      options.nextToken,
      options.reverseOrder === true,
      (items, nextToken) => ({
        events: items,
        ...(nextToken ? { nextToken } : {}),
      }),
    );
  }

  stopExecution(executionArn: string, options: { error?: string; cause?: string } = {}): { stopDate: Date } {
    const rec = this.execution(executionArn);
    if (rec.status === "RUNNING") {
      if (options.error !== undefined) rec.error = options.error;
      if (options.cause !== undefined) rec.cause = options.cause;
      rec.controller.abort(new Interrupt("stopped"));
      // The interpreter notices at its next await; record the abort now, as AWS does synchronously.
      const thread: Thread = {
        run: rec.run as ExecutionRun,
        vars: {},
        signal: rec.controller.signal,
        prev: rec.history.length,
        topLevel: true,
      };
      this.finish(rec, thread, "ABORTED", "ExecutionAborted", {
        ...(options.error !== undefined ? { error: options.error } : {}),
        ...(options.cause !== undefined ? { cause: options.cause } : {}),
      });
      for (const child of this.executions.values()) {
        if (child.parentArn === rec.arn && child.status === "RUNNING") this.stopExecution(child.arn);
      }
    }
    return { stopDate: rec.stopDate ?? this.clock.date() };
  }

  /** RedriveExecution: restarts a failed, timed-out or aborted execution from the state that failed. */
  redriveExecution(executionArn: string): { redriveDate: Date } {
    const rec = this.execution(executionArn);
    const run = rec.run;
    const stateName = run?.atState;
    if (rec.status === "RUNNING" || rec.status === "SUCCEEDED" || !run || stateName === undefined) {
      throw new ExecutionNotRedrivable(
        `Execution is ${rec.status} and cannot be redriven: '${executionArn}'`,
      );
    }
    rec.redriveCount++;
    rec.redriveDate = this.clock.date();
    rec.status = "RUNNING";
    this.finishedCount--;
    delete rec.stopDate;
    delete rec.error;
    delete rec.cause;
    rec.controller = new AbortController();
    rec.done = new Promise<void>((resolve) => {
      rec.settle = resolve;
    });
    rec.history.reopen();
    const thread = this.newThread(rec);
    // A failed Map or Parallel reruns only the iterations / branches that did not succeed.
    if (run.partial?.stateName === stateName) thread.run.resume = run.partial;
    Object.assign(thread.vars, run.topVars ?? {});
    record(thread, "ExecutionRedriven", { redriveCount: rec.redriveCount });
    if (this.listeners.size > 0) this.emit({ kind: "status", execution: this.describe(rec) });
    void this.drive(rec, thread, run.atInput ?? null, stateName);
    return { redriveDate: rec.redriveDate };
  }

  /**
   * Every execution as data, to be written to disk and given back to `importExecutions` by a later
   * engine. A RUNNING execution cannot be resumed mid-flight: it comes back aborted (with the error
   * given to `importExecutions`), and is redrivable from the state it was in.
   */
  exportExecutions(): SavedExecution[] {
    return [...this.executions.values()].map((rec) => this.exported(rec));
  }

  /**
   * Every execution with a stamp that changes whenever its export would: what a store of saved
   * executions needs to write only those that changed. A finished execution changes only when it is
   * redriven; a running one changes all the time.
   */
  executionStamps(): { arn: string; stamp: string; running: boolean }[] {
    return [...this.executions.values()].map((rec) => ({
      arn: rec.arn,
      stamp: `${rec.status}:${rec.history.length}:${rec.redriveCount}`,
      running: rec.status === "RUNNING",
    }));
  }

  /** One execution as `exportExecutions` gives it, as JSON text (its history is not copied on the way). */
  exportExecutionJson(executionArn: string): string {
    return JSON.stringify(this.exported(this.execution(executionArn), false));
  }

  /** `copy` false: the history's payloads are shared, for a caller that serializes them at once. */
  private exported(rec: ExecutionRecord, copy = true): SavedExecution {
    return {
      arn: rec.arn,
      name: rec.name,
      stateMachineArn: rec.sm.arn,
      inputText: rec.inputText,
      status: rec.status,
      startDate: rec.startDate.getTime(),
      ...(rec.stopDate ? { stopDate: rec.stopDate.getTime() } : {}),
      ...(rec.outputText !== undefined ? { outputText: rec.outputText } : {}),
      ...(rec.error !== undefined ? { error: rec.error } : {}),
      ...(rec.cause !== undefined ? { cause: rec.cause } : {}),
      redriveCount: rec.redriveCount,
      ...(rec.redriveDate ? { redriveDate: rec.redriveDate.getTime() } : {}),
      ...(rec.parentArn ? { parentArn: rec.parentArn } : {}),
      history: rec.history.snapshot(copy),
      ...(rec.run?.atState !== undefined
        ? {
            resumeAt: { state: rec.run.atState, input: rec.run.atInput ?? null, vars: rec.run.topVars ?? {} },
          }
        : {}),
    };
  }

  /**
   * Takes back executions exported by an earlier engine, for state machines created on this one;
   * others, and ARNs already known, are skipped. Returns the ARNs imported.
   *
   * An execution saved while RUNNING was cut off with the engine that ran it (a checkpoint taken
   * before a crash): it comes back ABORTED, its history closed by an `ExecutionAborted` event, as
   * if it had been stopped then. A top-level one carries `interrupted`'s error and cause (so that the
   * caller can tell it and redrive it); a child execution is aborted plainly, as stopping its parent
   * would have done.
   */
  importExecutions(
    saved: readonly SavedExecution[],
    options: { interrupted?: { readonly error: string; readonly cause: string } } = {},
  ): string[] {
    const imported: string[] = [];
    for (const entry of saved) {
      const sm = this.machines.get(entry.stateMachineArn);
      if (!sm || this.executions.has(entry.arn)) continue;
      const history = History.restore(
        entry.history,
        () => this.clock.now(),
        () => this.listeners.size > 0,
        this.changed,
      );
      history.subscribe((event) => this.emit({ kind: "history", executionArn: entry.arn, event }));
      const running = entry.status === "RUNNING";
      const interrupted = running && !entry.parentArn ? options.interrupted : undefined;
      const rec: ExecutionRecord = {
        arn: entry.arn,
        seq: this.nextSeq++,
        name: entry.name,
        sm,
        inputText: entry.inputText,
        input: JSON.parse(entry.inputText) as Json,
        // An execution saved while running was cut off with its runtime: it is aborted now.
        status: running ? "ABORTED" : entry.status,
        startDate: new Date(entry.startDate),
        ...(entry.stopDate !== undefined ? { stopDate: new Date(entry.stopDate) } : {}),
        ...(running ? { stopDate: this.clock.date() } : {}),
        ...(entry.outputText !== undefined
          ? { outputText: entry.outputText, output: JSON.parse(entry.outputText) as Json }
          : {}),
        ...(entry.error !== undefined ? { error: entry.error } : {}),
        ...(entry.cause !== undefined ? { cause: entry.cause } : {}),
        ...(interrupted ? { error: interrupted.error, cause: interrupted.cause } : {}),
        redriveCount: entry.redriveCount,
        ...(entry.redriveDate !== undefined ? { redriveDate: new Date(entry.redriveDate) } : {}),
        ...(entry.parentArn ? { parentArn: entry.parentArn } : {}),
        history,
        controller: new AbortController(),
        done: Promise.resolve(),
        settle: () => undefined,
      };
      if (running) {
        history.reopen();
        history.add(
          "ExecutionAborted",
          history.length,
          interrupted ? { error: interrupted.error, cause: interrupted.cause } : undefined,
        );
        history.close();
      }
      this.executions.set(rec.arn, rec);
      this.finishedCount++;
      if (entry.resumeAt) {
        const thread = this.newThread(rec);
        thread.run.atState = entry.resumeAt.state;
        thread.run.atInput = entry.resumeAt.input;
        thread.run.topVars = entry.resumeAt.vars;
      }
      imported.push(rec.arn);
    }
    return imported;
  }

  /** Resolves when the execution is no longer RUNNING. */
  async waitForExecution(executionArn: string): Promise<ExecutionDescription> {
    const rec = this.execution(executionArn);
    while (rec.status === "RUNNING") await rec.done;
    return this.describe(rec);
  }

  /** History events of every execution and status changes (start, end, redrive). */
  subscribe(listener: (event: EngineEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Tells `listener` that some execution changed (an event was recorded: a start, a state, an end, a
   * redrive), without saying which. Unlike `subscribe`, it costs a call per event and no shaping of
   * events: what a checkpoint needs to know that it has something to write.
   */
  onChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  private readonly changed = (): void => {
    if (this.changeListeners.size === 0) return;
    for (const listener of this.changeListeners) {
      try {
        listener();
      } catch {
        // A listener's failure must not break an execution.
      }
    }
  };

  private emit(event: EngineEvent): void {
    if (this.listeners.size === 0) return;
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // A listener's failure must not break an execution.
      }
    }
  }

  // ------------------------------------------------------------ task tokens

  private readonly tokenRegistry: TokenRegistry = {
    issue: (executionArn, stateName, waiter) => {
      const token = randomBytes(96).toString("base64url");
      this.tokens.set(token, { executionArn, stateName, waiter });
      return token;
    },
    revoke: (token) => {
      this.tokens.delete(token);
    },
  };

  private token(taskToken: string): TokenEntry {
    if (typeof taskToken !== "string" || taskToken.length < 1 || taskToken.length > 2048) {
      throw new InvalidToken(`Invalid Token: '${taskToken}'`);
    }
    const entry = this.tokens.get(taskToken);
    if (!entry) throw new TaskDoesNotExist("Task Does Not Exist");
    return entry;
  }

  /** Task tokens issued and not yet answered (what `cplane tasks list` shows); not an AWS API. */
  listPendingTasks(): { taskToken: string; executionArn: string; stateName: string }[] {
    return [...this.tokens.entries()].map(([taskToken, entry]) => ({
      taskToken,
      executionArn: entry.executionArn,
      stateName: entry.stateName,
    }));
  }

  sendTaskSuccess(input: { taskToken: string; output: string }): Record<string, never> {
    const entry = this.token(input.taskToken);
    let value: Json;
    try {
      value = JSON.parse(input.output) as Json;
    } catch (e) {
      throw new InvalidOutput(`Invalid Output: '${(e as Error).message}'`);
    }
    if (nestedDeeperThan(value)) {
      throw new InvalidOutput(`Invalid Output: the output nests JSON deeper than ${MAX_JSON_DEPTH} levels`);
    }
    this.tokens.delete(input.taskToken);
    entry.waiter.resolve(value);
    return {};
  }

  sendTaskFailure(input: { taskToken: string; error?: string; cause?: string }): Record<string, never> {
    const entry = this.token(input.taskToken);
    this.tokens.delete(input.taskToken);
    entry.waiter.reject(new StatesError(input.error ?? "", input.cause));
    return {};
  }

  sendTaskHeartbeat(input: { taskToken: string }): Record<string, never> {
    this.token(input.taskToken).waiter.heartbeat();
    return {};
  }

  // ------------------------------------------------------------ nested executions

  private readonly nested: NestedExecutions = {
    start: async (params, parentArn) => {
      const input = params.Input;
      const started = this.start({
        stateMachineArn: params.StateMachineArn as string,
        ...(typeof params.Name === "string" ? { name: params.Name } : {}),
        input: input === undefined ? "{}" : typeof input === "string" ? input : JSON.stringify(input),
        parentArn,
      });
      return started;
    },
    wait: async (executionArn, signal): Promise<NestedOutcome> => {
      const rec = this.execution(executionArn);
      const onAbort = () => this.stopExecution(executionArn);
      signal.addEventListener("abort", onAbort, { once: true });
      try {
        await this.waitForExecution(executionArn);
      } finally {
        signal.removeEventListener("abort", onAbort);
      }
      const d = this.describe(rec);
      return {
        status: d.status,
        ...(d.output !== undefined ? { output: d.output } : {}),
        ...(d.error !== undefined ? { error: d.error } : {}),
        ...(d.cause !== undefined ? { cause: d.cause } : {}),
        input: d.input,
        startDate: d.startDate,
        ...(d.stopDate ? { stopDate: d.stopDate } : {}),
        stateMachineArn: d.stateMachineArn,
        executionArn: d.executionArn,
        name: d.name,
      };
    },
    stop: (executionArn) => {
      this.stopExecution(executionArn);
    },
  };
}

function pageSize(maxResults: number | undefined): number {
  return maxResults && maxResults > 0 ? maxResults : 1000;
}

/** Page tokens carry the key of the last item returned. */
function keyToken(key: number): string {
  return Buffer.from(`k${key}`).toString("base64url");
}

function tokenKey(token: string): number {
  const text = Buffer.from(token, "base64url").toString();
  const key = text.startsWith("k") ? Number(text.slice(1)) : Number.NaN;
  if (!Number.isInteger(key) || key < 0) throw new InvalidToken(`Invalid Token: '${token}'`);
  return key;
}

/**
 * A page of history events (ids ascending, or descending with `reverseOrder`). The token is the id
 * of the last event returned, so that events recorded while a reader pages do not shift its pages.
 */
function page<T extends { id: number }, R>(
  items: T[],
  maxResults: number | undefined,
  nextToken: string | undefined,
  descending: boolean,
  shape: (items: T[], nextToken: string | undefined) => R,
): R {
  const size = pageSize(maxResults);
  let start = 0;
  if (nextToken !== undefined) {
    const last = tokenKey(nextToken);
    start = items.findIndex((item) => (descending ? item.id < last : item.id > last));
    if (start < 0) start = items.length;
  }
  const slice = items.slice(start, start + size);
  const end = slice.at(-1);
  return shape(slice, start + size < items.length && end ? keyToken(end.id) : undefined);
}
