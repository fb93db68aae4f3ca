/**
 * A part of a way back that must not stop the parts after it: the branch runs inside a one-branch
 * Parallel whose catch turns any failure into data. Its outcome, `{subject, ok, error}`, is the
 * state's output and, with `collect`, is appended to that variable, so that what could not be undone
 * is named at the end instead of hiding everything after it.
 */
import type { JsonValue, State } from "../asl.ts";

export interface AttemptSpec {
  /** JSONata (no `{% %}`) of what the part is about, named in the outcome. */
  readonly subject: string;
  readonly branch: { readonly StartAt: string; readonly States: Readonly<Record<string, State>> };
  /** A variable (an array, or null) the outcome is appended to. */
  readonly collect?: string;
  /** The next state, whichever the outcome (a catcher cannot end a branch). */
  readonly next: string;
}

export function attempt(spec: AttemptSpec): State {
  const outcome = (ok: boolean) =>
    `{"subject": ${spec.subject}, "ok": ${ok}, "error": ${ok ? "null" : "$states.errorOutput.Error & ': ' & $substring($string($states.errorOutput.Cause), 0, 500)"}}`;
  const collect = (ok: boolean) =>
    spec.collect ? { Assign: { [spec.collect]: `{% $append($${spec.collect}, [${outcome(ok)}]) %}` } } : {};
  return {
    Type: "Parallel",
    Branches: [spec.branch as unknown as JsonValue],
    Output: `{% ${outcome(true)} %}`,
    ...collect(true),
    Catch: [
      {
        ErrorEquals: ["States.ALL"],
        Output: `{% ${outcome(false)} %}`,
        ...collect(false),
        Next: spec.next,
      } as unknown as JsonValue,
    ],
    Next: spec.next,
  } as State;
}
