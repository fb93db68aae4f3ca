/**
 * Step 5 of onboarding: the tenant's namespace on the EKS cluster (server-side apply, so a repeat
 * converges), its Pod Identity association, the operators' IAM role and their access entry scoped to it.
 */
import { z } from "zod";
import { defineStep } from "../shared/handler.ts";
import { kubernetesClient } from "../shared/kubernetes.ts";
import { now, TenantWithTier } from "./lib/inputs.ts";
import {
  ANNOTATION_CREATED_BY,
  assertNamespaceOwned,
  clusterSettings,
  ensureAccessEntry,
  ensurePodIdentity,
  namespacedManifests,
  namespaceManifest,
} from "./lib/namespace.ts";
import { ensureOperatorRole } from "./lib/operator-role.ts";
import { recordStep } from "./lib/registry.ts";

export const CreateNamespaceInput = TenantWithTier.extend({ secretArn: z.string().optional() });

export interface CreateNamespaceResult {
  readonly namespace: string;
  readonly hostname: string;
  /** True when this execution created the namespace (compensation removes it and what hangs off it). */
  readonly created: boolean;
  readonly podIdentityAssociationId: string;
  readonly operatorPrincipalArn: string;
}

export const handler = defineStep(CreateNamespaceInput, async (input): Promise<CreateNamespaceResult> => {
  const settings = clusterSettings();
  const kubernetes = await kubernetesClient(settings.clusterName);
  const existing = await kubernetes.read({
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: input.slug },
  });
  assertNamespaceOwned(existing, input.slug);
  const createdBy = existing?.metadata?.annotations?.[ANNOTATION_CREATED_BY] ?? input.executionArn;
  const spec = { slug: input.slug, tenantId: input.tenantId, tier: input.tier, createdBy };

  await kubernetes.apply(namespaceManifest(spec));
  for (const manifest of namespacedManifests(spec, settings)) await kubernetes.apply(manifest);
  const podIdentityAssociationId = await ensurePodIdentity(settings, spec);
  // The access entry may only name an existing role: the role first.
  const operatorRole = await ensureOperatorRole(settings, input);
  await ensureAccessEntry(settings, spec, operatorRole);

  const created = createdBy === input.executionArn;
  await recordStep(input.slug, {
    at: now(),
    step: "create-namespace",
    outcome: created ? "created" : "adopted",
    reason: `namespace ${input.slug} on ${settings.clusterName}`,
    executionArn: input.executionArn,
  });
  return {
    namespace: input.slug,
    hostname: `${input.slug}.${settings.domain}`,
    created,
    podIdentityAssociationId,
    operatorPrincipalArn: operatorRole.arn,
  };
});
