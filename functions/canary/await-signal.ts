/**
 * The bake's wait between two analyses (`lambda:invoke.waitForTaskToken`, its timeout the analysis
 * interval): stores the wait's token so that `canary/signal` can hand it a command (abort, promote,
 * pause, resume) at once; a command that came while the execution was busy elsewhere is handed back
 * here and now.
 */
import { z } from "zod";
import { CanaryServiceName } from "../../events/workflows.ts";
import { defineStep } from "../shared/handler.ts";
import { awaitCommand, deliver } from "./lib/signals.ts";

export const AwaitSignalInput = z.object({
  service: CanaryServiceName,
  taskToken: z.string().min(1),
  executionArn: z.string().min(1),
});

export interface AwaitSignalResult {
  readonly pending: string | null;
}

export const handler = defineStep(AwaitSignalInput, async (input): Promise<AwaitSignalResult> => {
  const pending = await awaitCommand(input.service, input.executionArn, input.taskToken);
  if (pending) await deliver(input.taskToken, pending);
  return { pending: pending?.command ?? null };
});
