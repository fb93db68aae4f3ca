/**
 * The planned paths of regional-failover on the local runtime, with the region healthy: a flapping
 * alarm that clears before the guard changes nothing; a switchover moves the global databases without
 * data loss while an onboarding started meanwhile waits for the fleet; a drill switches over, verifies
 * and fails back; a drill refuses on red readiness; a drill whose verification fails fails back.
 */
import { DescribeNodegroupCommand, EKSClient } from "@aws-sdk/client-eks";
import {
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
} from "@aws-sdk/client-route-53";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAwsClient } from "../../functions/shared/aws-clients.ts";
import { getTenant } from "../../functions/tenant/lib/registry.ts";
import type { Runtime } from "../../local/runtime.ts";
import {
  eventsOf,
  executionsOf,
  failoverRuntime,
  finish,
  onboard,
  outputOf,
  runUntil,
  start,
  statesOf,
  writerRegion,
} from "./failover-support.ts";

let runtime: Runtime;
let primary: string;
let secondary: string;

beforeAll(async () => {
  runtime = await failoverRuntime();
  primary = runtime.region;
  secondary = runtime.secondaryRegion;
  await onboard(runtime, [
    { name: "Gold Co", tier: "premium" },
    { name: "Silver Co", tier: "standard" },
  ]);
  await runtime.clock.sleep(20 * 60_000);
}, 600_000);
afterAll(async () => {
  await runtime?.close();
});

async function dnsPrimary(): Promise<string | undefined> {
  const route53 = createAwsClient(Route53Client, { region: primary });
  const zone = (await route53.send(new ListHostedZonesByNameCommand({ DNSName: "cplane.example.com" })))
    .HostedZones?.[0]?.Id;
  const { ResourceRecordSets } = await route53.send(
    new ListResourceRecordSetsCommand({ HostedZoneId: zone }),
  );
  return ResourceRecordSets?.find((r) => r.Failover === "PRIMARY")?.SetIdentifier;
}

const manual = (mode: string) => ({ trigger: "manual", mode, reason: `planned ${mode}`, requestedBy: "ana" });

describe("regional-failover with the region healthy", () => {
  it("does nothing for an alarm that clears before the flap guard looks again", async () => {
    // Act: the alarm fires (a blip) while the region is healthy.
    runtime.bus.putEvents({
      Entries: [
        {
          EventBusName: "default",
          Source: "aws.cloudwatch",
          DetailType: "CloudWatch Alarm State Change",
          Detail: JSON.stringify({
            alarmName: `cplane-region-health-${primary}`,
            state: {
              value: "ALARM",
              reason: 'Threshold "Crossed"',
              timestamp: runtime.clock.date().toISOString(),
            },
            previousState: { value: "OK", reason: "ok", timestamp: runtime.clock.date().toISOString() },
            configuration: { metrics: [] },
          }),
        },
      ],
    });
    await runUntil(
      runtime,
      () => executionsOf(runtime, "regional-failover").length > 0,
      "the alarm's failover",
    );
    const arn = executionsOf(runtime, "regional-failover")[0]?.executionArn ?? "";
    const execution = await finish(runtime, arn);

    // Assess
    expect(execution.status, JSON.stringify(execution)).toBe("SUCCEEDED");
    expect(outputOf(runtime, arn)).toMatchObject({ outcome: "skipped", mode: "failover" });
    const states = statesOf(runtime, arn);
    expect(states).toContain("HoldForFlapGuard");
    expect(states).not.toContain("AcquireLocks");
    expect(await writerRegion(runtime, "cplane-platform")).toBe(primary);
    expect(await dnsPrimary()).toBe(primary);
    expect(eventsOf(runtime, "Region Failover Completed")).toEqual([]);
  }, 300_000);

  it("switches over without data loss, leaving snapshot tiers where they run", async () => {
    // Act
    const arn = start(runtime, "regional-failover", manual("switchover"));
    const execution = await finish(runtime, arn);

    // Assess
    expect(execution.status, `${execution.error} ${execution.cause}`).toBe("SUCCEEDED");
    const output = outputOf(runtime, arn) as { perTier: Record<string, { rpoSeconds: number }> };
    expect(output).toMatchObject({
      outcome: "succeeded",
      mode: "switchover",
      fromRegion: primary,
      toRegion: secondary,
    });
    expect(output.perTier.platform?.rpoSeconds).toBe(0);
    expect(output.perTier.premium?.rpoSeconds).toBe(0);
    expect(output.perTier.standard).toBeUndefined();
    expect(await writerRegion(runtime, "cplane-platform")).toBe(secondary);
    expect(await writerRegion(runtime, "tenant-gold-co-global")).toBe(secondary);
    expect(await dnsPrimary()).toBe(secondary);
    expect((await getTenant("gold-co"))?.region).toBe(secondary);
    expect((await getTenant("silver-co"))?.region).toBe(primary);
    expect(eventsOf(runtime, "Region Failover Completed")).toEqual([
      expect.objectContaining({ mode: "switchover", rpoSeconds: 0 }),
    ]);
  }, 300_000);

  it("makes an onboarding started during a switchover wait for the fleet, then complete", async () => {
    // Act: switch back; once it holds the fleet, a tenant is requested.
    const switchback = start(runtime, "regional-failover", manual("switchover"));
    await runUntil(
      runtime,
      () => statesOf(runtime, switchback).includes("Recover"),
      "the switchback's lock",
      {
        stepMs: 5_000,
      },
    );
    const onboarding = start(runtime, "tenant-onboarding", {
      name: "Bronze Co",
      tier: "basic",
      adminEmail: "ops@bronze.example",
    });
    const back = await finish(runtime, switchback);
    const onboarded = await finish(runtime, onboarding);

    // Assess
    expect(back.status).toBe("SUCCEEDED");
    expect(onboarded.status, `${onboarded.error} ${onboarded.cause}`).toBe("SUCCEEDED");
    expect(statesOf(runtime, onboarding)).toContain("WaitForLocks");
    const released = runtime.engine
      .getExecutionHistory(switchback)
      .events.find(
        (e) =>
          e.type === "TaskStateEntered" &&
          (e.stateEnteredEventDetails as { name: string }).name === "ReleaseLocks",
      );
    const provisioned = runtime.engine
      .getExecutionHistory(onboarding)
      .events.find(
        (e) =>
          e.type === "TaskStateEntered" &&
          (e.stateEnteredEventDetails as { name: string }).name === "ProvisionDatabase",
      );
    expect(provisioned?.timestamp.getTime()).toBeGreaterThanOrEqual(
      released?.timestamp.getTime() ?? Infinity,
    );
    expect(await writerRegion(runtime, "cplane-platform")).toBe(primary);
  }, 600_000);

  it("drills: switches over, verifies, fails back, and reports", async () => {
    // Prepare
    const eks = createAwsClient(EKSClient, { region: secondary });
    const size = async () =>
      (
        await eks.send(
          new DescribeNodegroupCommand({ clusterName: `cplane-${secondary}`, nodegroupName: "general" }),
        )
      ).nodegroup?.scalingConfig?.desiredSize;
    const before = await size();

    // Act
    const arn = start(runtime, "regional-failover", {
      trigger: "schedule",
      mode: "drill",
      scheduledTime: runtime.clock.date().toISOString(),
    });
    const execution = await finish(runtime, arn);

    // Assess
    expect(execution.status, `${execution.error} ${execution.cause}`).toBe("SUCCEEDED");
    expect(outputOf(runtime, arn)).toMatchObject({
      outcome: "succeeded",
      mode: "drill",
      toRegion: secondary,
    });
    expect(statesOf(runtime, arn)).toEqual(
      expect.arrayContaining(["Recover", "Summarize", "FailBack", "Done"]),
    );
    expect(await writerRegion(runtime, "cplane-platform")).toBe(primary);
    expect(await writerRegion(runtime, "tenant-gold-co-global")).toBe(primary);
    expect(await dnsPrimary()).toBe(primary);
    expect(await size()).toBe(before);
    expect((await getTenant("gold-co"))?.region).toBe(primary);
    expect(eventsOf(runtime, "DR Drill Completed")).toEqual([
      expect.objectContaining({ primaryRegion: primary, drillRegion: secondary, withinObjectives: true }),
    ]);
  }, 600_000);

  it("refuses a drill while DR readiness is red, changing nothing", async () => {
    // Prepare: the secondary EKS node group is gone (as readiness sees it).
    const fault = runtime.cloud.faults.add({
      kind: "error",
      service: "EKS",
      operation: "DescribeNodegroup",
      region: secondary,
      error: "ResourceNotFoundException",
    });

    // Act
    const arn = start(runtime, "regional-failover", manual("drill"));
    const execution = await finish(runtime, arn);
    runtime.cloud.faults.remove(fault);

    // Assess
    expect(execution.status).toBe("FAILED");
    expect(execution.error).toBe("DrReadinessRedError");
    expect(execution.cause).toContain("compute");
    expect(statesOf(runtime, arn)).not.toContain("AcquireLocks");
    expect(await writerRegion(runtime, "cplane-platform")).toBe(primary);
    expect(eventsOf(runtime, "DR Drill Failed")).toEqual([
      expect.objectContaining({ step: "plan", error: "DrReadinessRedError" }),
    ]);
  }, 300_000);

  it("fails back and ends failed when the drill's verification fails", async () => {
    // Prepare: the secondary serves errors.
    for (const service of ["web", "api"])
      runtime.cloud.traffic.setBehaviour({ region: secondary, namespace: "shop", service }, "stable", {
        errorRate: 0.2,
      });

    // Act
    const arn = start(runtime, "regional-failover", manual("drill"));
    const execution = await finish(runtime, arn);
    for (const service of ["web", "api"])
      runtime.cloud.traffic.setBehaviour({ region: secondary, namespace: "shop", service }, "stable", {
        errorRate: 0,
      });

    // Assess
    expect(execution.status).toBe("FAILED");
    expect(execution.error).toBe("TrafficNotHealthyError");
    expect(execution.cause).toContain("failed back");
    expect(statesOf(runtime, arn)).toEqual(
      expect.arrayContaining(["DrillVerificationFailed", "FailBack", "DrillFailed"]),
    );
    expect(await writerRegion(runtime, "cplane-platform")).toBe(primary);
    expect(await writerRegion(runtime, "tenant-gold-co-global")).toBe(primary);
    expect(await dnsPrimary()).toBe(primary);
    expect(eventsOf(runtime, "DR Drill Failed")).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ step: "verify-traffic", error: "TrafficNotHealthyError" }),
      ]),
    );
  }, 600_000);
});
