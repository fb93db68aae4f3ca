/**
 * Errors of the run reports. The step's (`IncompleteHistoryError`) is what a state machine's Catch
 * sees; the others are the readers' (the CLI, the local admin API). None is worth a retry.
 */
import { ControlPlaneError } from "../../shared/errors.ts";

export class ReportError extends ControlPlaneError {}
/** The execution's history has no start: not an execution this step can report on. */
export class IncompleteHistoryError extends ReportError {}
export class ReportNotFoundError extends ReportError {}
/** Executions of two workflows share the name asked for: the ARN tells them apart. */
export class AmbiguousReportError extends ReportError {}
/** A report item whose body is not all there, or does not match its hash. */
export class CorruptReportError extends ReportError {}
export class InvalidPagingTokenError extends ReportError {}
