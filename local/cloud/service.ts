/** The shape every emulated service module has, so that the dispatcher, `describe` and persistence treat them alike. */
import type { SavedState } from "./changes.ts";
import type { Json } from "./context.ts";

/** An operation handler takes the SDK command input (typed by the handler itself) and the caller's region. */
// biome-ignore lint/suspicious/noConfusingVoidType: handlers may return nothing (AWS answers with metadata only).
export type Operation = (input: never, region: string) => unknown | void | Promise<unknown>;

export interface EmulatedService {
  /** As the client names itself without `Client`: `RDS`, `RDSData`, `Route53`. */
  readonly name: string;
  /** Global services (Route 53) are not taken down with a region. */
  readonly global?: boolean;
  readonly operations: Record<string, Operation>;
  /**
   * Operations that change no service's state (each proven by test/local/cloud/pure-reads.test.ts): a
   * call to one leaves every change token as it is, so the next checkpoint does not serialize the
   * services it reaches again. A read not listed counts as a possible change.
   */
  readonly pureReads?: ReadonlySet<string>;
  /**
   * Operations that change fewer services than the service's whole reach (cloud.ts REACHES), by the
   * services each one may change (each proven by test/local/cloud/pure-reads.test.ts): an RDS snapshot
   * copy cannot touch Secrets Manager, so the checkpoint after a DR copy round does not serialize it.
   */
  readonly reaches?: Readonly<Record<string, readonly string[]>>;
  /** Resources by region (or `global`) and kind, for `cplane cloud describe`. */
  describe(): Record<string, Record<string, unknown[]>>;
  /**
   * Serializable state; large data (databases) goes into files under `dir`. The state must be taken
   * before the first await: the cloud calls every service's `save` in one tick, so that what it
   * writes is one moment of the whole cloud. Best as text serialized once at that moment
   * (`toJsonText`, or `SavedText` to reuse the last text while the service's change token stands).
   */
  save?(dir: string): Promise<SavedState> | SavedState;
  /** Called once the state `save` returned is written: files only older states referred to may go. */
  afterCommit?(dir: string): Promise<void>;
  load?(state: Json, dir: string): Promise<void> | void;
  close?(): Promise<void> | void;
}

/** Reads a JSON-cloned state back, restoring Dates tagged as `{ $date }` by `toJsonText`. */
export function fromJson<T>(value: Json): T {
  return JSON.parse(JSON.stringify(value), (_key, v: unknown) =>
    v && typeof v === "object" && "$date" in v && typeof v.$date === "string" ? new Date(v.$date) : v,
  ) as T;
}

export type Description = Record<string, Record<string, unknown[]>>;

/** Adds one resource to a `describe()` result under region and kind. */
export function addTo(out: Description, region: string, kind: string, item: unknown): void {
  const byKind = out[region] ?? {};
  out[region] = byKind;
  const list = byKind[kind] ?? [];
  byKind[kind] = list;
  list.push(item);
}
