import type { FunctionSpec } from "../shared/catalog.ts";

/** Functions that take requests from outside (webhooks) and turn them into events. */
export const ingressFunctions: readonly FunctionSpec[] = [];
