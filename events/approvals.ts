/**
 * Human decisions the workflows wait for (the operations kit's approval gate). The request never
 * carries the task token: the approval id names it, and `cplane tasks approve|reject <id>` answers.
 */
import { z } from "zod";
import { defineEvent } from "./define.ts";
import { SOURCES } from "./sources.ts";

export const ApprovalRequested = defineEvent({
  source: SOURCES.operations,
  detailType: "Approval Requested",
  description:
    "A workflow waits for a person to approve or reject a step; answer with `cplane tasks approve|reject <approvalId>` before it expires.",
  detail: z.object({
    approvalId: z.string().min(1),
    /** The gate in the workflow (`PromoteToProduction`), and what is asked. */
    gate: z.string().min(1),
    question: z.string().min(1),
    /** What the decision rests on: metrics, readiness, the change (never secrets). */
    evidence: z.record(z.string(), z.unknown()).optional(),
    executionArn: z.string().min(1),
    expiresAt: z.iso.datetime({ offset: true }),
    /** True for the second request a gate makes when the first timed out unanswered. */
    escalated: z.boolean(),
  }),
});

export const ApprovalDecided = defineEvent({
  source: SOURCES.operations,
  detailType: "Approval Decided",
  description: "Someone approved or rejected a waiting step; who, when and why are recorded with it.",
  detail: z.object({
    approvalId: z.string().min(1),
    gate: z.string().min(1),
    executionArn: z.string().min(1),
    approved: z.boolean(),
    decidedBy: z.string().min(1),
    decidedAt: z.iso.datetime({ offset: true }),
    reason: z.string().min(1),
  }),
});

export const approvalEvents = [ApprovalRequested, ApprovalDecided] as const;
