/**
 * The first step of regional-failover: reads the request (alarm, schedule or person) and AWS, and
 * decides what the run will do (lib/plan.ts). A failover away from a region that is not the platform's
 * primary is skipped; a drill refuses while DR readiness is red; a switchover refuses while a
 * secondary lags beyond its tier's RPO. Changes nothing.
 */

import { z } from "zod";
import { RegionalFailoverInput } from "../../events/workflows.ts";
import { optionalEnv } from "../shared/env.ts";
import { defineStep } from "../shared/handler.ts";
import { platform, regionOfArn } from "./lib/aws.ts";
import { readCopyProofs } from "./lib/copy-proofs.ts";
import { DR_PROFILES } from "./lib/dr-profiles.ts";
import { DrReadinessRedError, ReplicationLagTooHighError } from "./lib/errors.ts";
import { rpoLagSeconds } from "./lib/metrics.ts";
import {
  activeTenants,
  alarmedRegion,
  type ComputePlan,
  computePlan,
  type DnsPlan,
  dnsPlan,
  type GlobalItem,
  globalItem,
  otherRegion,
  parseAlarmTime,
  platformWriterRegion,
  premiumGlobal,
  type RestoreItem,
  restoreItem,
} from "./lib/plan.ts";
import { assessReadiness, type Readiness } from "./lib/readiness.ts";
import { platformSet, tenantSet, type WorkloadSet } from "./lib/workloads.ts";

export const PlanInput = z.object({
  request: RegionalFailoverInput,
  executionArn: z.string().min(1),
  /** The execution's start: the signal of a run a person or the schedule started. */
  startedAt: z.string().min(1),
});

export interface Plan {
  readonly mode: "failover" | "switchover" | "drill";
  readonly action: "proceed" | "skip";
  readonly reason: string;
  readonly fromRegion: string;
  readonly toRegion: string;
  /** When the need was signalled: the alarm's state change, or the start; RTO counts from here. */
  readonly signalAt: string;
  /** The flap guard (alarm-started failovers only): hold, then look again. */
  readonly guard: {
    holdSeconds: number;
    alarmName: string;
    alarmRegion: string;
    healthCheckId: string | null;
  } | null;
  readonly approval: boolean;
  readonly globals: readonly GlobalItem[];
  /** Global databases that cannot be moved (no member in the target region...): reported, not tried. */
  readonly problems: readonly { subject: string; tier: string; problem: string }[];
  readonly restores: readonly RestoreItem[];
  readonly compute: ComputePlan | null;
  /** The namespaces whose Deployments move: the platform's and every moving tenant's. */
  readonly workloads: readonly WorkloadSet[];
  readonly dns: DnsPlan | null;
  /** The Route 53 health check of the target region, which verification requires passing. */
  readonly toHealthCheckId: string | null;
  readonly counts: Readonly<Record<string, number>>;
  /**
   * The DR readiness a drill checked before going on (it refuses on red): what an approver weighs.
   * The overall light, when, and per kind of subject; null for the other modes, which do not check it.
   */
  readonly readiness: Pick<Readiness, "overall" | "checkedAt" | "perKind"> | null;
}

/** Who must approve: `none` (default: an alarm fails over on its own), `failover`, or `all` modes. */
function approvalFor(mode: Plan["mode"]): boolean {
  const setting = optionalEnv("FAILOVER_APPROVAL", "none");
  return setting === "all" || (setting === "failover" && mode === "failover");
}

export const handler = defineStep(PlanInput, async (input): Promise<Plan> => {
  const request = input.request;
  const writerRegion = await platformWriterRegion();
  const fromRegion = request.trigger === "alarm" ? alarmedRegion(request.alarmName) : writerRegion;
  const toRegion = otherRegion(fromRegion);
  const signalAt =
    request.trigger === "alarm"
      ? new Date(parseAlarmTime(request.state.timestamp ?? request.alarmTime)).toISOString()
      : input.startedAt;
  const mode = request.mode;
  const base = { mode, fromRegion, toRegion, signalAt, approval: approvalFor(mode) };
  const none = {
    guard: null,
    globals: [],
    problems: [],
    restores: [],
    compute: null,
    workloads: [],
    dns: null,
    toHealthCheckId: null,
    counts: {},
    readiness: null,
  };
  if (fromRegion !== writerRegion) {
    return {
      ...base,
      ...none,
      action: "skip",
      reason: `the platform writes in ${writerRegion}, not ${fromRegion}: nothing to fail over`,
    };
  }
  let readiness: Plan["readiness"] = null;
  if (mode === "drill") {
    const assessed = await assessReadiness();
    readiness = { overall: assessed.overall, checkedAt: assessed.checkedAt, perKind: assessed.perKind };
    if (assessed.overall === "red") {
      const red = assessed.subjects.filter((s) => s.status === "red").slice(0, 5);
      throw new DrReadinessRedError(
        `DR readiness is red: ${red.map((s) => `${s.subject} (${s.reason})`).join("; ")}`,
      );
    }
  }

  const tenants = await activeTenants();
  const candidates: Promise<Awaited<ReturnType<typeof globalItem>>>[] = [
    globalItem("platform", "platform", null, platform().globalCluster, fromRegion, toRegion),
  ];
  for (const tenant of tenants) {
    if (DR_PROFILES[tenant.tier].strategy !== "global-secondary") continue;
    candidates.push(
      globalItem(tenant.slug, tenant.tier, tenant.tenantId, premiumGlobal(tenant.slug), fromRegion, toRegion),
    );
  }
  const globals: GlobalItem[] = [];
  const problems: { subject: string; tier: string; problem: string }[] = [];
  for (const item of await Promise.all(candidates)) {
    if ("problem" in item) problems.push(item);
    else if (regionOfArn(item.sourceArn) === toRegion)
      continue; // already writes there
    else globals.push(item);
  }
  if (mode === "switchover" || mode === "drill") {
    for (const item of globals) {
      const lag = await rpoLagSeconds(toRegion, item.targetArn.split(":").pop() ?? "");
      if (lag !== undefined && lag > item.rpoTargetSeconds)
        throw new ReplicationLagTooHighError(
          `${item.subject}: replication lag ${lag}s > ${item.rpoTargetSeconds}s; a switchover would wait too long`,
        );
    }
  }
  // Snapshot tiers are restored only when the region is lost: a planned move leaves them where they run.
  const proofs = mode === "failover" ? await readCopyProofs() : {};
  const restores =
    mode === "failover"
      ? await Promise.all(
          tenants
            .filter((t) => DR_PROFILES[t.tier].strategy === "snapshot-copy")
            .filter((t) => (t.region || writerRegion) === fromRegion)
            .map((t) => restoreItem(t, toRegion, proofs[t.slug])),
        ).then((items) => items.sort((a, b) => a.rtoTargetSeconds - b.rtoTargetSeconds))
      : [];
  const guard =
    request.trigger === "alarm"
      ? {
          holdSeconds: Number(optionalEnv("FLAP_GUARD_SECONDS", "60")),
          alarmName: request.alarmName,
          alarmRegion: request.alarmRegion,
          healthCheckId: null,
        }
      : null;
  const dns = await dnsPlan();
  const tierCount = (tier: string) => globals.filter((g) => g.tier === tier).length;
  return {
    ...base,
    action: "proceed",
    reason: `${mode} from ${fromRegion} to ${toRegion}`,
    guard: guard ? { ...guard, healthCheckId: dns.targets[fromRegion]?.healthCheckId ?? null } : null,
    globals,
    problems,
    restores,
    compute: await computePlan(fromRegion, toRegion),
    workloads: [
      platformSet(),
      ...globals.filter((g) => g.tier !== "platform").map((g) => tenantSet(g.subject)),
      ...restores.map((r) => tenantSet(r.subject)),
    ],
    dns,
    toHealthCheckId: dns.targets[toRegion]?.healthCheckId ?? null,
    counts: {
      platform: tierCount("platform"),
      premium: tierCount("premium"),
      standard: restores.filter((r) => r.tier === "standard").length,
      basic: restores.filter((r) => r.tier === "basic").length,
    },
    readiness,
  };
});
