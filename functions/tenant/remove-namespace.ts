/**
 * Offboarding: remove the tenant's access entry, operator role, Pod Identity association and namespace
 * on the home tenant cluster. A home region that does not answer (a tenant offboarded after a failover
 * moved it away) is recorded as a leftover, removed by the DR readiness run once it answers.
 */
import type { Leftover } from "../../events/tenants.ts";
import { isUnreachable } from "../failover/lib/region-clearing.ts";
import { awsRegion } from "../shared/env.ts";
import { defineStep } from "../shared/handler.ts";
import { kubernetesClient } from "../shared/kubernetes.ts";
import { TenantRef } from "./lib/inputs.ts";
import { clusterSettings, removeTenantNamespace } from "./lib/namespace.ts";

export const RemoveNamespaceInput = TenantRef;

export interface RemoveNamespaceResult {
  readonly removed: readonly string[];
  readonly leftovers: readonly Leftover[];
}

export const handler = defineStep(RemoveNamespaceInput, async (input): Promise<RemoveNamespaceResult> => {
  const settings = clusterSettings();
  try {
    const kubernetes = await kubernetesClient(settings.clusterName);
    return { removed: await removeTenantNamespace(settings, kubernetes, input), leftovers: [] };
  } catch (error) {
    if (!isUnreachable(error)) throw error;
    const region = awsRegion();
    return {
      removed: [],
      leftovers: [
        {
          region,
          resource: `namespace ${input.slug} on ${settings.clusterName}, its Pod Identity association, the operators' access entry and role`,
          reason: `${region} did not answer`,
        },
      ],
    };
  }
});
