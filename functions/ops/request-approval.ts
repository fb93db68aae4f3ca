/**
 * The approval gate's task (`lambda:invoke.waitForTaskToken`): stores the request with its token and
 * announces `Approval Requested` (without the token). The execution then waits until someone decides
 * (`cplane tasks approve|reject <id>`) or the gate's timeout passes. A retried or redriven gate whose
 * approval was decided already is answered at once with that decision.
 */
import { z } from "zod";
import { ApprovalRequested } from "../../events/approvals.ts";
import { awsNow } from "../shared/aws-clients.ts";
import { defineStep } from "../shared/handler.ts";
import { publishEvent } from "../shared/publish.ts";
import { approvalId, requestApproval, sendDecision } from "./lib/approvals.ts";

export const RequestApprovalInput = z.object({
  gate: z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,79}$/),
  question: z.string().min(1).max(1000),
  evidence: z.record(z.string(), z.unknown()).optional(),
  timeoutSeconds: z
    .number()
    .int()
    .min(1)
    .max(365 * 24 * 3600),
  escalated: z.boolean().default(false),
  taskToken: z.string().min(1),
  executionArn: z.string().min(1),
});

export interface RequestApprovalResult {
  readonly approvalId: string;
  /** True when the approval had been decided before (a retry or a redrive): answered at once. */
  readonly alreadyDecided: boolean;
}

export const handler = defineStep(RequestApprovalInput, async (input): Promise<RequestApprovalResult> => {
  const now = awsNow();
  const id = approvalId(input.executionArn, input.gate, input.escalated);
  const stored = await requestApproval(
    {
      approvalId: id,
      gate: input.gate,
      question: input.question,
      ...(input.evidence ? { evidence: input.evidence } : {}),
      executionArn: input.executionArn,
      requestedAt: new Date(now).toISOString(),
      expiresAt: new Date(now + input.timeoutSeconds * 1000).toISOString(),
      escalated: input.escalated,
    },
    input.taskToken,
  );
  if (stored.decision) {
    await sendDecision(stored, stored.decision, input.taskToken);
    return { approvalId: id, alreadyDecided: true };
  }
  await publishEvent(ApprovalRequested, {
    approvalId: id,
    gate: stored.gate,
    question: stored.question,
    ...(stored.evidence ? { evidence: { ...stored.evidence } } : {}),
    executionArn: stored.executionArn,
    expiresAt: stored.expiresAt,
    escalated: stored.escalated,
  });
  return { approvalId: id, alreadyDecided: false };
});
