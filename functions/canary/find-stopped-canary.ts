/**
 * Clean-up after a canary execution was stopped or timed out from outside (`operation-cleanup`): which
 * service it ran (from its input, as `resolve-plan` found it), whether it still is that service's
 * running canary (the registry's `CANARY#<service>` item, with the plan it registered before touching
 * the cluster), and how far it got: the stage its routes stood at, and whether the promotion had already
 * finished (stable runs the new image and the canary is gone), in which case nothing is rolled back.
 * The first clean-up to ask takes the canary on (`cleanupBy`); a second delivery of the same event
 * finds it taken, or already unregistered, and leaves it alone.
 */
import { z } from "zod";
import { CanaryPromotionInput } from "../../events/workflows.ts";
import { defineStep } from "../shared/handler.ts";
import { kubernetesClient } from "../shared/kubernetes.ts";
import { CANARY, deploymentRef, mainContainer, STABLE, virtualServiceRef } from "./lib/manifests.ts";
import type { Plan } from "./lib/plan.ts";
import { CANARY_SERVICES } from "./lib/services.ts";
import { claimCleanup, readCanary } from "./lib/signals.ts";

export const FindStoppedCanaryInput = z.object({
  /** The stopped execution. */
  executionArn: z.string().min(1),
  /** Its input, as DescribeExecution returned it. */
  input: z.unknown(),
  /** The clean-up execution asking. */
  cleanupArn: z.string().min(1),
});

export type FindStoppedCanaryResult =
  | { readonly owned: false; readonly service: string | null; readonly reason: string }
  | {
      readonly owned: true;
      readonly service: string;
      readonly plan: Plan;
      /** The stage whose routes were in place when it stopped (0 before any traffic moved). */
      readonly stageIndex: number;
      /** The promotion had finished on the cluster: nothing to roll back, only to announce. */
      readonly promoted: boolean;
    };

function serviceOf(input: unknown): string | undefined {
  const request = CanaryPromotionInput.safeParse(input);
  if (!request.success) return undefined;
  const { data } = request;
  if (data.trigger === "git-push")
    return Object.entries(CANARY_SERVICES).find(([, c]) => c.repository === data.repository)?.[0];
  return data.service;
}

interface Route {
  name?: string;
  match?: { headers?: Record<string, { regex?: string }> }[];
  route?: { destination?: { subset?: string }; weight?: number }[];
}

/** The plan's stage the VirtualService's routes are at: a cohort's header match, or the canary's weight. */
export function stageOfRoutes(plan: Plan, http: readonly Route[]): number {
  const cohort = http.find((h) => h.name === "canary-cohort");
  if (cohort) {
    const header = Object.entries(cohort.match?.[0]?.headers ?? {})[0];
    const index = plan.stages.findIndex(
      (s) =>
        s.cohort !== undefined &&
        header?.[0] === s.cohort.header &&
        header[1].regex === `^(${s.cohort.values.join("|")})$`,
    );
    return Math.max(0, index);
  }
  const primary = http.find((h) => h.match === undefined);
  const weight = primary?.route?.find((r) => r.destination?.subset === CANARY)?.weight ?? 0;
  return Math.max(
    0,
    plan.stages.findIndex((s) => s.cohort === undefined && s.weight === weight),
  );
}

export const handler = defineStep(
  FindStoppedCanaryInput,
  async ({ executionArn, input, cleanupArn }): Promise<FindStoppedCanaryResult> => {
    const service = serviceOf(input);
    if (!service) return { owned: false, service: null, reason: "its input names no configured service" };
    const running = await readCanary(service);
    if (running?.executionArn !== executionArn || !running.plan)
      return {
        owned: false,
        service,
        reason: `it is not ${service}'s running canary (nothing deployed, or done)`,
      };
    if (!(await claimCleanup(service, executionArn, cleanupArn)))
      return { owned: false, service, reason: `another clean-up has taken ${service}'s canary on` };
    const { plan } = running;
    const api = await kubernetesClient(plan.cluster, plan.region);
    const routes = await api.read(virtualServiceRef(plan));
    const http = (routes as { spec?: { http?: Route[] } } | undefined)?.spec?.http ?? [];
    const stable = await api.read(deploymentRef(plan, STABLE));
    const canary = await api.read(deploymentRef(plan, CANARY));
    const promoted =
      stable !== undefined && mainContainer(stable, plan.service)?.image === plan.image && !canary;
    return {
      owned: true,
      service,
      plan,
      stageIndex: promoted ? plan.stages.length - 1 : stageOfRoutes(plan, http),
      promoted,
    };
  },
);
