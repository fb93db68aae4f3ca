/**
 * Tells a running canary what to do: `{service, command, requestedBy, reason}` from a person (`cplane
 * canary abort|promote|pause|resume <service>`), or a CloudWatch alarm on a canary's metrics entering
 * ALARM (rule `canary-alarm-abort`), which aborts the canary of the service its metrics name. The
 * command goes to the execution's current wait at once, or waits for its next one.
 */
import { z } from "zod";
import { CloudWatchAlarmStateChange } from "../../events/aws.ts";
import { CanaryServiceName } from "../../events/workflows.ts";
import { awsNow } from "../shared/aws-clients.ts";
import { defineStep } from "../shared/handler.ts";
import { NoRunningCanaryError } from "./lib/errors.ts";
import { type CanaryCommand, CanaryCommandName, deliver, keepPending, readCanary } from "./lib/signals.ts";

const PersonSignal = z.object({
  service: CanaryServiceName,
  command: CanaryCommandName,
  requestedBy: z.string().min(1).default("unknown"),
  reason: z.string().min(1).optional(),
});

const AlarmEvent = z.object({
  source: z.literal(CloudWatchAlarmStateChange.source),
  "detail-type": z.literal(CloudWatchAlarmStateChange.detailType),
  time: z.string(),
  detail: CloudWatchAlarmStateChange.detail,
});

export const SignalInput = z.union([PersonSignal, AlarmEvent]);

export interface SignalResult {
  readonly service: string | null;
  readonly command: string;
  readonly executionArn: string | null;
  /** `delivered`: the execution acts now; `pending`: at its next wait; `ignored`: no canary of the service runs. */
  readonly status: "delivered" | "pending" | "ignored";
}

/** The service an alarm watches: the `Service` dimension of its metric, or of the first metric of its math that has one. */
export function serviceOfAlarm(configuration: unknown): string | undefined {
  const metrics =
    (configuration as { metrics?: { metricStat?: { metric?: { dimensions?: Record<string, string> } } }[] })
      .metrics ?? [];
  return metrics.map((m) => m.metricStat?.metric?.dimensions?.Service).find((s) => s !== undefined);
}

export const handler = defineStep(SignalInput, async (input): Promise<SignalResult> => {
  let service: string | undefined;
  let command: CanaryCommand;
  if ("detail" in input) {
    service = serviceOfAlarm(input.detail.configuration);
    const reason = input.detail.state.reason ?? `${input.detail.alarmName} is in ALARM`;
    const measured = /\[([0-9.]+)/.exec(reason)?.[1];
    const threshold = /threshold \(([0-9.]+)\)/.exec(reason)?.[1];
    command = {
      command: "abort",
      requestedBy: `alarm ${input.detail.alarmName}`,
      reason: `${input.detail.alarmName} entered ALARM: ${reason}`.slice(0, 900),
      at: input.time,
      alarm: {
        name: input.detail.alarmName,
        measured: measured ? Number(measured) : null,
        threshold: threshold ? Number(threshold) : null,
      },
    };
    if (input.detail.state.value !== "ALARM" || !service)
      return { service: service ?? null, command: "abort", executionArn: null, status: "ignored" };
  } else {
    service = input.service;
    command = {
      command: input.command,
      requestedBy: input.requestedBy,
      reason: input.reason ?? `${input.command} asked by ${input.requestedBy}`,
      at: new Date(awsNow()).toISOString(),
    };
  }
  const running = await readCanary(service);
  if (!running) {
    if ("detail" in input)
      return { service, command: command.command, executionArn: null, status: "ignored" };
    throw new NoRunningCanaryError(`no canary of ${service} is running`);
  }
  if (running.taskToken && (await deliver(running.taskToken, command)))
    return { service, command: command.command, executionArn: running.executionArn, status: "delivered" };
  await keepPending(service, running.executionArn, command);
  return { service, command: command.command, executionArn: running.executionArn, status: "pending" };
});
