/**
 * Makes the target region the PRIMARY of the platform's Route 53 failover pair (and the region left
 * its SECONDARY), in one atomic change: traffic stays there even once the old region's health check
 * is green again, until a planned switch back. Returns the change to wait for.
 */
import { ChangeResourceRecordSetsCommand, type RRType } from "@aws-sdk/client-route-53";
import { z } from "zod";
import { defineStep } from "../shared/handler.ts";
import { route53 } from "./lib/aws.ts";
import { PlatformNotFoundError } from "./lib/errors.ts";

export const SwitchTrafficInput = z.object({
  dns: z.object({
    zoneId: z.string().min(1),
    record: z.string().min(1),
    type: z.string().min(1),
    ttl: z.number().int().positive(),
    targets: z.record(
      z.string(),
      z.object({ value: z.string().min(1), healthCheckId: z.string().nullable() }),
    ),
  }),
  primaryRegion: z.string().min(1),
  secondaryRegion: z.string().min(1),
  executionArn: z.string().min(1),
});

export interface SwitchResult {
  readonly changeId: string;
}

export const handler = defineStep(SwitchTrafficInput, async (input): Promise<SwitchResult> => {
  const record = (region: string, failover: "PRIMARY" | "SECONDARY") => {
    const target = input.dns.targets[region];
    if (!target) throw new PlatformNotFoundError(`${input.dns.record} has no failover record for ${region}`);
    return {
      Action: "UPSERT" as const,
      ResourceRecordSet: {
        Name: input.dns.record,
        Type: input.dns.type as RRType,
        TTL: input.dns.ttl,
        SetIdentifier: region,
        Failover: failover,
        ...(target.healthCheckId ? { HealthCheckId: target.healthCheckId } : {}),
        ResourceRecords: [{ Value: target.value }],
      },
    };
  };
  const { ChangeInfo } = await route53().send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: input.dns.zoneId,
      ChangeBatch: {
        Comment: `cplane: ${input.primaryRegion} primary (${input.executionArn.split(":").pop()})`,
        Changes: [record(input.primaryRegion, "PRIMARY"), record(input.secondaryRegion, "SECONDARY")],
      },
    }),
  );
  return { changeId: ChangeInfo?.Id ?? "" };
});
