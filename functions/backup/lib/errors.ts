/**
 * Errors the backup steps throw on purpose. Their names are the contract with the state machines'
 * Retry and Catch (workflows/backup-verification.ts): renaming one is a breaking change.
 */
import { ControlPlaneError, InvalidInputError, TransientError } from "../../shared/errors.ts";

/** A manual run named a tenant the registry does not have, or one that is not active. */
export class UnknownTenantError extends InvalidInputError {}
/** A manual run asked for a point in time in the future, or before the tenant's cluster existed. */
export class InvalidPointInTimeError extends InvalidInputError {}
/** A scratch resource with this execution's name exists but is not ours (not tagged scratch by it). */
export class ScratchNotOursError extends ControlPlaneError {}
/** RDS refused the restore for a quota (clusters, instances, storage); retried, then the tenant fails. */
export class RestoreQuotaExceededError extends TransientError {}
/** The scratch cluster cannot be deleted yet (still being created or modified); retried. */
export class ScratchBusyError extends TransientError {}
/** The scratch cluster does not accept Data API calls yet; retried. */
export class ScratchNotReadyError extends TransientError {}
/** The tenant's own cluster is gone, or has no snapshot to restore. */
export class SourceClusterNotFoundError extends ControlPlaneError {}
