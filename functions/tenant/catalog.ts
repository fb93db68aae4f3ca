import type { FunctionSpec } from "../shared/catalog.ts";

/** Tenant onboarding and offboarding steps. */
export const tenantFunctions: readonly FunctionSpec[] = [];
