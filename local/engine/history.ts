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

interface StoredEvent {
  readonly id: number;
  readonly previousEventId: number;
  readonly timestamp: number;
  readonly type: HistoryEventType;
  readonly detailsKey: string | undefined;
  readonly details: Record<string, unknown> | undefined;
}

const PAYLOAD_FIELDS = new Set(["input", "output", "parameters"]);

/** Details object key for an event type: `TaskStateEntered` -> `stateEnteredEventDetails`. */
function detailsKeyOf(type: HistoryEventType): string {
  if (type.endsWith("StateEntered")) return "stateEnteredEventDetails";
  if (type.endsWith("StateExited")) return "stateExitedEventDetails";
  return `${type[0]?.toLowerCase()}${type.slice(1)}EventDetails`;
}

export type HistoryListener = (event: HistoryEvent) => void;

export class History {
  private readonly events: StoredEvent[] = [];
  private readonly listeners = new Set<HistoryListener>();
  private readonly now: () => number;
  private readonly wanted: () => boolean;
  private closed = false;

  /**
   * @param now the clock's time
   * @param wanted whether anyone outside listens (events are shaped for listeners only when true)
   */
  constructor(now: () => number, wanted: () => boolean = () => false) {
    this.now = now;
    this.wanted = wanted;
  }

  /** After the execution's closing event nothing more is recorded (until `reopen`, for redrive). */
  close(): void {
    this.closed = true;
  }

  reopen(): void {
    this.closed = false;
  }

  get length(): number {
    return this.events.length;
  }

  /** Appends an event and returns its id. */
  add(type: HistoryEventType, previousEventId: number, details?: Record<string, unknown>): number {
    if (this.closed) return this.events.length;
    const id = this.events.length + 1;
    const stored: StoredEvent = {
      id,
      previousEventId,
      timestamp: this.now(),
      type,
      detailsKey: details ? detailsKeyOf(type) : undefined,
      details,
    };
    this.events.push(stored);
    if (this.listeners.size > 0 && this.wanted()) {
      const shaped = shape(stored, true);
      for (const l of this.listeners) l(shaped);
    }
    return id;
  }

  subscribe(listener: HistoryListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  list(includeData = true): HistoryEvent[] {
    return this.events.map((e) => shape(e, includeData));
  }

  /** The raw stored details of an event (for redrive bookkeeping and tests). */
  raw(id: number): { type: HistoryEventType; details: Record<string, unknown> | undefined } | undefined {
    const e = this.events[id - 1];
    return e ? { type: e.type, details: e.details } : undefined;
  }
}

function shape(e: StoredEvent, includeData: boolean): HistoryEvent {
  const out: HistoryEvent = {
    timestamp: new Date(e.timestamp),
    type: e.type,
    id: e.id,
    previousEventId: e.previousEventId,
  };
  if (e.detailsKey && e.details) {
    const details: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(e.details)) {
      if (v === undefined) continue;
      if (PAYLOAD_FIELDS.has(k)) {
        if (!includeData) continue;
        details[k] = typeof v === "string" && k === "parameters" ? v : (JSON.stringify(v as Json) ?? "null");
        details[`${k}Details`] = { truncated: false };
      } else details[k] = v;
    }
    out[e.detailsKey] = details;
  }
  return out;
}
