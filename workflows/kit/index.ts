/**
 * The operations kit: the building blocks every workflow is written with (steps with the standard
 * Retry/Catch, waiting for AWS, the failure path, approval gates, locks, the run report), so that a
 * workflow module holds only its own logic. See the README's "Writing a workflow".
 */

export * from "./approval.ts";
export * from "./attempt.ts";
export * from "./failure.ts";
export * from "./locks.ts";
export * from "./poll.ts";
export * from "./report.ts";
export * from "./steps.ts";
