/**
 * Errors the failover and DR steps throw on purpose. Their names are the contract with the state
 * machines' Retry and Catch (workflows/regional-failover.ts): renaming one is a breaking change.
 */
import { ControlPlaneError, TransientError } from "../../shared/errors.ts";

/** A region this step must reach did not answer as an outage looks (time-outs, dropped connections). */
export class RegionUnreachableError extends ControlPlaneError {}
/** A resource is changing state (a cluster still creating, a global database mid-switch); retried. */
export class DrResourceBusyError extends TransientError {}
/** A switchover or drill was asked for while the secondary lags beyond what the tier allows. */
export class ReplicationLagTooHighError extends ControlPlaneError {}
/** A drill was asked for while DR readiness is red: it would prove nothing and might harm production. */
export class DrReadinessRedError extends ControlPlaneError {}
/** Traffic in the new region did not become healthy within the verification window. */
export class TrafficNotHealthyError extends ControlPlaneError {}
/** The platform's own resources (global database, zone, clusters) are not where the configuration says. */
export class PlatformNotFoundError extends ControlPlaneError {}
/** A tenant has no copy in the target region to restore from. */
export class NoRecoveryPointError extends ControlPlaneError {}
/** A tenant's database secret is not where its DR space would replicate it from. */
export class DrSecretMissingError extends ControlPlaneError {}
/** The Deployments in the region a failover goes to did not become ready by the deadline. */
export class WorkloadsNotReadyError extends ControlPlaneError {}
/** A drill stopped: a global database did not switch over (detected by the state machine). */
export class DatabaseNotMovedError extends ControlPlaneError {}
/** A drill stopped: the node group in the region it visits did not scale (detected by the state machine). */
export class ComputeNotScaledError extends ControlPlaneError {}
/** A drill's way back left something in the region it visited (detected by the state machine). */
export class FailBackIncompleteError extends ControlPlaneError {}
/** Offboarding found the tenant's writer somewhere else than the registry says (a move not recorded yet). */
export class WriterElsewhereError extends ControlPlaneError {}
