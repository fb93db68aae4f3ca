/**
 * What a tenant needs to run in the paired region, made before it is needed: its namespace on the
 * tenant cluster there (the same quota, limits, network policy, RBAC, service account and ingress as at
 * home: lib/namespace.ts), the Pod Identity association its pods assume the app role through, the
 * operators' access entry (without it the namespace's RoleBinding reaches no one there), and its
 * database secret replicated there by Secrets Manager (the value never passes through this code).
 * Ensuring adopts what exists and says what it created; removal can be limited to what one execution
 * created (compensation).
 */
import {
  CreatePodIdentityAssociationCommand,
  DeletePodIdentityAssociationCommand,
  ListPodIdentityAssociationsCommand,
} from "@aws-sdk/client-eks";
import {
  DescribeSecretCommand,
  type DescribeSecretCommandOutput,
  RemoveRegionsFromReplicationCommand,
  ReplicateSecretToRegionsCommand,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { createAwsClient } from "../../shared/aws-clients.ts";
import type { KubernetesClient } from "../../shared/kubernetes.ts";
import { TAG_EXECUTION, tagValue } from "../../tenant/lib/database.ts";
import { isAwsError } from "../../tenant/lib/errors.ts";
import {
  ANNOTATION_CREATED_BY,
  assertNamespaceOwned,
  type ClusterSettings,
  clusterSettings,
  ensureAccessEntry,
  namespacedManifests,
  namespaceManifest,
  removeAccessEntry,
  SERVICE_ACCOUNT,
} from "../../tenant/lib/namespace.ts";
import {
  operatorRoleArn,
  operatorRoleArnIfAny,
  operatorRoleOwnership,
} from "../../tenant/lib/operator-role.ts";
import { tenantNames } from "../../tenant/lib/slug.ts";
import type { Tier } from "../../tenant/lib/tiers.ts";
import { eksIn } from "./aws.ts";
import type { DrOwner } from "./dr-setup.ts";
import { DrSecretMissingError } from "./errors.ts";

const secretsByRegion = new Map<string, SecretsManagerClient>();
export function secretsIn(region: string): SecretsManagerClient {
  let client = secretsByRegion.get(region);
  if (!client) {
    client = createAwsClient(SecretsManagerClient, { region });
    secretsByRegion.set(region, client);
  }
  return client;
}

export interface DrSpaceRegions {
  /** Where the tenant runs, and its secret's primary is. */
  readonly home: string;
  /** Where its DR space goes. */
  readonly dr: string;
}

const namespaceRef = (slug: string) => ({ apiVersion: "v1", kind: "Namespace", metadata: { name: slug } });

/** The secret as Secrets Manager describes it in `region`; undefined when it is not there. */
export async function describeSecret(
  region: string,
  name: string,
): Promise<DescribeSecretCommandOutput | undefined> {
  return secretsIn(region)
    .send(new DescribeSecretCommand({ SecretId: name }))
    .catch((error: unknown) => {
      if (isAwsError(error, "ResourceNotFoundException")) return undefined;
      throw error;
    });
}

const replicatedTo = (secret: DescribeSecretCommandOutput | undefined, region: string) =>
  (secret?.ReplicationStatus ?? []).some((r) => r.Region === region);

/**
 * Brings the tenant's DR space into line: namespace and its objects on `kubernetes` (the tenant cluster
 * in `regions.dr`), the Pod Identity association there, the secret's replica. Returns what it created.
 */
export async function ensureDrSpace(
  kubernetes: KubernetesClient,
  settings: ClusterSettings,
  owner: DrOwner & { readonly tier: Tier },
  regions: DrSpaceRegions,
): Promise<string[]> {
  const created: string[] = [];
  const existing = await kubernetes.read(namespaceRef(owner.slug));
  assertNamespaceOwned(existing, owner.slug);
  const createdBy = existing?.metadata?.annotations?.[ANNOTATION_CREATED_BY] ?? owner.executionArn;
  const spec = { slug: owner.slug, tenantId: owner.tenantId, tier: owner.tier, createdBy };
  await kubernetes.apply(namespaceManifest(spec));
  for (const manifest of namespacedManifests(spec, settings)) await kubernetes.apply(manifest);
  if (!existing) created.push(`namespace:${regions.dr}/${owner.slug}`);

  const eks = eksIn(regions.dr);
  const { associations } = await eks.send(
    new ListPodIdentityAssociationsCommand({ clusterName: settings.clusterName, namespace: owner.slug }),
  );
  if (!(associations ?? []).some((a) => a.serviceAccount === SERVICE_ACCOUNT)) {
    const { association } = await eks.send(
      new CreatePodIdentityAssociationCommand({
        clusterName: settings.clusterName,
        namespace: owner.slug,
        serviceAccount: SERVICE_ACCOUNT,
        roleArn: settings.appRoleArn,
        tags: { "cplane:tenant": owner.slug, "cplane:tenant-id": owner.tenantId },
      }),
    );
    created.push(`pod-identity:${regions.dr}/${association?.associationId ?? ""}`);
  }
  if (await ensureDrAccessEntry(settings, spec, owner, regions.dr))
    created.push(`access-entry:${regions.dr}/${operatorRoleArn(settings, owner.slug)}`);

  const name = tenantNames(owner.slug).secretName;
  const secret = await describeSecret(regions.home, name);
  if (!secret)
    throw new DrSecretMissingError(`secret ${name} is not in ${regions.home}: nothing to replicate`);
  if (!replicatedTo(secret, regions.dr)) {
    await secretsIn(regions.home).send(
      new ReplicateSecretToRegionsCommand({ SecretId: name, AddReplicaRegions: [{ Region: regions.dr }] }),
    );
    created.push(`secret-replica:${regions.dr}/${name}`);
  }
  return created;
}

/**
 * The operators' access entry on the paired region's tenant cluster, scoped to the namespace as at
 * home, for the tenant's operator role (made at home by onboarding's namespace step). None when the
 * deployment makes no operator roles or the role is not there (yet); another tenant's role is refused.
 */
async function ensureDrAccessEntry(
  settings: ClusterSettings,
  spec: { slug: string; tenantId: string; tier: Tier; createdBy: string },
  owner: DrOwner,
  region: string,
): Promise<boolean> {
  const arn = operatorRoleArnIfAny(settings, owner.slug);
  if (!arn) return false;
  const role = await operatorRoleOwnership(settings, owner);
  if (role.state !== "ours") return false;
  // A role this execution made is new: an entry found for its ARN was left for an earlier role.
  const made = role.createdBy === owner.executionArn;
  return ensureAccessEntry(settings, spec, { arn, created: made, fresh: made }, eksIn(region));
}

/** The operators' access entry on the tenant cluster of `region`, when it is this tenant's. */
async function removeAccessEntryIn(
  clusterName: string,
  settings: ClusterSettings,
  owner: DrOwner,
  region: string,
) {
  const principalArn = operatorRoleArnIfAny(settings, owner.slug);
  if (!principalArn) return [];
  const gone = await removeAccessEntry(eksIn(region), clusterName, principalArn, owner.slug);
  return gone ? [`access-entry:${region}/${principalArn}`] : [];
}

/**
 * Takes the tenant's DR space away: the namespace (with what it holds) and its Pod Identity
 * associations in `regions.dr`, and the secret's replica there. With `createdBy`, the namespace only if
 * that execution created it, the replica only if that execution created the secret (compensation, which
 * deletes the secret next: a replicated secret cannot be deleted).
 */
export async function removeDrSpace(
  kubernetes: KubernetesClient,
  clusterName: string,
  owner: DrOwner,
  regions: DrSpaceRegions,
  createdBy?: string,
): Promise<string[]> {
  const removed = await removeNamespaceIn(kubernetes, clusterName, owner, regions.dr, createdBy);
  const ours = (mark: string | undefined) => createdBy === undefined || mark === createdBy;
  const name = tenantNames(owner.slug).secretName;
  const secret = await describeSecret(regions.home, name);
  if (replicatedTo(secret, regions.dr) && ours(tagValue(secret?.Tags, TAG_EXECUTION))) {
    await secretsIn(regions.home)
      .send(new RemoveRegionsFromReplicationCommand({ SecretId: name, RemoveReplicaRegions: [regions.dr] }))
      .catch((error: unknown) => {
        if (!isAwsError(error, "InvalidParameterException", "ResourceNotFoundException")) throw error;
      });
    removed.push(`secret-replica:${regions.dr}/${name}`);
  }
  return removed;
}

/**
 * The tenant's namespace (with what it holds), its Pod Identity associations and the operators' access
 * entry on the tenant cluster of `region` (`kubernetes` is that cluster). With `createdBy`, only when
 * that execution made the namespace.
 */
export async function removeNamespaceIn(
  kubernetes: KubernetesClient,
  clusterName: string,
  owner: DrOwner,
  region: string,
  createdBy?: string,
): Promise<string[]> {
  const removed: string[] = [];
  const namespace = await kubernetes.read(namespaceRef(owner.slug));
  assertNamespaceOwned(namespace, owner.slug);
  const mark = namespace?.metadata?.annotations?.[ANNOTATION_CREATED_BY];
  if (createdBy !== undefined && mark !== createdBy) return removed;
  // The operators' entry goes before their role does (at home, after this): AWS's order.
  removed.push(...(await removeAccessEntryIn(clusterName, clusterSettings(), owner, region)));
  if (!namespace) return removed;
  const eks = eksIn(region);
  const { associations } = await eks.send(
    new ListPodIdentityAssociationsCommand({ clusterName, namespace: owner.slug }),
  );
  for (const association of associations ?? []) {
    if (!association.associationId) continue;
    await eks
      .send(
        new DeletePodIdentityAssociationCommand({ clusterName, associationId: association.associationId }),
      )
      .catch((error: unknown) => {
        if (!isAwsError(error, "ResourceNotFoundException")) throw error;
      });
    removed.push(`pod-identity:${region}/${association.associationId}`);
  }
  if (await kubernetes.delete(namespaceRef(owner.slug))) removed.push(`namespace:${region}/${owner.slug}`);
  return removed;
}

/**
 * What readiness checks of a tenant's DR space: its namespace there and its secret's replica, from the
 * DR region's namespaces and tenant secrets as listed (lib/inventory.ts).
 */
export async function drSpaceProblems(
  listed: {
    readonly namespaces: ReadonlyMap<string, unknown>;
    readonly secrets: ReadonlyMap<string, unknown>;
  },
  slug: string,
  regions: DrSpaceRegions,
): Promise<string[]> {
  const problems: string[] = [];
  if (!listed.namespaces.has(tenantNames(slug).namespace)) problems.push(`no namespace in ${regions.dr}`);
  const name = tenantNames(slug).secretName;
  // The primary itself, after a failover moved the tenant away from it, serves as well as a replica.
  // ListSecrets may not show changes of the last five minutes (its API reference): a replica made by
  // this very run is asked for by name before it counts against the tenant.
  if (!listed.secrets.has(name) && !(await describeSecret(regions.dr, name)))
    problems.push(`${name} not readable in ${regions.dr}`);
  return problems;
}
