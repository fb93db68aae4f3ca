/**
 * A tenant whose tier changes is brought into line with its new tier's DR profile by the readiness
 * run, on the local runtime: a standard tenant made premium joins a global database (secondary in the
 * paired region) and its snapshot copies go; a premium tenant made standard leaves its global database
 * (its secondary deleted, its writer kept) and gets snapshot copies. Each change is reported in
 * `DR Readiness Changed` with its reason, recorded on the tenant, and a run with nothing to change
 * changes nothing.
 */
import { DynamoDBClient, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { latestCopy } from "../../functions/failover/lib/copies.ts";
import { drSnapshots, findClusterIn, findGlobal } from "../../functions/failover/lib/dr-setup.ts";
import { createAwsClient } from "../../functions/shared/aws-clients.ts";
import { getTenant, tenantKey } from "../../functions/tenant/lib/registry.ts";
import { EKS_CLUSTER_NAME, type Runtime, TENANT_TABLE } from "../../local/runtime.ts";
import { eventsOf, failoverRuntime, finish, onboard, start } from "./failover-support.ts";

let runtime: Runtime;
let primary: string;
let secondary: string;

/** The tier change itself, as an admin's tool would write it: the registry is the truth. */
async function setTier(slug: string, tier: string): Promise<void> {
  const dynamodb = createAwsClient(DynamoDBClient, { region: primary });
  await dynamodb.send(
    new UpdateItemCommand({
      TableName: TENANT_TABLE,
      Key: tenantKey(slug),
      UpdateExpression: "SET tier = :tier",
      ExpressionAttributeValues: { ":tier": { S: tier } },
    }),
  );
}

async function readinessRun(): Promise<void> {
  const run = await finish(runtime, start(runtime, "dr-readiness", { trigger: "manual" }));
  if (run.status !== "SUCCEEDED") throw new Error(`dr-readiness: ${run.error} ${run.cause}`);
}

/** Readiness runs ten simulated minutes apart until `done` holds (deletions and creations take time). */
async function reconcileUntil(done: () => Promise<boolean>, what: string): Promise<void> {
  for (let run = 0; run < 12; run++) {
    await readinessRun();
    if (await done()) return;
    await runtime.clock.sleep(10 * 60_000);
  }
  throw new Error(`${what}: not after 12 readiness runs`);
}

const reconciles = async (slug: string) =>
  ((await getTenant(slug))?.history ?? []).filter((h) => h.step === "reconcile-dr").length;

beforeAll(async () => {
  runtime = await failoverRuntime();
  primary = runtime.region;
  secondary = runtime.secondaryRegion;
  await onboard(runtime, [
    { name: "Rising Co", tier: "standard" },
    { name: "Falling Co", tier: "premium" },
  ]);
  await runtime.clock.sleep(20 * 60_000);
  await readinessRun();
}, 900_000);
afterAll(async () => {
  await runtime?.close();
});

describe("a tenant whose tier changed", () => {
  it("standard → premium: joins a global database with a secondary there, its snapshot copies go", async () => {
    // Prepare
    expect(await latestCopy(secondary, "rising-co")).toBeDefined();
    expect(await findGlobal(primary, "tenant-rising-co-global")).toBeUndefined();

    // Act
    await setTier("rising-co", "premium");
    await reconcileUntil(async () => {
      const secondaryCluster = await findClusterIn(secondary, "tenant-rising-co");
      const copies = [
        ...(await drSnapshots(primary, "rising-co")),
        ...(await drSnapshots(secondary, "rising-co")),
      ];
      return secondaryCluster?.Status === "available" && copies.length === 0;
    }, "rising-co in a global database");

    // Assess
    const global = await findGlobal(primary, "tenant-rising-co-global");
    const members = global?.GlobalClusterMembers ?? [];
    expect(members.find((m) => m.IsWriter)?.DBClusterArn).toContain(`:${primary}:`);
    expect(members.find((m) => !m.IsWriter)?.DBClusterArn).toContain(`:${secondary}:`);
    const reported = eventsOf(runtime, "DR Readiness Changed").flatMap(
      (e) => e.changed as { subject: string; reason: string }[],
    );
    expect(reported).toContainEqual(
      expect.objectContaining({
        subject: "rising-co",
        reason: expect.stringContaining("tier premium: joining global database tenant-rising-co-global"),
      }),
    );
    // The DR namespace follows the tier (its quotas are premium's now).
    const namespace = runtime.cloud.eks
      .kubernetes(EKS_CLUSTER_NAME, secondary)
      ?.get("Namespace", undefined, "rising-co");
    expect((namespace?.metadata?.labels as Record<string, string> | undefined)?.["cplane.io/tier"]).toBe(
      "premium",
    );
  }, 900_000);

  it("premium → standard: leaves its global database (writer kept, secondary deleted) and gets snapshot copies", async () => {
    // Act
    await setTier("falling-co", "standard");
    await reconcileUntil(async () => {
      const global = await findGlobal(primary, "tenant-falling-co-global");
      const secondaryCluster = await findClusterIn(secondary, "tenant-falling-co");
      return !global && !secondaryCluster && (await drSnapshots(primary, "falling-co")).length > 0;
    }, "falling-co on snapshot copies");

    // Assess
    const writer = await findClusterIn(primary, "tenant-falling-co");
    expect({ status: writer?.Status, global: writer?.GlobalClusterIdentifier }).toEqual({
      status: "available",
      global: undefined,
    });
    // The copy schedule takes it from there.
    await runtime.clock.sleep(20 * 60_000);
    expect(await latestCopy(secondary, "falling-co")).toBeDefined();
    const reported = eventsOf(runtime, "DR Readiness Changed").flatMap(
      (e) => e.changed as { subject: string; reason: string }[],
    );
    expect(reported).toContainEqual(
      expect.objectContaining({
        subject: "falling-co",
        reason: expect.stringContaining("tier standard: leaving global database tenant-falling-co-global"),
      }),
    );
    expect(reported).toContainEqual(
      expect.objectContaining({
        subject: "falling-co",
        reason: expect.stringContaining("tier standard: left global database"),
      }),
    );
  }, 900_000);

  it("is left alone once in line: another run records and reports nothing for it", async () => {
    // Prepare
    const before = { rising: await reconciles("rising-co"), falling: await reconciles("falling-co") };
    expect(before.rising).toBeGreaterThan(0);
    // Onboarding made both tenants' DR space: reconciliation recorded only the tier changes.
    expect(before.falling).toBeGreaterThan(0);
    const events = eventsOf(runtime, "DR Readiness Changed").length;

    // Act
    await readinessRun();

    // Assess
    expect({ rising: await reconciles("rising-co"), falling: await reconciles("falling-co") }).toEqual(
      before,
    );
    // (A light may still change as copies age; no reconciliation is reported.)
    const latest = eventsOf(runtime, "DR Readiness Changed").slice(events);
    const reasons = latest.flatMap((e) => (e.changed as { reason: string }[]).map((c) => c.reason));
    expect(reasons.filter((r) => r.includes("tier "))).toEqual([]);
  }, 900_000);
});
