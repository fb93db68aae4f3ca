/**
 * Every module that defines errors a handler throws on purpose, and what the state machines derive from
 * them: a step retries exactly the errors whose class says `retryable` (plus the AWS throttling names a
 * handler lets through), so nobody keeps that list by hand. A test imports every module under
 * functions/ and events/ and fails when an error class lives in a module that is not listed here.
 * The modules listed load no AWS client (and so no Powertools): workflows/ imports this, and the CLI
 * imports workflows/ before `cplane start` gives the handlers their environment.
 */
import * as backupErrors from "./backup/lib/errors.ts";
import * as canaryErrors from "./canary/lib/errors.ts";
import * as failoverErrors from "./failover/lib/errors.ts";
import * as ingressSecretErrors from "./ingress/lib/secret.ts";
import * as opsErrors from "./ops/lib/errors.ts";
import * as reportErrors from "./reports/lib/errors.ts";
import * as sharedErrors from "./shared/errors.ts";
import { ControlPlaneError, THROTTLING_ERROR_NAMES } from "./shared/errors.ts";
import * as tenantErrors from "./tenant/lib/errors.ts";

/** A class of errors a handler throws: its name is what Retry and Catch match. */
export type ErrorClass = abstract new (...args: never[]) => ControlPlaneError;

const ERROR_MODULES: readonly Readonly<Record<string, unknown>>[] = [
  sharedErrors,
  tenantErrors,
  opsErrors,
  reportErrors,
  ingressSecretErrors,
  backupErrors,
  failoverErrors,
  canaryErrors,
];

/** True for a class deriving from ControlPlaneError (the base itself included). */
export function isErrorClass(value: unknown): value is ErrorClass {
  return (
    typeof value === "function" &&
    (value === ControlPlaneError || value.prototype instanceof ControlPlaneError)
  );
}

/**
 * Whether instances of the class are retryable. `retryable` is an instance field, so the class is
 * instantiated once with a probe message (every error class takes a message first).
 */
export function isRetryable(errorClass: ErrorClass): boolean {
  const probe = new (errorClass as unknown as new (message: string) => ControlPlaneError)("probe");
  return probe.retryable;
}

/** The error classes of the given modules (every exported ControlPlaneError subclass). */
export function errorClassesOf(modules: readonly Readonly<Record<string, unknown>>[]): ErrorClass[] {
  const classes = new Set<ErrorClass>();
  for (const module of modules)
    for (const value of Object.values(module)) if (isErrorClass(value)) classes.add(value);
  return [...classes];
}

/** Every named error class the handlers throw. */
export const errorClasses: readonly ErrorClass[] = errorClassesOf(ERROR_MODULES);

/** The error names a step retries: every retryable class, then the AWS throttling names. */
export const RETRYABLE_ERRORS: readonly string[] = [
  ...new Set([
    ...errorClasses.filter(isRetryable).map((errorClass) => errorClass.name),
    ...THROTTLING_ERROR_NAMES,
  ]),
];
