/**
 * What went wrong, as a history event records it, for a person reading `--follow` or `history`: the error
 * and a readable cause. A Lambda Task's cause is the function's error as JSON (`errorMessage`,
 * `errorType`, `trace`: what Step Functions puts there); its message is what matters, not the trace.
 */
import type { HistoryEvent } from "@aws-sdk/client-sfn";

export interface Failure {
  readonly error: string;
  readonly cause?: string;
}

/** The error and cause of a failed, timed-out or aborted event (any `*EventDetails` with an error). */
export function failureOf(event: HistoryEvent): Failure | undefined {
  for (const [key, value] of Object.entries(event)) {
    if (!key.endsWith("EventDetails") || typeof value !== "object" || value === null) continue;
    const { error, cause } = value as { error?: unknown; cause?: unknown };
    if (typeof error === "string" && error !== "") {
      return typeof cause === "string" && cause !== "" ? { error, cause: readableCause(cause) } : { error };
    }
  }
  return undefined;
}

/** A Lambda error envelope's `errorMessage`; any other cause as it is. */
export function readableCause(cause: string): string {
  if (!cause.startsWith("{")) return cause;
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    return typeof parsed.errorMessage === "string" ? parsed.errorMessage : cause;
  } catch {
    return cause;
  }
}

/** `error: cause`, cut to `max` characters. */
export function describeFailure(failure: Failure, max: number): string {
  const text = failure.cause ? `${failure.error}: ${failure.cause}` : failure.error;
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
