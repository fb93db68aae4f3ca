/**
 * `--follow`: shows an execution's progress state by state until it ends. On a TTY the last line is
 * a live status line; otherwise plain lines only, one per history event that matters.
 */
import { DescribeExecutionCommand, GetExecutionHistoryCommand, type HistoryEvent } from "@aws-sdk/client-sfn";
import { describeFailure, failureOf } from "./failure.ts";
import { RuntimeUnreachableError, type Target } from "./target.ts";

/** The runtime went away while `--follow` watched an execution. */
export class RuntimeStoppedError extends Error {
  override name = "RuntimeStoppedError";
}

const SHOWN = /StateEntered$|Failed$|TimedOut$|Aborted$|Succeeded$|RetryScheduled|MapIteration|Redriven/;

export interface FollowResult {
  readonly status: string;
  readonly error?: string;
  readonly cause?: string;
  readonly output?: string;
}

export async function followExecution(
  target: Target,
  executionArn: string,
  pollMs = 250,
): Promise<FollowResult> {
  try {
    return await follow(target, executionArn, pollMs);
  } catch (error) {
    if (!(error instanceof RuntimeUnreachableError)) throw error;
    if (process.stdout.isTTY === true) process.stdout.write("\r\x1b[K");
    throw new RuntimeStoppedError(
      `the local runtime at ${error.endpoint} stopped answering while the execution ran; a stop or crash cuts it off and the next start redrives it (then: cplane executions describe ${executionArn})`,
      { cause: error },
    );
  }
}

async function follow(target: Target, executionArn: string, pollMs: number): Promise<FollowResult> {
  const live = process.stdout.isTTY === true;
  let lastId = 0;
  let startedAt: number | undefined;
  let current = "";
  for (;;) {
    // The status first, then the history: once the status says it ended, the history read after it
    // holds the end (read the other way round, an execution ending between the two reads lost its
    // last lines, the ExecutionFailed with its cause among them).
    const execution = await target.sfn.send(new DescribeExecutionCommand({ executionArn }));
    const events: HistoryEvent[] = [];
    let nextToken: string | undefined;
    do {
      const page = await target.sfn.send(
        new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken }),
      );
      events.push(...(page.events ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    for (const event of events) {
      const id = event.id ?? 0;
      if (id <= lastId) continue;
      lastId = id;
      startedAt ??= event.timestamp?.getTime();
      if (event.stateEnteredEventDetails?.name) current = event.stateEnteredEventDetails.name;
      if (!SHOWN.test(event.type ?? "")) continue;
      if (live) process.stdout.write("\r\x1b[K");
      process.stdout.write(`${describe(event, startedAt, current)}\n`);
    }
    if (execution.status !== "RUNNING" && execution.status !== "PENDING_REDRIVE") {
      if (live) process.stdout.write("\r\x1b[K");
      return {
        status: execution.status ?? "UNKNOWN",
        error: execution.error,
        cause: execution.cause,
        output: execution.output,
      };
    }
    if (live) process.stdout.write(`\r\x1b[K  … ${current || "starting"} (${execution.status})`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

function describe(event: HistoryEvent, startedAt: number | undefined, current: string): string {
  const offset = startedAt === undefined || !event.timestamp ? 0 : event.timestamp.getTime() - startedAt;
  const name =
    event.stateEnteredEventDetails?.name ??
    event.stateExitedEventDetails?.name ??
    event.mapIterationStartedEventDetails?.name ??
    current;
  const failure = failureOf(event);
  const detail = failure ? `  ${describeFailure(failure, 200)}` : "";
  return `${clock(offset)}  ${(event.type ?? "").padEnd(26)} ${name}${detail}`;
}

/** Simulated time since the execution started, `+hh:mm:ss`. */
export function clock(ms: number): string {
  const total = Math.floor(ms / 1000);
  const h = String(Math.floor(total / 3600)).padStart(2, "0");
  const m = String(Math.floor((total % 3600) / 60)).padStart(2, "0");
  const s = String(total % 60).padStart(2, "0");
  return `+${h}:${m}:${s}`;
}
