/** Offboarding: remove the tenant's access entry, operator role, Pod Identity association and namespace. */
import { defineStep } from "../shared/handler.ts";
import { kubernetesClient } from "../shared/kubernetes.ts";
import { TenantRef } from "./lib/inputs.ts";
import { clusterSettings, removeTenantNamespace } from "./lib/namespace.ts";

export const RemoveNamespaceInput = TenantRef;

export interface RemoveNamespaceResult {
  readonly removed: readonly string[];
}

export const handler = defineStep(RemoveNamespaceInput, async (input): Promise<RemoveNamespaceResult> => {
  const settings = clusterSettings();
  const kubernetes = await kubernetesClient(settings.clusterName);
  return { removed: await removeTenantNamespace(settings, kubernetes, input) };
});
