/**
 * Execution history in the shape of GetExecutionHistory. Payload fields (`input`, `output`,
 * `parameters`) are kept as values and turned into JSON text only when the history is read, so
 * recording the full history costs little on the hot path.
 */
import type { Json } from "./json.ts";

export type HistoryEventType =
  | "ExecutionStarted"
  | "ExecutionSucceeded"
  | "ExecutionFailed"
  | "ExecutionAborted"
  | "ExecutionTimedOut"
  | "ExecutionRedriven"
  | "PassStateEntered"
  | "PassStateExited"
  | "TaskStateEntered"
  | "TaskStateExited"
  | "TaskStateAborted"
  | "EvaluationFailed"
  | "ChoiceStateEntered"
  | "ChoiceStateExited"
  | "WaitStateEntered"
  | "WaitStateExited"
  | "WaitStateAborted"
  | "SucceedStateEntered"
  | "SucceedStateExited"
  | "FailStateEntered"
  | "ParallelStateEntered"
  | "ParallelStateExited"
  | "ParallelStateStarted"
  | "ParallelStateSucceeded"
  | "ParallelStateFailed"
  | "ParallelStateAborted"
  | "MapStateEntered"
  | "MapStateExited"
  | "MapStateStarted"
  | "MapStateSucceeded"
  | "MapStateFailed"
  | "MapStateAborted"
  | "MapIterationStarted"
  | "MapIterationSucceeded"
  | "MapIterationFailed"
  | "MapIterationAborted"
  | "MapRunStarted"
  | "MapRunSucceeded"
  | "MapRunFailed"
  | "MapRunAborted"
  | "TaskScheduled"
  | "TaskStarted"
  | "TaskSubmitted"
  | "TaskSucceeded"
  | "TaskFailed"
  | "TaskTimedOut"
  | "LambdaFunctionScheduled"
  | "LambdaFunctionStarted"
  | "LambdaFunctionSucceeded"
  | "LambdaFunctionFailed"
  | "LambdaFunctionTimedOut";

/** An event as GetExecutionHistory returns it. */
export interface HistoryEvent {
  timestamp: Date;
  type: HistoryEventType;
  id: number;
  previousEventId: number;
  [details: string]: unknown;
}

const PAYLOAD_FIELDS = new Set(["input", "output", "parameters"]);

/** Details object key for an event type: `TaskStateEntered` -> `stateEnteredEventDetails`. */
function detailsKeyOf(type: HistoryEventType): string {
  if (type.endsWith("StateEntered")) return "stateEnteredEventDetails";
  if (type.endsWith("StateExited")) return "stateExitedEventDetails";
  return `${type[0]?.toLowerCase()}${type.slice(1)}EventDetails`;
}

export type HistoryListener = (event: HistoryEvent) => void;

/**
 * The events of one execution, stored column-wise (parallel arrays) so that recording an event
 * allocates little: state entered/exited events keep their name and payload in columns, other
 * events a details object.
 */
export interface HistorySnapshot {
  readonly types: HistoryEventType[];
  readonly prevs: number[];
  readonly times: number[];
  readonly first: unknown[];
  readonly second: unknown[];
  readonly closed: boolean;
}

export class History {
  private readonly types: HistoryEventType[] = [];
  private readonly prevs: number[] = [];
  private readonly times: number[] = [];
  /** For state entered/exited events: the state name; otherwise the details object (or undefined). */
  private readonly first: unknown[] = [];
  /** For state entered/exited events: the input / output. */
  private readonly second: unknown[] = [];
  private readonly listeners = new Set<HistoryListener>();
  private readonly now: () => number;
  private readonly wanted: () => boolean;
  private readonly changed: (() => void) | undefined;
  private closed = false;

  /**
   * @param now the clock's time
   * @param wanted whether anyone outside listens (events are shaped for listeners only when true)
   * @param changed told of every event recorded, unshaped (cheap: for "something changed" signals)
   */
  constructor(now: () => number, wanted: () => boolean = () => false, changed?: () => void) {
    this.now = now;
    this.wanted = wanted;
    this.changed = changed;
  }

  /** After the execution's closing event nothing more is recorded (until `reopen`, for redrive). */
  close(): void {
    this.closed = true;
  }

  reopen(): void {
    this.closed = false;
  }

  get length(): number {
    return this.types.length;
  }

  /**
   * The recorded events in their compact form, for saving (JSON-serialisable). `copy` false shares
   * the payloads with the history: only for a caller that serializes the snapshot at once.
   */
  snapshot(copy = true): HistorySnapshot {
    return {
      types: [...this.types],
      prevs: [...this.prevs],
      times: [...this.times],
      first: copy ? structuredClone(this.first) : [...this.first],
      second: copy ? structuredClone(this.second) : [...this.second],
      closed: this.closed,
    };
  }

  /** A history holding the events of a snapshot, recording on after them. */
  static restore(
    snapshot: HistorySnapshot,
    now: () => number,
    wanted: () => boolean = () => false,
    changed?: () => void,
  ): History {
    const history = new History(now, wanted, changed);
    history.types.push(...snapshot.types);
    history.prevs.push(...snapshot.prevs);
    history.times.push(...snapshot.times);
    history.first.push(...snapshot.first);
    history.second.push(...snapshot.second);
    history.closed = snapshot.closed;
    return history;
  }

  /** Appends an event and returns its id. */
  add(type: HistoryEventType, previousEventId: number, details?: Record<string, unknown>): number {
    return this.push(type, previousEventId, details, undefined);
  }

  /** Appends a `...StateEntered` (payload = input) or `...StateExited` (payload = output) event. */
  addState(type: HistoryEventType, previousEventId: number, name: string, payload: unknown): number {
    return this.push(type, previousEventId, name, payload);
  }

  private push(type: HistoryEventType, prev: number, first: unknown, second: unknown): number {
    if (this.closed) return this.types.length;
    this.types.push(type);
    this.prevs.push(prev);
    this.times.push(this.now());
    this.first.push(first);
    this.second.push(second);
    const id = this.types.length;
    this.changed?.();
    if (this.listeners.size > 0 && this.wanted()) {
      const shaped = this.shape(id - 1, true);
      for (const l of this.listeners) l(shaped);
    }
    return id;
  }

  subscribe(listener: HistoryListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  list(includeData = true): HistoryEvent[] {
    const out: HistoryEvent[] = [];
    for (let i = 0; i < this.types.length; i++) out.push(this.shape(i, includeData));
    return out;
  }

  private shape(i: number, includeData: boolean): HistoryEvent {
    const type = this.types[i] as HistoryEventType;
    const out: HistoryEvent = {
      timestamp: new Date(this.times[i] as number),
      type,
      id: i + 1,
      previousEventId: this.prevs[i] as number,
    };
    const first = this.first[i];
    if (typeof first === "string") {
      const entered = type.endsWith("StateEntered");
      const details: Record<string, unknown> = { name: first };
      const key = entered ? "input" : "output";
      const assigned = entered ? undefined : (this.second[i] as { assigned?: unknown } | undefined);
      const payload = entered ? this.second[i] : (this.second[i] as { output: unknown }).output;
      if (includeData) {
        details[key] = JSON.stringify(payload as Json) ?? "null";
        details[`${key}Details`] = { truncated: false };
      }
      if (assigned?.assigned !== undefined) details.assignedVariables = assigned.assigned;
      out[entered ? "stateEnteredEventDetails" : "stateExitedEventDetails"] = details;
      return out;
    }
    if (first && typeof first === "object") {
      const details: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(first)) {
        if (v === undefined) continue;
        if (PAYLOAD_FIELDS.has(k)) {
          if (!includeData) continue;
          details[k] =
            typeof v === "string" && k === "parameters" ? v : (JSON.stringify(v as Json) ?? "null");
          details[`${k}Details`] = { truncated: false };
        } else details[k] = v;
      }
      out[detailsKeyOf(type)] = details;
    }
    return out;
  }
}
