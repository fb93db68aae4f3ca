/**
 * An unplanned regional failover on the local runtime, from the outage to the report: the primary
 * region goes down, its region-health alarm starts regional-failover on its own, and the platform's
 * global database, a premium tenant's global secondary, and standard and basic tenants restored from
 * their cross-region copies all end up serving from the secondary region, measured against their tiers.
 */
import { DescribeDBClustersCommand, RDSClient } from "@aws-sdk/client-rds";
import {
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
} from "@aws-sdk/client-route-53";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAwsClient } from "../../functions/shared/aws-clients.ts";
import { listTenants } from "../../functions/tenant/lib/registry.ts";
import type { Runtime } from "../../local/runtime.ts";
import {
  eventsOf,
  executionsOf,
  failoverRuntime,
  finish,
  onboard,
  outputOf,
  runUntil,
  statesOf,
  writerRegion,
} from "./failover-support.ts";

let runtime: Runtime;

beforeAll(async () => {
  runtime = await failoverRuntime();
  await onboard(runtime, [
    { name: "Prime Bank", tier: "premium" },
    { name: "Steady Shop", tier: "standard" },
    { name: "Basic Blog", tier: "basic" },
  ]);
  // Long enough for the copy schedule to have a copy of each snapshot-tier tenant in the secondary.
  await runtime.clock.sleep(20 * 60_000);
}, 600_000);
afterAll(async () => {
  await runtime?.close();
});

describe("an unplanned failover with the primary region down", () => {
  it("is started by the region-health alarm and moves the platform and every tier to the secondary", async () => {
    // Act
    const downAt = runtime.clock.now();
    runtime.cloud.faults.regionDown(runtime.region);
    await runUntil(
      runtime,
      () => executionsOf(runtime, "regional-failover").length > 0,
      "the alarm's failover",
    );
    const [run] = executionsOf(runtime, "regional-failover");
    const execution = await finish(runtime, run?.executionArn ?? "", "the failover");

    // Assess
    expect(execution.status, `${execution.error} ${execution.cause}`).toBe("SUCCEEDED");
    const output = outputOf(runtime, execution.executionArn) as {
      outcome: string;
      mode: string;
      rtoSeconds: number;
      perTier: Record<string, { rtoSeconds: number; rpoSeconds: number; recovered: number; failed: number }>;
      missedTargets: unknown[];
    };
    expect(output, JSON.stringify(output, null, 1)).toMatchObject({
      outcome: "succeeded",
      mode: "failover",
      missedTargets: [],
    });
    expect(Object.keys(output.perTier).sort()).toEqual(["basic", "platform", "premium", "standard"]);
    for (const tier of Object.values(output.perTier)) expect(tier).toMatchObject({ recovered: 1, failed: 0 });
    // The platform and premium within 5 simulated minutes of the alarm.
    expect(output.perTier.platform?.rtoSeconds).toBeLessThanOrEqual(300);
    expect(output.perTier.premium?.rtoSeconds).toBeLessThanOrEqual(300);
    // The flap guard held before anything changed.
    expect(statesOf(runtime, execution.executionArn)).toEqual(
      expect.arrayContaining(["HoldForFlapGuard", "CheckSignal", "AcquireLocks", "Recover", "VerifyTraffic"]),
    );

    const secondary = runtime.secondaryRegion;
    expect(await writerRegion(runtime, "cplane-platform")).toBe(secondary);
    expect(await writerRegion(runtime, "tenant-prime-bank-global")).toBe(secondary);
    const rds = createAwsClient(RDSClient, { region: secondary });
    for (const slug of ["steady-shop", "basic-blog"]) {
      const { DBClusters } = await rds.send(
        new DescribeDBClustersCommand({ DBClusterIdentifier: `tenant-${slug}` }),
      );
      expect(DBClusters?.[0]?.Status, slug).toBe("available");
    }
    const tenants = await listTenants();
    for (const tenant of tenants) expect(tenant.region, tenant.slug).toBe(secondary);
    const route53 = createAwsClient(Route53Client, { region: runtime.region });
    const zone = (await route53.send(new ListHostedZonesByNameCommand({ DNSName: "cplane.example.com" })))
      .HostedZones?.[0]?.Id;
    const { ResourceRecordSets } = await route53.send(
      new ListResourceRecordSetsCommand({ HostedZoneId: zone }),
    );
    const primary = ResourceRecordSets?.find((r) => r.Failover === "PRIMARY");
    expect(primary?.SetIdentifier).toBe(secondary);

    const [completed] = eventsOf(runtime, "Region Failover Completed");
    expect(completed).toMatchObject({ fromRegion: runtime.region, toRegion: secondary, mode: "failover" });
    expect(Date.parse(String(execution.stopDate)) - downAt).toBeGreaterThan(0);
  }, 900_000);
});
