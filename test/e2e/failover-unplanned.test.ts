/**
 * An unplanned regional failover on the local runtime, from the outage to the report: the primary
 * region goes down, its region-health alarm starts regional-failover on its own, and the platform's
 * global database, a premium tenant's global secondary, and standard and basic tenants restored from
 * their cross-region copies end up serving from the secondary region, measured against their tiers.
 * On the way: a transient FailoverGlobalCluster error is retried, one tenant's unrestorable copy is
 * reported while the others proceed, and a second failover started meanwhile is refused.
 */
import { DescribeDBClusterSnapshotsCommand, DescribeDBClustersCommand, RDSClient } from "@aws-sdk/client-rds";
import {
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
} from "@aws-sdk/client-route-53";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { latestCopy } from "../../functions/failover/lib/copies.ts";
import { drSnapshots, findClusterIn } from "../../functions/failover/lib/dr-setup.ts";
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
  start,
  statesOf,
  writerRegion,
} from "./failover-support.ts";

let runtime: Runtime;

beforeAll(async () => {
  runtime = await failoverRuntime();
  await onboard(runtime, [
    { name: "Prime Bank", tier: "premium" },
    { name: "Steady Shop", tier: "standard" },
    { name: "Broken Copy", tier: "standard" },
    { name: "Basic Blog", tier: "basic" },
  ]);
  // Long enough for the copy schedule to have a copy of each snapshot-tier tenant in the secondary.
  await runtime.clock.sleep(20 * 60_000);
}, 600_000);
afterAll(async () => {
  await runtime?.close();
});

interface FailoverOutput {
  outcome: string;
  mode: string;
  rtoSeconds: number;
  perTier: Record<string, { rtoSeconds: number; rpoSeconds: number; recovered: number; failed: number }>;
  missedTargets: { subject: string; reason: string }[];
}

describe("an unplanned failover with the primary region down", () => {
  it("is started by the alarm and moves the platform and every tier, retrying and reporting what failed", async () => {
    // Prepare: the copy of one tenant cannot be restored; the first FailoverGlobalCluster call fails.
    const secondary = runtime.secondaryRegion;
    const copies = await drSnapshots(secondary, "broken-copy");
    expect(copies.some((c) => c.Status === "available")).toBe(true);
    for (const copy of copies)
      runtime.cloud.faults.corruptSnapshot(copy.DBClusterSnapshotIdentifier ?? "", {
        region: secondary,
        mode: "unrestorable",
      });
    runtime.cloud.faults.add({
      kind: "error",
      service: "RDS",
      operation: "FailoverGlobalCluster",
      error: "InternalFailure",
      times: 1,
    });

    // Act
    runtime.cloud.faults.regionDown(runtime.region);
    await runUntil(
      runtime,
      () => executionsOf(runtime, "regional-failover").length > 0,
      "the alarm's failover",
    );
    const [run] = executionsOf(runtime, "regional-failover");
    const arn = run?.executionArn ?? "";
    await runUntil(
      runtime,
      () => statesOf(runtime, arn).includes("Recover"),
      "the failover holding the fleet",
    );
    const second = start(runtime, "regional-failover", {
      trigger: "manual",
      mode: "failover",
      reason: "a second pair of hands",
    });
    const execution = await finish(runtime, arn, "the failover");
    const refused = await finish(runtime, second, "the second failover");

    // Assess
    expect(execution.status, `${execution.error} ${execution.cause}`).toBe("SUCCEEDED");
    const output = outputOf(runtime, arn) as unknown as FailoverOutput;
    expect(output, JSON.stringify(output)).toMatchObject({ outcome: "partial", mode: "failover" });
    expect(output.missedTargets).toEqual([
      expect.objectContaining({
        subject: "broken-copy",
        reason: expect.stringContaining("incompatible-restore"),
      }),
    ]);
    expect(output.perTier.standard).toMatchObject({ recovered: 1, failed: 1 });
    for (const tier of ["platform", "premium", "basic"])
      expect(output.perTier[tier], tier).toMatchObject({ recovered: 1, failed: 0 });
    // The platform and premium within 5 simulated minutes of the alarm; each tier within its RTO.
    expect(output.perTier.platform?.rtoSeconds).toBeLessThanOrEqual(300);
    expect(output.perTier.premium?.rtoSeconds).toBeLessThanOrEqual(300);
    expect(output.perTier.standard?.rtoSeconds).toBeLessThanOrEqual(1800);
    expect(output.perTier.basic?.rtoSeconds).toBeLessThanOrEqual(3600);
    expect(output.perTier.premium?.rpoSeconds).toBeLessThanOrEqual(60);
    // The flap guard held before anything changed; the transient error was retried.
    const states = statesOf(runtime, arn);
    expect(states.indexOf("CheckSignal")).toBeLessThan(states.indexOf("AcquireLocks"));
    expect(states.filter((s) => s === "dbStart").length).toBe(2);
    expect(
      runtime.cloud.calls.filter(
        (c) => c.operation === "FailoverGlobalCluster" && c.error === "InternalFailure",
      ),
    ).toHaveLength(1);

    expect(await writerRegion(runtime, "cplane-platform")).toBe(secondary);
    expect(await writerRegion(runtime, "tenant-prime-bank-global")).toBe(secondary);
    const rds = createAwsClient(RDSClient, { region: secondary });
    for (const slug of ["steady-shop", "basic-blog"]) {
      const { DBClusters } = await rds.send(
        new DescribeDBClustersCommand({ DBClusterIdentifier: `tenant-${slug}` }),
      );
      expect(DBClusters?.[0]?.Status, slug).toBe("available");
    }
    const regions = Object.fromEntries((await listTenants()).map((t) => [t.slug, t.region]));
    expect(regions).toEqual({
      "prime-bank": secondary,
      "steady-shop": secondary,
      "broken-copy": runtime.region,
      "basic-blog": secondary,
    });
    const route53 = createAwsClient(Route53Client, { region: runtime.region });
    const zone = (await route53.send(new ListHostedZonesByNameCommand({ DNSName: "cplane.example.com" })))
      .HostedZones?.[0]?.Id;
    const { ResourceRecordSets } = await route53.send(
      new ListResourceRecordSetsCommand({ HostedZoneId: zone }),
    );
    expect(ResourceRecordSets?.find((r) => r.Failover === "PRIMARY")?.SetIdentifier).toBe(secondary);
    expect(eventsOf(runtime, "Region Failover Completed")).toEqual([
      expect.objectContaining({ fromRegion: runtime.region, toRegion: secondary, mode: "failover" }),
    ]);

    // The second failover found the fleet held and was refused, naming the holder.
    expect(refused.status).toBe("FAILED");
    expect(refused.error).toBe("LocksHeldError");
    expect(refused.cause).toContain(arn);
    expect(eventsOf(runtime, "Region Failover Failed")).toEqual([
      expect.objectContaining({ error: "LocksHeldError", step: "acquire-locks" }),
    ]);
  }, 900_000);

  it("after the region is back: stale clusters go (snapshot kept), copies resume, a planned switchback returns", async () => {
    // Act: the region comes back; readiness runs (re-establishing first) as its schedule would.
    const primary = runtime.region;
    const upAt = runtime.clock.now();
    runtime.cloud.faults.regionUp(primary);
    for (let round = 0; round < 3; round++) {
      const run = start(runtime, "dr-readiness", { trigger: "manual", requestedBy: "test" });
      expect((await finish(runtime, run)).status).toBe("SUCCEEDED");
      await runtime.clock.sleep(10 * 60_000);
    }
    const switchback = start(runtime, "regional-failover", {
      trigger: "manual",
      mode: "switchover",
      reason: `switch back to ${primary}`,
    });
    const back = await finish(runtime, switchback);

    // Assess
    const stale = await findClusterIn(primary, "tenant-steady-shop");
    expect(stale === undefined || stale.Status === "deleting").toBe(true);
    const { DBClusterSnapshots } = await createAwsClient(RDSClient, { region: primary }).send(
      new DescribeDBClusterSnapshotsCommand({
        DBClusterIdentifier: "tenant-steady-shop",
        SnapshotType: "manual",
      }),
    );
    expect(
      DBClusterSnapshots?.some((s) => s.DBClusterSnapshotIdentifier?.startsWith("tenant-steady-shop-stale-")),
    ).toBe(true);
    const copy = await latestCopy(primary, "steady-shop");
    expect(Date.parse(copy?.createdAt ?? "")).toBeGreaterThan(upAt);
    expect(back.status, `${back.error} ${back.cause}`).toBe("SUCCEEDED");
    expect(await writerRegion(runtime, "cplane-platform")).toBe(primary);
    expect(await writerRegion(runtime, "tenant-prime-bank-global")).toBe(primary);
  }, 900_000);
});
