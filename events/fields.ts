/** Field schemas several contracts share, so that a rule is written once. */
import { z } from "zod";

/** An AWS region code such as `eu-west-1` or `us-gov-west-1` (format only: which ones are in use is deployment config). */
export const AwsRegion = z
  .string()
  .regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, "must be an AWS region such as eu-west-1");

export const ExecutionArn = z.string().min(1);

/** An ISO 8601 timestamp with a zone (`2026-03-01T12:00:00Z`), as EventBridge and Scheduler write them. */
export const Timestamp = z.iso.datetime({ offset: true });

/** A Git commit id, abbreviated or full (SHA-1 or SHA-256). */
export const CommitSha = z.string().regex(/^[0-9a-f]{7,64}$/);
