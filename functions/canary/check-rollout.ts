/**
 * Reads a Deployment's rollout (the canary's, or stable's after promotion) for the state machine's
 * readiness poll: ready when every replica of the current generation is updated and available;
 * failed when Kubernetes reports `ProgressDeadlineExceeded` (the pods never became ready).
 */
import { z } from "zod";
import { defineStep } from "../shared/handler.ts";
import { kubernetesClient } from "../shared/kubernetes.ts";
import { StableNotFoundError } from "./lib/errors.ts";
import { CANARY, deploymentRef, STABLE } from "./lib/manifests.ts";
import { Plan } from "./lib/plan.ts";

export const CheckRolloutInput = z.object({
  plan: Plan,
  version: z.enum([CANARY, STABLE]),
  executionArn: z.string().min(1),
});

export interface RolloutStatus {
  readonly ready: boolean;
  readonly failed: boolean;
  readonly replicas: number;
  readonly readyReplicas: number;
  readonly reason: string;
}

interface DeploymentStatus {
  observedGeneration?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  conditions?: { type?: string; status?: string; reason?: string; message?: string }[];
}

export const handler = defineStep(CheckRolloutInput, async ({ plan, version }): Promise<RolloutStatus> => {
  const api = await kubernetesClient(plan.cluster, plan.region);
  const deployment = await api.read(deploymentRef(plan, version));
  if (!deployment)
    throw new StableNotFoundError(`Deployment ${plan.namespace}/${plan.service}-${version} is gone`);
  const { spec, status = {} } = deployment as { spec?: { replicas?: number }; status?: DeploymentStatus };
  const replicas = Number(spec?.replicas ?? 1);
  const generation = Number((deployment.metadata as { generation?: number } | undefined)?.generation ?? 0);
  const progressing = status.conditions?.find((c) => c.type === "Progressing");
  const failed = progressing?.status === "False" && progressing.reason === "ProgressDeadlineExceeded";
  const ready =
    !failed &&
    Number(status.observedGeneration ?? 0) >= generation &&
    Number(status.updatedReplicas ?? 0) >= replicas &&
    Number(status.availableReplicas ?? 0) >= replicas;
  return {
    ready,
    failed,
    replicas,
    readyReplicas: Number(status.readyReplicas ?? 0),
    reason: failed
      ? `ProgressDeadlineExceeded: ${progressing?.message ?? "the rollout timed out"}`
      : `${status.updatedReplicas ?? 0} of ${replicas} replicas updated, ${status.availableReplicas ?? 0} available`,
  };
});
