/**
 * Who is calling: the function whose handler runs, carried through its async work (AsyncLocalStorage),
 * so that every AWS call it makes in this shared process is made as that function's role. Work outside
 * any handler (the runtime's own bootstrap, the CLI and SDKs through the server) is the local operator's,
 * who is not authorized by local IAM, as the account's administrator would not be limited by a function's role.
 */
import { AsyncLocalStorage } from "node:async_hooks";

export interface Caller {
  /** The catalog id of the function, `tenant/provision-database`; none for a service's role. */
  readonly functionId?: string;
  /**
   * For a role a service assumes (a state machine's, a rule target's, a schedule's): what it acts for,
   * `states:tenant-onboarding`, `events:tenant-requested-onboarding`, `scheduler:dr-readiness`.
   */
  readonly service?: string;
  /** The role's name in local IAM. */
  readonly roleName: string;
}

const storage = new AsyncLocalStorage<Caller>();

/** Runs `work` as `caller`: every AWS call it makes, however deep, is made as the caller's role. */
export function runAs<T>(caller: Caller, work: () => T): T {
  return storage.run(caller, work);
}

export function currentCaller(): Caller | undefined {
  return storage.getStore();
}

/**
 * Runs `work` as the local operator, outside any function's identity: what a person or a test does in
 * answer to an event a handler published (its listeners run in the publisher's async context).
 */
export function asOperator<T>(work: () => T): T {
  return storage.exit(work);
}
