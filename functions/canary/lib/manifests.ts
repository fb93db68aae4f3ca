/**
 * The Kubernetes objects a canary changes, by deterministic name (`<service>-stable`,
 * `<service>-canary`, the service's VirtualService), built as whole manifests for server-side apply:
 * applying one twice is applying it once, so every step is safe to retry and redrive.
 */
import type { KubernetesObject, Manifest, ObjectRef } from "../../shared/kubernetes.ts";
import type { Plan, Stage } from "./plan.ts";
import { replicasFor } from "./plan.ts";

/** Who made a canary Deployment: only that execution's rollback or promotion removes it. */
export const EXECUTION_ANNOTATION = "cplane.io/execution";
export const IMAGE_ANNOTATION = "cplane.io/image";
export const STABLE = "stable";
export const CANARY = "canary";

export const deploymentRef = (plan: Pick<Plan, "service" | "namespace">, version: string): ObjectRef => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: `${plan.service}-${version}`, namespace: plan.namespace },
});
export const virtualServiceRef = (plan: Pick<Plan, "service" | "namespace">): ObjectRef => ({
  apiVersion: "networking.istio.io/v1",
  kind: "VirtualService",
  metadata: { name: plan.service, namespace: plan.namespace },
});
export const destinationRuleRef = (plan: Pick<Plan, "service" | "namespace">): ObjectRef => ({
  apiVersion: "networking.istio.io/v1",
  kind: "DestinationRule",
  metadata: { name: plan.service, namespace: plan.namespace },
});

interface Container {
  name?: string;
  image?: string;
  [field: string]: unknown;
}
type Labels = Record<string, string>;
interface DeploymentShape extends KubernetesObject {
  spec?: {
    replicas?: number;
    selector?: { matchLabels?: Labels };
    template?: { metadata?: { labels?: Labels }; spec?: { containers?: Container[]; [f: string]: unknown } };
    [field: string]: unknown;
  };
}

/** The container that runs the service: the one named after it, else the first. */
export function mainContainer(deployment: KubernetesObject, service: string): Container | undefined {
  const containers = (deployment as DeploymentShape).spec?.template?.spec?.containers ?? [];
  return containers.find((c) => c.name === service) ?? containers[0];
}

function withImage(deployment: DeploymentShape, service: string, image: string): Container[] {
  const main = mainContainer(deployment, service);
  return (deployment.spec?.template?.spec?.containers ?? []).map((c) => (c === main ? { ...c, image } : c));
}

/** The canary Deployment: stable's pod spec with the new image, labelled `version: canary`, sized for the stage. */
export function canaryDeployment(
  stable: KubernetesObject,
  plan: Plan,
  weight: number,
  executionArn: string,
): Manifest {
  const shape = stable as DeploymentShape;
  const spec = shape.spec ?? {};
  const { replicas: _replicas, selector, template, ...rest } = spec;
  const templateLabels = { ...(template?.metadata?.labels ?? {}), app: plan.service, version: CANARY };
  return {
    ...deploymentRef(plan, CANARY),
    metadata: {
      ...deploymentRef(plan, CANARY).metadata,
      labels: { app: plan.service, version: CANARY, "app.kubernetes.io/managed-by": "cplane" },
      annotations: { [EXECUTION_ANNOTATION]: executionArn, [IMAGE_ANNOTATION]: plan.image },
    },
    spec: {
      ...rest,
      replicas: replicasFor(weight, plan.stableReplicas),
      progressDeadlineSeconds: plan.progressDeadlineSeconds,
      selector: { matchLabels: { ...(selector?.matchLabels ?? {}), app: plan.service, version: CANARY } },
      template: {
        ...template,
        metadata: { ...(template?.metadata ?? {}), labels: templateLabels },
        spec: { ...(template?.spec ?? {}), containers: withImage(shape, plan.service, plan.image) },
      },
    },
  };
}

/**
 * Stable's pod spec with `image`: the promoted one (the canary becomes stable by stable rolling to it),
 * or the previous one again when a promotion is rolled back.
 */
export function stableWithImage(
  stable: KubernetesObject,
  plan: Plan,
  image: string,
  executionArn: string,
): Manifest {
  const shape = stable as DeploymentShape;
  return {
    ...deploymentRef(plan, STABLE),
    metadata: {
      ...deploymentRef(plan, STABLE).metadata,
      annotations: { [EXECUTION_ANNOTATION]: executionArn, [IMAGE_ANNOTATION]: image },
    },
    spec: {
      progressDeadlineSeconds: plan.progressDeadlineSeconds,
      template: { spec: { containers: withImage(shape, plan.service, image) } },
    },
  };
}

const destination = (plan: Plan, subset: string, weight: number) => ({
  destination: { host: plan.service, subset },
  weight,
});

/**
 * The VirtualService's routes for a share: `weight` % to the canary, the rest to stable; for a cohort
 * stage, the cohort's requests (header match) all to the canary and everyone else's to stable.
 * Weight 0 (rollback, promotion done) is everything on stable.
 */
export function virtualService(plan: Plan, stage: Pick<Stage, "weight" | "cohort"> | undefined): Manifest {
  const weight = stage?.weight ?? 0;
  const http: Record<string, unknown>[] = [];
  if (stage?.cohort) {
    http.push({
      name: "canary-cohort",
      match: [{ headers: { [stage.cohort.header]: { regex: `^(${stage.cohort.values.join("|")})$` } } }],
      route: [destination(plan, CANARY, 100)],
    });
    http.push({ name: "primary", route: [destination(plan, STABLE, 100), destination(plan, CANARY, 0)] });
  } else {
    http.push({
      name: "primary",
      route: [destination(plan, STABLE, 100 - weight), destination(plan, CANARY, weight)],
    });
  }
  return { ...virtualServiceRef(plan), spec: { http } };
}
