/**
 * Errors the canary steps throw on purpose. Their names are the contract with the state machine's
 * Retry and Catch (workflows/canary-promotion.ts): renaming one is a breaking change.
 */
import { ControlPlaneError, InvalidInputError, TransientError } from "../../shared/errors.ts";

/** The service is not in the canary configuration (functions/canary/lib/services.ts). */
export class UnknownServiceError extends InvalidInputError {}
/** The region asked for is not one the service's configuration deploys to. */
export class UnsupportedCanaryRegionError extends InvalidInputError {}
/** The image is not of the service's image repository (a typo would deploy something else). */
export class ImageRepositoryMismatchError extends InvalidInputError {}
/** The service's stable Deployment, VirtualService or DestinationRule is missing or not shaped as a canary needs. */
export class StableNotFoundError extends ControlPlaneError {}
/** A canary Deployment of the service exists and was made by another execution: never touched. */
export class CanaryOwnedByAnotherExecutionError extends ControlPlaneError {}
/** The metrics a gate needs are missing or the gate is misconfigured: the analysis fails closed. */
export class CanaryAnalysisMisconfiguredError extends ControlPlaneError {}
/** A failover or DR drill holds the fleet lock: no traffic change now; the state machine waits and retries. */
export class FleetLockedError extends TransientError {}
/** No canary of the service is running to take a command (abort, promote, pause, resume). */
export class NoRunningCanaryError extends ControlPlaneError {}
