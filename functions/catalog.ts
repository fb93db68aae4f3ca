/**
 * Every Lambda handler of the control plane, by logical id. Both runtimes read this: stacks/ builds
 * the functions and their roles from it, the local runtime loads the same modules in-process.
 * Each group keeps its entries beside its handlers (functions/<group>/catalog.ts).
 */
import { ingressFunctions } from "./ingress/catalog.ts";
import { opsFunctions } from "./ops/catalog.ts";
import { reportFunctions } from "./reports/catalog.ts";
import { defineFunctionCatalog } from "./shared/catalog.ts";
import { tenantFunctions } from "./tenant/catalog.ts";

export const functionCatalog = defineFunctionCatalog([
  ...tenantFunctions,
  ...opsFunctions,
  ...ingressFunctions,
  ...reportFunctions,
]);
