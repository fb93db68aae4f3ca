/**
 * The steps section of a run report, from the execution's history (GetExecutionHistory, without
 * execution data: inputs, outputs and parameters may hold what a report must not).
 *
 * Each event names the event before it in its own thread (`previousEventId`), so one forward pass
 * knows which state each event belongs to and in which Map iteration it ran, even when iterations and
 * branches interleave. A report step called as the execution's last state sees the history up to the
 * first time that state was entered: a retry or a redrive of the report step reads the same steps.
 */
import { GetExecutionHistoryCommand, type HistoryEvent, SFNClient } from "@aws-sdk/client-sfn";
import { lazyAwsClient } from "../../shared/aws-clients.ts";
import { IncompleteHistoryError } from "./errors.ts";
import { clip, type Step } from "./report.ts";

const sfn = lazyAwsClient(SFNClient);

/** Every event of an execution, oldest first, every page (1000 events a page, AWS's maximum). */
export async function readExecutionHistory(
  executionArn: string,
  from: SFNClient = sfn(),
): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await from.send(
      new GetExecutionHistoryCommand({
        executionArn,
        maxResults: 1000,
        includeExecutionData: false,
        ...(nextToken ? { nextToken } : {}),
      }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

export interface RunTimeline {
  readonly startedAt: Date;
  /** The end of the run as far as the report goes: the execution's end, or the report step's entry. */
  readonly finishedAt: Date;
  /** The status the execution ended with, when it had ended before the report step. */
  readonly ended?: "SUCCEEDED" | "FAILED" | "ABORTED" | "TIMED_OUT";
  readonly redrives: number;
  readonly steps: Step[];
}

const ENDS = {
  ExecutionSucceeded: "SUCCEEDED",
  ExecutionFailed: "FAILED",
  ExecutionAborted: "ABORTED",
  ExecutionTimedOut: "TIMED_OUT",
} as const;

type Details = { name?: string; index?: number; error?: string; cause?: string };

/** The details object of an event, whatever its type (`taskFailedEventDetails`, ...). */
function detailsOf(event: HistoryEvent): Details {
  for (const [key, value] of Object.entries(event)) {
    if (key.endsWith("EventDetails") && value && typeof value === "object") return value as Details;
  }
  return {};
}

/** A Lambda error's cause is JSON with a stack trace; the report keeps the message. */
function readableCause(cause: string | undefined): string | undefined {
  if (!cause) return undefined;
  try {
    const parsed: unknown = JSON.parse(cause);
    if (parsed && typeof parsed === "object" && "errorMessage" in parsed) {
      return clip(String((parsed as { errorMessage: unknown }).errorMessage));
    }
  } catch {
    // a States.* error or a Fail state's cause: plain text
  }
  return clip(cause);
}

/**
 * Where a report step's history ends: at the first entry of the state the report step runs in (the
 * last Task state entered while the execution runs). An execution that has ended is read whole.
 */
function cutOff(events: readonly HistoryEvent[]): number {
  const last = events.at(-1);
  if (!last || (last.type ?? "") in ENDS) return events.length;
  const current = [...events].reverse().find((event) => event.type === "TaskStateEntered");
  const name = current?.stateEnteredEventDetails?.name;
  if (name === undefined) return events.length;
  const first = events.findIndex(
    (event) => event.type === "TaskStateEntered" && event.stateEnteredEventDetails?.name === name,
  );
  return first;
}

interface OpenStep {
  step: Step;
  entered: number;
  last: number;
  errors: string[];
  exited: boolean;
}

/** The run's start, end and steps, from its history (oldest first). */
export function buildTimeline(events: readonly HistoryEvent[]): RunTimeline {
  const started = events.find((event) => event.type === "ExecutionStarted");
  if (!started?.timestamp) throw new IncompleteHistoryError("the history has no ExecutionStarted event");
  const cut = cutOff(events);
  const owner = new Map<number, OpenStep>();
  const iteration = new Map<number, string>();
  const steps: OpenStep[] = [];
  let redrives = 0;
  let ended: RunTimeline["ended"];
  let finishedAt = events[cut]?.timestamp ?? events.at(-1)?.timestamp ?? started.timestamp;

  for (const event of events.slice(0, cut)) {
    const type = event.type ?? "";
    const id = event.id ?? 0;
    const prev = event.previousEventId ?? 0;
    const at = event.timestamp?.getTime() ?? 0;
    const details = detailsOf(event);
    const path = iteration.get(prev);
    if (type === "MapIterationStarted") {
      const here = `${details.name ?? "Map"}[${details.index ?? 0}]`;
      iteration.set(id, path ? `${path}/${here}` : here);
    } else if (path !== undefined) iteration.set(id, path);

    if (type === "ExecutionRedriven") {
      redrives++;
      ended = undefined;
    }
    if (type in ENDS) {
      ended = ENDS[type as keyof typeof ENDS];
      finishedAt = event.timestamp ?? finishedAt;
    }

    if (type.endsWith("StateEntered")) {
      const open: OpenStep = {
        step: {
          name: event.stateEnteredEventDetails?.name ?? "?",
          type: type.slice(0, -"StateEntered".length),
          enteredAt: new Date(at).toISOString(),
          status: type === "FailStateEntered" ? "failed" : "running",
          ...(path !== undefined ? { iteration: path } : {}),
        },
        entered: at,
        last: at,
        errors: [],
        exited: false,
      };
      steps.push(open);
      owner.set(id, open);
      continue;
    }
    const open = owner.get(prev);
    // After its exit nothing more belongs to a state (what follows is the next state, or the end).
    if (!open || open.exited) continue;
    owner.set(id, open);
    open.last = at;
    if (type === "TaskScheduled" || type === "LambdaFunctionScheduled") {
      open.step.attempts = (open.step.attempts ?? 0) + 1;
    }
    if (type in ENDS) {
      if (type === "ExecutionAborted") open.step.status = "aborted";
      if (type === "ExecutionTimedOut") open.step.status = "timed-out";
      // The execution's own end repeats the error of the step that ended it (or names a Fail state's).
      if (details.error !== undefined && open.step.error === undefined) {
        open.step.error = details.error;
        const cause = readableCause(details.cause);
        if (cause) open.step.cause = cause;
      }
      continue;
    }
    if (details.error !== undefined) {
      open.errors.push(details.error);
      open.step.error = details.error;
      const cause = readableCause(details.cause);
      if (cause) open.step.cause = cause;
      else delete open.step.cause;
    }
    if (type.endsWith("TimedOut")) open.step.status = "timed-out";
    if (type.endsWith("StateAborted")) {
      open.exited = true;
      open.step.status = "aborted";
    }
    if (type.endsWith("StateExited")) {
      open.exited = true;
      open.step.status = "succeeded";
      // Errors before a successful exit were retried; the step itself did not fail.
      delete open.step.error;
      delete open.step.cause;
    }
  }

  for (const open of steps) finish(open, ended);
  return {
    startedAt: started.timestamp,
    finishedAt,
    ...(ended ? { ended } : {}),
    redrives,
    steps: steps.map((open) => open.step),
  };
}

/** Settles a step's status and times once the whole history is read. */
function finish(open: OpenStep, ended: RunTimeline["ended"]): void {
  const step = open.step;
  if (!open.exited && step.status === "running") {
    // An error with no exit after it: the step failed (caught, or it failed the execution).
    if (step.error !== undefined) step.status = "failed";
    else if (ended === "ABORTED") step.status = "aborted";
    else if (ended === "TIMED_OUT") step.status = "timed-out";
    else if (ended !== undefined) step.status = "failed";
  }
  if (step.status !== "running") {
    step.exitedAt = new Date(open.last).toISOString();
    step.durationSeconds = (open.last - open.entered) / 1000;
  }
  const retried = open.exited ? open.errors : open.errors.slice(0, -1);
  if (retried.length > 0) step.retried = [...new Set(retried)];
}
