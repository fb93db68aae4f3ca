/** What a workflow module exports, and the checks every workflow catalog entry passes. */
import type { z } from "zod";
import type { StateMachineDefinition } from "./asl.ts";

export interface WorkflowSpec<Input = unknown> {
  /** Kebab-case name; the state machine is `<app>-<stage>-<name>` on AWS and `<name>` locally. */
  readonly name: string;
  readonly description: string;
  readonly definition: StateMachineDefinition;
  /** Validates the execution input before anything starts (CLI, server, stacks' docs). */
  readonly input: z.ZodType<Input>;
}

export class InvalidWorkflowCatalogError extends Error {
  override name = "InvalidWorkflowCatalogError";
}

const NAME = /^[a-z][a-z0-9-]{0,63}$/;

export function defineWorkflowCatalog(specs: readonly WorkflowSpec[]): ReadonlyMap<string, WorkflowSpec> {
  const catalog = new Map<string, WorkflowSpec>();
  for (const spec of specs) {
    if (!NAME.test(spec.name))
      throw new InvalidWorkflowCatalogError(`workflow name "${spec.name}" must be kebab-case`);
    if (catalog.has(spec.name))
      throw new InvalidWorkflowCatalogError(`workflow "${spec.name}" is listed twice`);
    if (spec.definition.QueryLanguage !== "JSONata") {
      throw new InvalidWorkflowCatalogError(`workflow "${spec.name}" must set QueryLanguage: "JSONata"`);
    }
    if (!(spec.definition.TimeoutSeconds && spec.definition.TimeoutSeconds > 0)) {
      throw new InvalidWorkflowCatalogError(
        `workflow "${spec.name}" needs a TimeoutSeconds on the whole execution`,
      );
    }
    catalog.set(spec.name, spec);
  }
  return catalog;
}
