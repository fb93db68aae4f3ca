/**
 * Whether production is served from the target region now: the Route 53 change is in sync, the
 * failover pair's PRIMARY points there, the region's health check passes from every checker, and its
 * traffic metrics show requests with an error rate under the threshold for every platform service.
 * The state machine asks again until healthy or the verification window closes.
 */
import {
  GetChangeCommand,
  GetHealthCheckStatusCommand,
  ListResourceRecordSetsCommand,
} from "@aws-sdk/client-route-53";
import { z } from "zod";
import { awsNow } from "../shared/aws-clients.ts";
import { optionalEnv } from "../shared/env.ts";
import { defineStep } from "../shared/handler.ts";
import { platform, route53 } from "./lib/aws.ts";
import { latestValue } from "./lib/metrics.ts";

export const VerifyTrafficInput = z.object({
  zoneId: z.string().min(1),
  record: z.string().min(1),
  changeId: z.string(),
  region: z.string().min(1),
  healthCheckId: z.string().nullable(),
  executionArn: z.string().min(1),
});

export interface TrafficCheck {
  readonly healthy: boolean;
  readonly reason: string;
  readonly errorRatePercent: number | null;
  readonly requests: number;
  readonly at: string;
}

/** Error rate above which traffic is not healthy (the canary gate's 1%). */
const MAX_ERROR_RATE_PERCENT = 1;

export const handler = defineStep(VerifyTrafficInput, async (input): Promise<TrafficCheck> => {
  const at = new Date(awsNow()).toISOString();
  const problems: string[] = [];
  if (input.changeId) {
    const { ChangeInfo } = await route53().send(new GetChangeCommand({ Id: input.changeId }));
    if (ChangeInfo?.Status !== "INSYNC") problems.push(`DNS change ${ChangeInfo?.Status ?? "unknown"}`);
  }
  const { ResourceRecordSets } = await route53().send(
    new ListResourceRecordSetsCommand({ HostedZoneId: input.zoneId }),
  );
  const primary = (ResourceRecordSets ?? []).find(
    (r) => r.Name?.replace(/\.$/, "") === input.record && r.Failover === "PRIMARY",
  );
  if (primary?.SetIdentifier !== input.region)
    problems.push(`PRIMARY record is ${primary?.SetIdentifier ?? "missing"}, not ${input.region}`);
  if (input.healthCheckId) {
    const { HealthCheckObservations } = await route53().send(
      new GetHealthCheckStatusCommand({ HealthCheckId: input.healthCheckId }),
    );
    const failing = (HealthCheckObservations ?? []).filter(
      (o) => !o.StatusReport?.Status?.startsWith("Success"),
    );
    if ((HealthCheckObservations ?? []).length === 0 || failing.length > 0)
      problems.push(`health check failing from ${failing.length} checkers`);
  }
  let requests = 0;
  let errors = 0;
  const services = optionalEnv("PLATFORM_SERVICES", "web,api").split(",").filter(Boolean);
  for (const service of services) {
    const dimensions = { Namespace: platform().namespace, Service: service };
    requests +=
      (await latestValue(
        input.region,
        { namespace: "cplane/Traffic", name: "Requests", dimensions, stat: "Sum" },
        3,
      )) ?? 0;
    errors +=
      (await latestValue(
        input.region,
        { namespace: "cplane/Traffic", name: "Errors", dimensions, stat: "Sum" },
        3,
      )) ?? 0;
  }
  const errorRatePercent = requests > 0 ? (100 * errors) / requests : null;
  if (requests === 0) problems.push(`no requests served in ${input.region}`);
  else if ((errorRatePercent ?? 0) > MAX_ERROR_RATE_PERCENT)
    problems.push(`error rate ${errorRatePercent?.toFixed(2)}% > ${MAX_ERROR_RATE_PERCENT}%`);
  return {
    healthy: problems.length === 0,
    reason:
      problems.length === 0
        ? `served from ${input.region}: ${requests} requests, ${errors} errors`
        : problems.join("; "),
    errorRatePercent,
    requests,
    at,
  };
});
