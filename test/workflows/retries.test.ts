/**
 * Which errors a step retries is derived from the handlers' error classes (`retryable`), never kept by
 * hand: every retryable class anywhere under functions/ and events/ must be retried by the workflows'
 * Lambda steps, and nothing that is not retryable may be.
 */
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { errorClasses, isErrorClass, isRetryable, RETRYABLE_ERRORS } from "../../functions/errors.ts";
import { THROTTLING_ERROR_NAMES } from "../../functions/shared/errors.ts";
import type { State } from "../../workflows/asl.ts";
import { workflowCatalog } from "../../workflows/catalog.ts";

const ROOT = join(import.meta.dirname, "../..");

function modulesUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".ts") && !file.endsWith(".d.ts"))
    .map((file) => join(ROOT, dir, file));
}

/** Every Task state of a definition, Parallel branches and Map processors included. */
function tasksOf(states: Readonly<Record<string, State>>): [string, State][] {
  return Object.entries(states).flatMap(([name, state]): [string, State][] => {
    if (state.Type === "Task") return [[name, state]];
    const nested = [
      ...((state.Branches as { States: Record<string, State> }[] | undefined) ?? []),
      ...(state.ItemProcessor ? [state.ItemProcessor as unknown as { States: Record<string, State> }] : []),
    ];
    return nested.flatMap((branch) => tasksOf(branch.States));
  });
}

const retriedBy = (task: State) =>
  ((task.Retry as unknown as { ErrorEquals: string[] }[] | undefined) ?? []).flatMap((r) => r.ErrorEquals);

describe("retries derived from the error classes", () => {
  it("knows every error class a module under functions/ or events/ exports", async () => {
    // Prepare
    const found = new Map<string, string>();
    for (const file of [...modulesUnder("functions"), ...modulesUnder("events")]) {
      const module = (await import(file)) as Record<string, unknown>;
      for (const value of Object.values(module)) {
        if (isErrorClass(value)) found.set(value.name, relative(ROOT, file));
      }
    }

    // Assess: a class missing from functions/errors.ts would not be retried even if it says so.
    const known = new Set(errorClasses.map((errorClass) => errorClass.name));
    const missing = [...found]
      .filter(([name]) => !known.has(name))
      .map(([name, file]) => `${name} (${file})`);
    expect(missing).toEqual([]);
    expect(found.size).toBeGreaterThan(10);
  });

  it("retries every retryable error in every Lambda step of every workflow, and nothing else", () => {
    // Prepare
    const retryable = errorClasses.filter(isRetryable).map((errorClass) => errorClass.name);
    const permanent = errorClasses.filter((errorClass) => !isRetryable(errorClass)).map((c) => c.name);
    expect(retryable).toEqual(expect.arrayContaining(["TransientError", "DatabaseNotReadyError"]));
    expect(permanent).toEqual(expect.arrayContaining(["InvalidSlugError", "TenantSlugTakenError"]));

    for (const workflow of workflowCatalog.values()) {
      for (const [name, task] of tasksOf(workflow.definition.States)) {
        // Assess
        const retried = retriedBy(task);
        for (const error of retryable)
          expect(retried, `${workflow.name}.${name} retries ${error}`).toContain(error);
        for (const error of permanent)
          expect(retried, `${workflow.name}.${name} must not retry ${error}`).not.toContain(error);
      }
    }
  });

  it("derives the list from the classes and the AWS throttling names alone", () => {
    const expected = new Set([
      ...errorClasses.filter(isRetryable).map((errorClass) => errorClass.name),
      ...THROTTLING_ERROR_NAMES,
    ]);
    expect(new Set(RETRYABLE_ERRORS)).toEqual(expected);
  });
});
