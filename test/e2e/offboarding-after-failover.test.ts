/**
 * Offboarding tenants an unplanned failover moved to the secondary region, on the local runtime. While
 * the primary region is down: a premium tenant (its global database failed over, the secondary writes)
 * and a standard one (restored from its copy) are offboarded where they run, and what sits in the
 * region that does not answer is recorded on the tenant and in Tenant Offboarded; the premium writer
 * stays (AWS detaches a writer last), snapshotted. Once the region answers, the DR readiness run takes
 * those leftovers away (a snapshot kept of each cluster) and never gives these tenants DR again. Then,
 * the region back but not failed back, a basic and a premium tenant are offboarded with nothing left.
 */

import { GetRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import {
  DescribeDBClusterSnapshotsCommand,
  DescribeGlobalClustersCommand,
  RDSClient,
} from "@aws-sdk/client-rds";
import { DescribeSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { drSnapshots, findClusterIn } from "../../functions/failover/lib/dr-setup.ts";
import { createAwsClient } from "../../functions/shared/aws-clients.ts";
import { getTenant, type TenantRecord } from "../../functions/tenant/lib/registry.ts";
import type { Runtime } from "../../local/runtime.ts";
import {
  eventsOf,
  executionsOf,
  failoverRuntime,
  finish,
  onboard,
  runUntil,
  start,
  statesOf,
} from "./failover-support.ts";

const TENANT_CLUSTER = "cplane-local-tenants";
let runtime: Runtime;
let home: string;
let secondary: string;

beforeAll(async () => {
  runtime = await failoverRuntime();
  home = runtime.region;
  secondary = runtime.secondaryRegion;
  await onboard(runtime, [
    { name: "Prime Vault", tier: "premium" },
    { name: "Steady Store", tier: "standard" },
    { name: "Back Basic", tier: "basic" },
    { name: "Later Prime", tier: "premium" },
  ]);
  // Long enough for the copy schedule to have a copy of each snapshot-tier tenant in the secondary.
  await runtime.clock.sleep(20 * 60_000);
}, 900_000);
afterAll(async () => {
  await runtime?.close();
});

async function offboard(slug: string) {
  const run = start(runtime, "tenant-offboarding", { slug, requestedBy: "e2e", reason: "contract ended" });
  return finish(runtime, run, `offboarding ${slug}`);
}

/** Gone, or on its way (deleting). */
async function clusterGone(region: string, slug: string): Promise<boolean> {
  const cluster = await findClusterIn(region, `tenant-${slug}`);
  return cluster === undefined || cluster.Status === "deleting";
}

async function manualSnapshots(region: string, slug: string): Promise<string[]> {
  const { DBClusterSnapshots } = await createAwsClient(RDSClient, { region }).send(
    new DescribeDBClusterSnapshotsCommand({ DBClusterIdentifier: `tenant-${slug}`, SnapshotType: "manual" }),
  );
  return (DBClusterSnapshots ?? [])
    .filter((s) => s.Status === "available")
    .map((s) => s.DBClusterSnapshotIdentifier ?? "");
}

async function secretIn(region: string, slug: string) {
  return createAwsClient(SecretsManagerClient, { region })
    .send(new DescribeSecretCommand({ SecretId: `cplane/tenants/${slug}/db` }))
    .catch((error: Error) => error);
}

async function globalOf(slug: string) {
  return createAwsClient(RDSClient, { region: secondary })
    .send(new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: `tenant-${slug}-global` }))
    .then((out) => out.GlobalClusters?.[0])
    .catch((error: Error) => error);
}

function namespaceIn(region: string, slug: string) {
  const namespace = runtime.cloud.eks.kubernetes(TENANT_CLUSTER, region)?.get("Namespace", undefined, slug);
  return namespace?.metadata?.deletionTimestamp ? undefined : namespace;
}

async function readiness(rounds: number): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    const run = start(runtime, "dr-readiness", { trigger: "manual", requestedBy: "e2e" });
    expect((await finish(runtime, run)).status).toBe("SUCCEEDED");
    await runtime.clock.sleep(10 * 60_000);
  }
}

describe("offboarding a tenant a failover moved to the secondary region", () => {
  it("while the primary region is down: removes what it reaches and records what it does not", async () => {
    // Prepare: the primary region goes down and its alarm fails the fleet over.
    runtime.cloud.faults.regionDown(home);
    await runUntil(
      runtime,
      () => executionsOf(runtime, "regional-failover").length > 0,
      "the alarm's failover",
    );
    const failover = executionsOf(runtime, "regional-failover")[0]?.executionArn ?? "";
    await runUntil(
      runtime,
      () => statesOf(runtime, failover).includes("Recover"),
      "the failover holding the fleet",
    );

    // Act: one offboarding asked for while the failover holds the fleet, one after.
    const waiting = start(runtime, "tenant-offboarding", { slug: "prime-vault", requestedBy: "e2e" });
    expect((await finish(runtime, failover)).status).toBe("SUCCEEDED");
    const premium = await finish(runtime, waiting, "offboarding prime-vault");
    expect((await getTenant("steady-store"))?.region).toBe(secondary);
    const standard = await offboard("steady-store");

    // Assess: both offboarded where they run.
    expect(premium.status, `${premium.error} ${premium.cause}`).toBe("SUCCEEDED");
    // It waited for the fleet, then found the tenant where the failover had moved it.
    const premiumStates = statesOf(runtime, waiting);
    expect(premiumStates.filter((s) => s === "WaitForLocks").length).toBeGreaterThan(0);
    expect(premiumStates).toContain("RemoveDr");
    expect(standard.status, `${standard.error} ${standard.cause}`).toBe("SUCCEEDED");
    expect(await manualSnapshots(secondary, "steady-store")).toEqual(["tenant-steady-store-final"]);
    expect(await clusterGone(secondary, "steady-store")).toBe(true);
    expect(await drSnapshots(secondary, "steady-store")).toEqual([]);
    expect(await manualSnapshots(secondary, "prime-vault")).toEqual(["tenant-prime-vault-final"]);
    // The premium writer is held by its global database until the member at home is detached there.
    expect(await clusterGone(secondary, "prime-vault")).toBe(false);
    for (const slug of ["prime-vault", "steady-store"]) {
      expect(namespaceIn(secondary, slug), slug).toBeUndefined();
      expect(await secretIn(secondary, slug), slug).toMatchObject({ DeletedDate: expect.any(Date) });
    }
    // What sits at home is recorded on the tenant and in the event, not silently left.
    const vault = await getTenant("prime-vault");
    const store = await getTenant("steady-store");
    expect(vault).toMatchObject({ status: "offboarded", finalSnapshotRegion: secondary });
    const resources = (leftovers: TenantRecord["leftovers"], region: string) =>
      (leftovers ?? []).filter((l) => l.region === region).map((l) => l.resource);
    expect(resources(vault?.leftovers, secondary)).toEqual([
      "DB cluster tenant-prime-vault and global database tenant-prime-vault-global",
    ]);
    expect(vault?.leftovers?.find((l) => l.region === secondary)?.reason).toContain("writer");
    for (const tenant of [vault, store])
      expect(resources(tenant?.leftovers, home), tenant?.slug).toEqual([
        expect.stringContaining(`DB cluster tenant-${tenant?.slug}`),
        expect.stringContaining(`namespace ${tenant?.slug}`),
        `secret cplane/tenants/${tenant?.slug}/db`,
      ]);
    const offboarded = eventsOf(runtime, "Tenant Offboarded");
    expect(offboarded.find((e) => e.slug === "steady-store")).toMatchObject({
      finalSnapshotId: "tenant-steady-store-final",
      finalSnapshotRegion: secondary,
      leftovers: [
        expect.objectContaining({ region: home, reason: `${home} did not answer` }),
        expect.objectContaining({ region: home, reason: `${home} did not answer` }),
        expect.objectContaining({ region: home, reason: `${home} did not answer` }),
      ],
    });
    expect(offboarded.find((e) => e.slug === "prime-vault")?.leftovers).toHaveLength(4);

    // A readiness run while the region is still down leaves them recorded, and the held writer in place.
    const sweep = start(runtime, "dr-readiness", { trigger: "manual", requestedBy: "e2e" });
    await finish(runtime, sweep, "a readiness run during the outage");
    expect(statesOf(runtime, sweep)).toContain("SweepOffboarded");
    expect((await getTenant("steady-store"))?.leftovers).toEqual(store?.leftovers);
    expect((await getTenant("prime-vault"))?.leftovers).toEqual(vault?.leftovers);
    expect(await clusterGone(secondary, "prime-vault")).toBe(false);
  }, 900_000);

  it("once the region answers: the readiness run removes the leftovers and never re-establishes their DR", async () => {
    // Act
    runtime.cloud.faults.regionUp(home);
    await readiness(6);

    // Assess
    for (const slug of ["prime-vault", "steady-store"]) {
      expect((await getTenant(slug))?.leftovers, slug).toBeUndefined();
      expect(await clusterGone(home, slug), slug).toBe(true);
      expect(await clusterGone(secondary, slug), slug).toBe(true);
      // A snapshot was kept of the cluster left at home (its writes may not all have reached the copy).
      expect(
        (await manualSnapshots(home, slug)).some((id) => id.startsWith(`tenant-${slug}-stale-`)),
        slug,
      ).toBe(true);
      // Nothing of DR made again: no copies in either region, no global database, no secret replica.
      expect(await drSnapshots(home, slug), slug).toEqual([]);
      expect(await drSnapshots(secondary, slug), slug).toEqual([]);
      expect(await secretIn(home, slug), slug).toMatchObject({ DeletedDate: expect.any(Date) });
      expect(
        ((await secretIn(secondary, slug)) as { ReplicationStatus?: unknown[] }).ReplicationStatus ?? [],
      ).toEqual([]);
      expect(namespaceIn(home, slug), slug).toBeUndefined();
      const role = await createAwsClient(IAMClient)
        .send(new GetRoleCommand({ RoleName: `cplane-local-tenant-${slug}-operators` }))
        .catch((error: Error) => error);
      expect(role, slug).toMatchObject({ name: "NoSuchEntityException" });
    }
    expect(await globalOf("prime-vault")).toMatchObject({ name: "GlobalClusterNotFoundFault" });
    expect((await getTenant("prime-vault"))?.history.some((h) => h.step === "sweep-offboarded")).toBe(true);
  }, 900_000);

  it("the region back but not failed back: offboards a basic and a premium tenant with nothing left", async () => {
    // Prepare: both still run in the secondary region.
    expect((await getTenant("back-basic"))?.region).toBe(secondary);
    expect((await getTenant("later-prime"))?.region).toBe(secondary);

    // Act
    const basic = await offboard("back-basic");
    const premium = await offboard("later-prime");

    // Assess
    expect(basic.status, `${basic.error} ${basic.cause}`).toBe("SUCCEEDED");
    expect(premium.status, `${premium.error} ${premium.cause}`).toBe("SUCCEEDED");
    for (const slug of ["back-basic", "later-prime"]) {
      const tenant = await getTenant(slug);
      expect(tenant, slug).toMatchObject({ status: "offboarded", finalSnapshotId: `tenant-${slug}-final` });
      expect(tenant?.leftovers, slug).toBeUndefined();
      expect(await clusterGone(home, slug), slug).toBe(true);
      expect(await clusterGone(secondary, slug), slug).toBe(true);
      expect(await manualSnapshots(secondary, slug), slug).toContain(`tenant-${slug}-final`);
      expect(await drSnapshots(home, slug), slug).toEqual([]);
      expect(await drSnapshots(secondary, slug), slug).toEqual([]);
      for (const region of [home, secondary]) {
        const secret = await secretIn(region, slug);
        // Scheduled for deletion, or (a replica) removed with its primary's replication.
        if (!(secret instanceof Error)) expect(secret.DeletedDate, `${slug} ${region}`).toBeInstanceOf(Date);
        expect(namespaceIn(region, slug), `${slug} ${region}`).toBeUndefined();
      }
    }
    expect(await globalOf("later-prime")).toMatchObject({ name: "GlobalClusterNotFoundFault" });
    expect(
      eventsOf(runtime, "Tenant Offboarded").find((e) => e.slug === "later-prime")?.leftovers,
    ).toBeUndefined();
  }, 900_000);
});
