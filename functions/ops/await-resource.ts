/**
 * The wait of the operations kit's `pollUntil` with `wake` (`lambda:invoke.waitForTaskToken`): registers
 * the execution as waiting for the resource, then looks once, so that a resource that settled before
 * the waiter existed (its event already gone by) resumes the execution at once. Otherwise the
 * resource's AWS event does (`ops/resume-waiters`), or the task's timeout, the backstop poll.
 */
import { z } from "zod";
import { awsNow } from "../shared/aws-clients.ts";
import { defineStep } from "../shared/handler.ts";
import { describeResource, putWaiter, resume } from "./lib/waiters.ts";

export const AwaitResourceInput = z.object({
  resourceArn: z.string().regex(/^arn:aws[a-z-]*:rds:[a-z0-9-]+:\d{12}:(cluster|cluster-snapshot):.+$/),
  kind: z.enum(["rds-cluster", "rds-cluster-snapshot"]),
  taskToken: z.string().min(1),
  executionArn: z.string().min(1),
});

export interface AwaitResourceResult {
  /** True when the resource had settled already and the execution was resumed from here. */
  readonly resumedAtOnce: boolean;
  readonly status: string;
}

/** Waiters outlive any wait of ours (the longest deadline is two hours). */
const WAITER_TTL_SECONDS = 24 * 3600;

export const handler = defineStep(AwaitResourceInput, async (input): Promise<AwaitResourceResult> => {
  const waiter = {
    resourceArn: input.resourceArn,
    kind: input.kind,
    executionArn: input.executionArn,
    taskToken: input.taskToken,
  };
  await putWaiter(waiter, Math.floor(awsNow() / 1000) + WAITER_TTL_SECONDS);
  const state = await describeResource(input.kind, input.resourceArn);
  if (state.settled) await resume(waiter, state);
  return { resumedAtOnce: state.settled, status: state.status };
});
