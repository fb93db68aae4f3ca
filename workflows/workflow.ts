/** What a workflow module exports, and the checks every workflow catalog entry passes. */
import type { z } from "zod";
import { type WorkflowInputs, type WorkflowName, workflowInputs } from "../events/workflows.ts";
import type { StateMachineDefinition } from "./asl.ts";

/**
 * A workflow module's export, typed by its name: `WorkflowSpec<"tenant-onboarding">` must take that
 * name and the input contract events/workflows.ts declares for it, the one its rules and schedules
 * are held to.
 */
export interface WorkflowSpec<Name extends WorkflowName = WorkflowName> {
  /** Kebab-case name; the state machine is `<app>-<stage>-<name>` on AWS and `<name>` locally. */
  readonly name: Name;
  readonly description: string;
  readonly definition: StateMachineDefinition;
  /** Validates the execution input before anything starts (CLI, server, stacks' docs). */
  readonly input: WorkflowInputs[Name];
  /**
   * An input to start from (the console's start form), where one built from the input's schema would
   * not pass the contract's patterns; the catalog checks that the contract accepts it.
   */
  readonly sample?: z.input<WorkflowInputs[Name]>;
}

/** The built workflows by name; `get` takes any string (a name typed by a person). */
export interface WorkflowCatalog extends ReadonlyMap<WorkflowName, WorkflowSpec> {
  get(name: string): WorkflowSpec | undefined;
  has(name: string): boolean;
}

/** What the catalog checks; its entries' names and inputs are only trusted once checked. */
interface CatalogEntry {
  readonly name: string;
  readonly description: string;
  readonly definition: StateMachineDefinition;
  readonly input: z.ZodType;
  readonly sample?: unknown;
}

export class InvalidWorkflowCatalogError extends Error {
  override name = "InvalidWorkflowCatalogError";
}

const NAME = /^[a-z][a-z0-9-]{0,63}$/;

const isWorkflowName = (name: string): name is WorkflowName => Object.hasOwn(workflowInputs, name);

export function defineWorkflowCatalog(specs: readonly CatalogEntry[]): WorkflowCatalog {
  const catalog = new Map<string, CatalogEntry>();
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
    if (spec.sample !== undefined && !spec.input.safeParse(spec.sample).success) {
      throw new InvalidWorkflowCatalogError(`workflow "${spec.name}": its sample input fails its contract`);
    }
    catalog.set(spec.name, spec);
  }
  for (const spec of catalog.values()) {
    if (!isWorkflowName(spec.name)) {
      throw new InvalidWorkflowCatalogError(
        `workflow "${spec.name}" is not declared in events/workflows.ts (with its input contract)`,
      );
    }
    if (spec.input !== workflowInputs[spec.name]) {
      throw new InvalidWorkflowCatalogError(
        `workflow "${spec.name}" must take its input contract from events/workflows.ts`,
      );
    }
  }
  return catalog as unknown as WorkflowCatalog;
}
