/**
 * The Deployments a failover brings up in the region it goes to: the platform's (its namespace on the
 * platform's cluster of that region) and each moving tenant's (its namespace on the tenant cluster).
 * The standby region keeps them at their own size (tenants' mirrors at zero, a pilot light); the DR
 * upkeep records on each the replicas the serving region runs (`cplane.io/dr-replicas`), so that a
 * failover whose primary does not answer still knows how many to run. A drill scales them back.
 */

import { requireEnv } from "../../shared/env.ts";
import type { KubernetesClient, KubernetesObject, Manifest } from "../../shared/kubernetes.ts";
import { isOutage, platform } from "./aws.ts";

/** The replicas the serving region ran when the DR upkeep last looked. */
export const ANNOTATION_DR_REPLICAS = "cplane.io/dr-replicas";
/** On a Deployment the DR upkeep made in the standby region: the region it mirrors. */
export const ANNOTATION_MIRROR_OF = "cplane.io/mirror-of";
/**
 * On a Deployment a failover scaled up: its replicas before, and the execution that scaled it. A
 * drill's way back reads them there, so it knows what to undo even when the run failed half-way and
 * its own record of the scaling was lost with the branch.
 */
export const ANNOTATION_SCALED_FROM = "cplane.io/scaled-from";
export const ANNOTATION_SCALED_BY = "cplane.io/scaled-by";
const SCALED_MARKS = [ANNOTATION_SCALED_FROM, ANNOTATION_SCALED_BY];

/** A namespace whose Deployments move with a failover. */
export interface WorkloadSet {
  /** `platform` or the tenant's slug. */
  readonly subject: string;
  readonly kind: "platform" | "tenant";
  readonly namespace: string;
}

/** One Deployment scaled by a failover: where, and from how many replicas to how many. */
export interface ScaledDeployment {
  readonly subject: string;
  readonly cluster: string;
  readonly namespace: string;
  readonly name: string;
  readonly from: number;
  readonly to: number;
}

export const platformSet = (): WorkloadSet => ({
  subject: "platform",
  kind: "platform",
  namespace: platform().namespace,
});
export const tenantSet = (slug: string): WorkloadSet => ({ subject: slug, kind: "tenant", namespace: slug });

/** The cluster a set's Deployments run on in `region`. */
export function clusterOf(set: Pick<WorkloadSet, "kind">, region: string): string {
  return set.kind === "platform" ? platform().computeCluster(region) : requireEnv("EKS_CLUSTER_NAME");
}

/** A region that does not answer, as the SDK (DescribeCluster) or the Kubernetes API (a dropped connection) shows it. */
export function isUnreachable(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) if (isOutage(e)) return true;
  return false;
}

const replicasOf = (object: KubernetesObject | undefined): number =>
  Number((object as { spec?: { replicas?: unknown } } | undefined)?.spec?.replicas ?? 1);

/** The Deployment as applied back: what its owner wrote, without what the API server keeps. */
function manifestOf(
  object: KubernetesObject,
  changes: { replicas?: number; annotations?: Record<string, string>; drop?: readonly string[] },
): Manifest {
  const { metadata = {}, ...rest } = object as KubernetesObject & { spec?: Record<string, unknown> };
  const { status: _status, ...body } = rest as Record<string, unknown>;
  const spec = (body.spec ?? {}) as Record<string, unknown>;
  const annotations = { ...(metadata.annotations ?? {}), ...(changes.annotations ?? {}) };
  for (const key of changes.drop ?? []) delete annotations[key];
  return {
    ...body,
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name: metadata.name,
      namespace: metadata.namespace,
      ...(metadata.labels ? { labels: metadata.labels } : {}),
      annotations,
    },
    spec: { ...spec, ...(changes.replicas === undefined ? {} : { replicas: changes.replicas }) },
  };
}

/**
 * Mirrors a set's Deployments from the serving region to the standby one: a Deployment missing there is
 * made at zero replicas with the serving one's template; one made that way gets the template again; every
 * one gets the serving replicas recorded. Returns the names it created.
 */
export async function mirrorDeployments(
  source: KubernetesClient,
  target: KubernetesClient,
  set: WorkloadSet,
  from: string,
  /** The set's Deployments on both sides as already listed (lib/inventory.ts); else listed here. */
  listed?: { readonly serving: readonly KubernetesObject[]; readonly standby: readonly KubernetesObject[] },
): Promise<{ created: string[]; recorded: number }> {
  const serving = listed?.serving ?? (await source.list("apps/v1", "Deployment", set.namespace));
  const standby = new Map(
    (listed?.standby ?? (await target.list("apps/v1", "Deployment", set.namespace))).map((d) => [
      d.metadata?.name ?? "",
      d,
    ]),
  );
  const created: string[] = [];
  for (const deployment of serving) {
    const name = deployment.metadata?.name ?? "";
    const recorded = { [ANNOTATION_DR_REPLICAS]: String(replicasOf(deployment)) };
    const twin = standby.get(name);
    if (!twin) {
      if (set.kind === "platform") continue; // the platform's standby Deployments are the platform team's
      await target.apply(
        manifestOf(deployment, { replicas: 0, annotations: { ...recorded, [ANNOTATION_MIRROR_OF]: from } }),
      );
      created.push(`${set.namespace}/${name}`);
    } else if (twin.metadata?.annotations?.[ANNOTATION_MIRROR_OF]) {
      // A drill under way keeps its marks: its way back reads them.
      const marks = Object.fromEntries(
        SCALED_MARKS.flatMap((key) => {
          const value = twin.metadata?.annotations?.[key];
          return value === undefined ? [] : [[key, value]];
        }),
      );
      await target.apply(
        manifestOf(deployment, {
          replicas: replicasOf(twin),
          annotations: { ...recorded, ...marks, [ANNOTATION_MIRROR_OF]: from },
        }),
      );
    } else if (twin.metadata?.annotations?.[ANNOTATION_DR_REPLICAS] !== recorded[ANNOTATION_DR_REPLICAS]) {
      await target.apply(manifestOf(twin, { annotations: recorded }));
    }
  }
  return { created, recorded: serving.length };
}

/**
 * Scales a set's Deployments in the target region up to what the source region runs: read there when
 * it answers, else the replicas the DR upkeep recorded. Never scales down. Marks each one it scales
 * with its size before and the execution (`scaleBack` reads them). Returns every Deployment with its
 * sizes before and after (unchanged ones too: the check waits for all of them).
 */
export async function scaleUp(
  target: KubernetesClient,
  source: (() => Promise<KubernetesClient>) | undefined,
  set: WorkloadSet,
  cluster: string,
  executionArn: string,
): Promise<ScaledDeployment[]> {
  const standby = await target.list("apps/v1", "Deployment", set.namespace);
  let live: Map<string, number> | undefined;
  if (source) {
    try {
      const serving = await (await source()).list("apps/v1", "Deployment", set.namespace);
      live = new Map(serving.map((d) => [d.metadata?.name ?? "", replicasOf(d)]));
    } catch (error) {
      if (!isUnreachable(error)) throw error;
    }
  }
  const scaled: ScaledDeployment[] = [];
  for (const deployment of standby) {
    const name = deployment.metadata?.name ?? "";
    const current = replicasOf(deployment);
    const recorded = Number(deployment.metadata?.annotations?.[ANNOTATION_DR_REPLICAS] ?? Number.NaN);
    const wanted = live?.get(name) ?? (Number.isFinite(recorded) ? recorded : current);
    const to = Math.max(current, wanted);
    // Scaled again by the same run (a retry): its size before is still the first one.
    const marks = deployment.metadata?.annotations ?? {};
    const before = marks[ANNOTATION_SCALED_BY] === executionArn ? marks[ANNOTATION_SCALED_FROM] : undefined;
    if (to !== current)
      await target.apply(
        manifestOf(deployment, {
          replicas: to,
          annotations: {
            [ANNOTATION_SCALED_FROM]: before ?? String(current),
            [ANNOTATION_SCALED_BY]: executionArn,
          },
        }),
      );
    scaled.push({ subject: set.subject, cluster, namespace: set.namespace, name, from: current, to });
  }
  return scaled;
}

/**
 * A drill's way back in the region it visited: every Deployment of the set that `executionArn` scaled
 * up (its marks say so) to its size before, the marks taken off. Returns what it scaled.
 */
export async function scaleBack(
  client: KubernetesClient,
  set: WorkloadSet,
  cluster: string,
  executionArn: string,
): Promise<ScaledDeployment[]> {
  const scaled: ScaledDeployment[] = [];
  for (const deployment of await client.list("apps/v1", "Deployment", set.namespace)) {
    const marks = deployment.metadata?.annotations ?? {};
    const before = Number(marks[ANNOTATION_SCALED_FROM]);
    if (marks[ANNOTATION_SCALED_BY] !== executionArn || !Number.isInteger(before)) continue;
    const current = replicasOf(deployment);
    await client.apply(manifestOf(deployment, { replicas: before, drop: SCALED_MARKS }));
    const name = deployment.metadata?.name ?? "";
    scaled.push({ subject: set.subject, cluster, namespace: set.namespace, name, from: current, to: before });
  }
  return scaled;
}

/** Whether a Deployment runs `want` ready replicas of its current spec (none left when `want` is 0). */
export function isReady(object: KubernetesObject | undefined, want: number): boolean {
  if (!object) return false;
  const status = ((object as { status?: Record<string, unknown> }).status ?? {}) as Record<string, unknown>;
  const generation = Number(
    object.metadata && "generation" in object.metadata ? object.metadata.generation : 0,
  );
  const observed = Number(status.observedGeneration ?? generation);
  const ready = Number(status.readyReplicas ?? 0);
  if (replicasOf(object) !== want || observed < generation) return false;
  return want === 0 ? ready === 0 : ready >= want && Number(status.updatedReplicas ?? 0) >= want;
}
