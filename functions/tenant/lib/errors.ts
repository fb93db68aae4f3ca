/**
 * Errors the tenant steps throw on purpose. Their names are the contract with the state machines'
 * Retry and Catch (see workflows/tenant-onboarding.ts): renaming one is a breaking change.
 */
import { ControlPlaneError, InvalidInputError, TransientError } from "../../shared/errors.ts";

/** The name cannot be turned into a slug, or the given slug is not a valid one. */
export class InvalidSlugError extends InvalidInputError {}
/** The slug is kept for the platform (`admin`, `kube-*`, ...). */
export class ReservedSlugError extends InvalidInputError {}
/** The requested home region is not one the control plane provisions tenants in. */
export class UnsupportedRegionError extends InvalidInputError {}
/** The slug belongs to a different tenant (another name, or one that was offboarded). */
export class TenantSlugTakenError extends ControlPlaneError {}
export class TenantNotFoundError extends ControlPlaneError {}
/** The tenant exists, and this request asks for something else (another tier, admin or region). */
export class TenantRequestConflictError extends ControlPlaneError {}
/** The tenant's database cluster is gone (deleted outside the workflow, or never created). */
export class DatabaseNotFoundError extends ControlPlaneError {}
/** Offboarding was asked for a tenant whose onboarding is still running. */
export class TenantStillOnboardingError extends ControlPlaneError {}
/** The registry says the tenant is in a state this step cannot start from. */
export class TenantStateConflictError extends ControlPlaneError {}
/** A resource with this tenant's name is tagged or labelled for another tenant; we never touch it. */
export class ResourceOwnedByAnotherTenantError extends ControlPlaneError {}
/** The database cluster is not (yet) in a state the step needs; the state machine retries. */
export class DatabaseNotReadyError extends TransientError {}
/** The final snapshot is not available yet; deletion protection stays on. */
export class SnapshotNotReadyError extends TransientError {}
/** IAM has not yet propagated the operator role this step just created; EKS cannot see it. Retried. */
export class OperatorRoleNotReadyError extends TransientError {}
/** A migration statement failed; the ledger keeps what was applied before it. */
export class MigrationFailedError extends ControlPlaneError {}

/** True when an AWS SDK error carries one of these names. */
export function isAwsError(error: unknown, ...names: string[]): error is Error {
  return error instanceof Error && names.includes(error.name);
}
