/**
 * Every Lambda handler of the control plane, by logical id. Both runtimes read this: stacks/ builds
 * the functions and their roles from it, the local runtime loads the same modules in-process.
 * Each group keeps its entries beside its handlers (functions/<group>/catalog.ts).
 */
import { backupFunctions } from "./backup/catalog.ts";
import { canaryFunctions } from "./canary/catalog.ts";
import { failoverFunctions } from "./failover/catalog.ts";
import { ingressFunctions } from "./ingress/catalog.ts";
import { opsFunctions } from "./ops/catalog.ts";
import { reportFunctions } from "./reports/catalog.ts";
import { defineFunctionCatalog } from "./shared/catalog.ts";
import { tenantFunctions } from "./tenant/catalog.ts";

const entries = [
  ...tenantFunctions,
  ...opsFunctions,
  ...ingressFunctions,
  ...reportFunctions,
  ...backupFunctions,
  ...failoverFunctions,
  ...canaryFunctions,
] as const;

export const functionCatalog = defineFunctionCatalog(entries);

/**
 * The id of a function in this catalog: workflow definitions name their Lambda steps with it, so a
 * misspelled id fails the typecheck. A group catalog keeps its ids' literal types by ending its list
 * with `as const satisfies readonly FunctionSpec[]` (a `FunctionSpec[]` annotation would widen them,
 * and test/layering.test.ts would notice).
 */
export type CatalogFunctionId = (typeof entries)[number]["id"];
