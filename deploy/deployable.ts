/** Which rules and schedules a runtime can load: those whose workflow is built (in its catalog). */
export function deployable<T extends { readonly workflow: string }>(
  entries: readonly T[],
  workflows: ReadonlySet<string>,
): { ready: T[]; waiting: T[] } {
  return {
    ready: entries.filter((entry) => workflows.has(entry.workflow)),
    waiting: entries.filter((entry) => !workflows.has(entry.workflow)),
  };
}
