/**
 * The flap guard's second look, after the hold: a failover goes ahead only when two independent
 * signals agree the region is lost: Route 53's health checkers (every checker region failing) and
 * either the alarm still in ALARM or, when the alarm's own region does not answer, the lost region's
 * API not answering either. An alarm that cleared during the hold changes nothing.
 */
import { DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { DescribeDBClustersCommand } from "@aws-sdk/client-rds";
import { GetHealthCheckStatusCommand } from "@aws-sdk/client-route-53";
import { z } from "zod";
import { defineStep } from "../shared/handler.ts";
import { cloudwatchIn, isOutage, rdsIn, route53 } from "./lib/aws.ts";

export const CheckSignalInput = z.object({
  fromRegion: z.string().min(1),
  alarmName: z.string().min(1),
  alarmRegion: z.string().min(1),
  healthCheckId: z.string().min(1).nullable(),
  executionArn: z.string().min(1),
});

export interface SignalCheck {
  readonly confirmed: boolean;
  readonly healthCheck: "failing" | "healthy" | "unknown";
  readonly alarm: string;
  readonly regionApi: "unreachable" | "answers";
  readonly reason: string;
}

async function healthCheckState(id: string | null): Promise<SignalCheck["healthCheck"]> {
  if (!id) return "unknown";
  const { HealthCheckObservations } = await route53().send(
    new GetHealthCheckStatusCommand({ HealthCheckId: id }),
  );
  const statuses = (HealthCheckObservations ?? []).map((o) => o.StatusReport?.Status ?? "");
  if (statuses.length === 0) return "unknown";
  return statuses.every((s) => s.startsWith("Failure")) ? "failing" : "healthy";
}

/** The platform's writer cluster as created in the primary region (local/cloud/demo.ts, stacks). */
const PLATFORM_CLUSTER_PROBE = "cplane-platform";

export const handler = defineStep(CheckSignalInput, async (input): Promise<SignalCheck> => {
  const healthCheck = await healthCheckState(input.healthCheckId);
  const alarm = await cloudwatchIn(input.alarmRegion)
    .send(new DescribeAlarmsCommand({ AlarmNames: [input.alarmName] }))
    .then(
      (out) => out.MetricAlarms?.[0]?.StateValue ?? "missing",
      (error: unknown) => {
        if (isOutage(error)) return "unreachable";
        throw error;
      },
    );
  // A probe of the region's RDS API: the platform's cluster by name, which its IAM names (a list of every
  // cluster would need rds:DescribeDBClusters on cluster:*); "not found" is an answer too.
  const regionApi = await rdsIn(input.fromRegion)
    .send(new DescribeDBClustersCommand({ DBClusterIdentifier: PLATFORM_CLUSTER_PROBE }))
    .then(
      () => "answers" as const,
      (error: unknown) => {
        if (isOutage(error)) return "unreachable" as const;
        if (error instanceof Error && error.name === "DBClusterNotFoundFault") return "answers" as const;
        throw error;
      },
    );
  const second = alarm === "ALARM" || (alarm === "unreachable" && regionApi === "unreachable");
  const confirmed =
    healthCheck !== "healthy" && second && (healthCheck === "failing" || regionApi === "unreachable");
  return {
    confirmed,
    healthCheck,
    alarm,
    regionApi,
    reason: confirmed
      ? `health check ${healthCheck}, alarm ${alarm}, ${input.fromRegion} API ${regionApi}`
      : `not confirmed after the hold: health check ${healthCheck}, alarm ${alarm}, ${input.fromRegion} API ${regionApi}`,
  };
});
