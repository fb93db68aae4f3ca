/** Turning a Step Functions error (`Error`, `Cause`) into a step, a name and a readable reason. */
import { z } from "zod";

export const Failure = z.object({
  step: z.string().min(1),
  error: z.string().min(1),
  cause: z.string().default(""),
});
export type Failure = z.infer<typeof Failure>;

/** A Lambda error's Cause is JSON (`errorType`, `errorMessage`, `trace`); keep the message, drop the trace. */
export function reasonOf(failure: Failure): string {
  try {
    const parsed: unknown = JSON.parse(failure.cause);
    if (parsed && typeof parsed === "object" && "errorMessage" in parsed) {
      return String((parsed as { errorMessage: unknown }).errorMessage).slice(0, 1000);
    }
  } catch {
    // not JSON: a States.* error or a Fail state's cause
  }
  return (failure.cause || failure.error).slice(0, 1000);
}
