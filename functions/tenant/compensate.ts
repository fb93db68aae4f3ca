/**
 * Compensation after a failed onboarding: removes, in reverse order of creation, what this execution
 * created — DR (global secondary, DR snapshots, the namespace and secret replica in the paired region),
 * namespace (with its access entry, operator role and Pod Identity association), application secret, database
 * instances and cluster — and never anything it adopted. "Created by this execution" is read from the
 * marks each step leaves on what it creates (tag `cplane:execution`, annotation `cplane.io/created-by`),
 * so a step that failed halfway is cleaned up too. Safe to run twice: what is gone is skipped.
 */
import { DeleteSecretCommand, DescribeSecretCommand } from "@aws-sdk/client-secrets-manager";
import { z } from "zod";
import { regionPair } from "../failover/lib/aws.ts";
import { removeDr } from "../failover/lib/dr-setup.ts";
import { removeDrSpace } from "../failover/lib/dr-space.ts";
import { TransientError } from "../shared/errors.ts";
import { defineStep } from "../shared/handler.ts";
import { kubernetesClient } from "../shared/kubernetes.ts";
import { secrets } from "./lib/app-user.ts";
import { clusterInstances, findCluster, TAG_EXECUTION, TAG_TENANT, tagValue } from "./lib/database.ts";
import { deleteCluster, deleteInstances } from "./lib/deletion.ts";
import { isAwsError } from "./lib/errors.ts";
import {
  ANNOTATION_CREATED_BY,
  clusterSettings,
  removeOperatorAccess,
  removeTenantNamespace,
} from "./lib/namespace.ts";
import { tenantNames } from "./lib/slug.ts";

export const CompensateInput = z.object({
  slug: z.string().min(1),
  tenantId: z.string().min(1),
  executionArn: z.string().min(1),
});

export interface CompensateResult {
  /** What was removed, in the order it was removed. */
  readonly removed: readonly string[];
}

export const handler = defineStep(CompensateInput, async (input): Promise<CompensateResult> => {
  const ours = (mark: string | undefined) => mark === input.executionArn;
  const names = tenantNames(input.slug);
  const removed: string[] = [];

  // DR first: a cluster in a global database cannot be deleted, and the secondary goes before it; a
  // replicated secret cannot be deleted either, so its replica goes with the DR space.
  const regions = regionPair();
  const dr = await removeDr(input, regions, { createdBy: input.executionArn });
  removed.push(...dr.removed);
  if (dr.pending)
    throw new TransientError(`the DR of ${input.slug} is still being removed (${dr.removed.join(", ")})`);
  const settings = clusterSettings();
  const drKubernetes = await kubernetesClient(settings.clusterName, regions.dr);
  removed.push(
    ...(await removeDrSpace(drKubernetes, settings.clusterName, input, regions, input.executionArn)),
  );

  const kubernetes = await kubernetesClient(settings.clusterName);
  const namespace = await kubernetes.read({
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: input.slug },
  });
  if (ours(namespace?.metadata?.annotations?.[ANNOTATION_CREATED_BY])) {
    removed.push(...(await removeTenantNamespace(settings, kubernetes, input, input.executionArn)));
  } else {
    // An adopted namespace whose operator role this execution made (it was missing): only that goes.
    removed.push(...(await removeOperatorAccess(settings, input, input.executionArn)));
  }

  const secret = await secrets
    .send(new DescribeSecretCommand({ SecretId: names.secretName }))
    .catch((error) => {
      if (isAwsError(error, "ResourceNotFoundException")) return undefined;
      throw error;
    });
  if (
    secret &&
    tagValue(secret.Tags, TAG_TENANT) === input.slug &&
    ours(tagValue(secret.Tags, TAG_EXECUTION))
  ) {
    await secrets.send(
      new DeleteSecretCommand({ SecretId: names.secretName, ForceDeleteWithoutRecovery: true }),
    );
    removed.push(`secret:${names.secretName}`);
  }

  const cluster = await findCluster(names.clusterIdentifier);
  if (cluster && ours(tagValue(cluster.TagList, TAG_EXECUTION))) {
    removed.push(...(await deleteCluster(names.clusterIdentifier, input)));
  } else if (cluster) {
    const mine = (await clusterInstances(names.clusterIdentifier))
      .filter(
        (instance) =>
          ours(tagValue(instance.TagList, TAG_EXECUTION)) && instance.DBInstanceStatus !== "deleting",
      )
      .map((instance) => instance.DBInstanceIdentifier ?? "");
    removed.push(...(await deleteInstances(mine.filter((id) => id !== ""))));
  }
  return { removed };
});
