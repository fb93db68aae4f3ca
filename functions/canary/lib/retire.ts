/**
 * Ends a canary's life on the cluster: every request to stable (one VirtualService apply, at once),
 * then the canary Deployment removed, if this execution made it. Rollback and the end of a promotion
 * both do exactly this; it is safe to repeat.
 */
import { awsNow } from "../../shared/aws-clients.ts";
import type { KubernetesClient } from "../../shared/kubernetes.ts";
import { withFleetLock } from "./fleet.ts";
import {
  CANARY,
  deploymentRef,
  EXECUTION_ANNOTATION,
  mainContainer,
  STABLE,
  stableWithImage,
  virtualService,
} from "./manifests.ts";
import type { Plan } from "./plan.ts";

export interface Retired {
  /** When the routes put everything on stable (epoch ms, the cloud's clock). */
  readonly stableAt: number;
  /** Whether this call removed the canary Deployment (false: it was gone, or another execution's). */
  readonly removed: boolean;
  /** Whether stable had started rolling to the new image (a promotion under way) and was put back. */
  readonly stableRestored: boolean;
}

/** `restoreStable`: a rollback puts stable back on its previous image if a promotion had changed it. */
export async function retireCanary(
  api: KubernetesClient,
  plan: Plan,
  executionArn: string,
  restoreStable: boolean,
): Promise<Retired> {
  return withFleetLock(executionArn, async () => {
    await api.apply(virtualService(plan, undefined));
    const stableAt = awsNow();
    const stable = restoreStable ? await api.read(deploymentRef(plan, STABLE)) : undefined;
    const stableRestored =
      stable !== undefined && mainContainer(stable, plan.service)?.image !== plan.stableImage;
    if (stable && stableRestored)
      await api.apply(stableWithImage(stable, plan, plan.stableImage, executionArn));
    const canary = await api.read(deploymentRef(plan, CANARY));
    const ours = canary?.metadata?.annotations?.[EXECUTION_ANNOTATION] === executionArn;
    const removed = ours ? await api.delete(deploymentRef(plan, CANARY)) : false;
    return { stableAt, removed, stableRestored };
  });
}
