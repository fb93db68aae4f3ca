/**
 * Errors the operations steps (locks, approvals, waits) throw on purpose. Their names are the contract
 * with the state machines' Retry and Catch: renaming one is a breaking change.
 */
import { ControlPlaneError, TransientError } from "../../shared/errors.ts";

/** Another writer changed the lease between our read and our write, more often than we retry in place. */
export class LockContentionError extends TransientError {}
/** No approval with this id exists (never requested, or a typo). */
export class ApprovalNotFoundError extends ControlPlaneError {}
/** The approval was decided already; a decision is never changed. */
export class ApprovalAlreadyDecidedError extends ControlPlaneError {}
/** The approval's time ran out: the workflow has moved on by its gate's timeout rule. */
export class ApprovalExpiredError extends ControlPlaneError {}
