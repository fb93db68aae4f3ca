/**
 * The cross-region copy pipeline on the local runtime follows what changed: a tenant whose cluster
 * writes nothing keeps its DR snapshot (proven unchanged from AWS/RDS VolumeWriteIOPs) and readiness
 * counts that copy's data as current; a tenant that writes gets a new snapshot and copy.
 */
import { DescribeDBClustersCommand, RDSClient } from "@aws-sdk/client-rds";
import { ExecuteStatementCommand, RDSDataClient } from "@aws-sdk/client-rds-data";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readCopyProofs } from "../../functions/failover/lib/copy-proofs.ts";
import { drSnapshots } from "../../functions/failover/lib/dr-setup.ts";
import { drNames } from "../../functions/failover/lib/names.ts";
import { readReadiness } from "../../functions/failover/lib/store.ts";
import { createAwsClient } from "../../functions/shared/aws-clients.ts";
import type { Runtime } from "../../local/runtime.ts";
import { executionsOf, failoverRuntime, finish, onboard, outputOf, start } from "./failover-support.ts";

let runtime: Runtime;

beforeAll(async () => {
  runtime = await failoverRuntime();
  await onboard(runtime, [
    { name: "Quiet Shop", tier: "standard" },
    { name: "Busy Shop", tier: "standard" },
  ]);
  // The first DR snapshots (one more after the onboarding's own writes) and their copies.
  await runtime.clock.sleep(25 * 60_000);
}, 600_000);
afterAll(async () => {
  await runtime?.close();
});

/** The identifiers of a tenant's DR snapshots at home, newest first. */
async function homeSnapshots(slug: string): Promise<string[]> {
  return (await drSnapshots(runtime.region, slug))
    .sort((a, b) => (b.SnapshotCreateTime?.getTime() ?? 0) - (a.SnapshotCreateTime?.getTime() ?? 0))
    .map((s) => s.DBClusterSnapshotIdentifier ?? "");
}

async function write(slug: string): Promise<void> {
  const rds = createAwsClient(RDSClient, { region: runtime.region });
  const { DBClusters } = await rds.send(
    new DescribeDBClustersCommand({ DBClusterIdentifier: drNames(slug).clusterIdentifier }),
  );
  const cluster = DBClusters?.[0];
  await createAwsClient(RDSDataClient, { region: runtime.region }).send(
    new ExecuteStatementCommand({
      resourceArn: cluster?.DBClusterArn,
      secretArn: cluster?.MasterUserSecret?.SecretArn,
      sql: "create table orders (id int primary key)",
    }),
  );
}

describe("the DR copy pipeline", () => {
  it("takes no new snapshot of a cluster that wrote nothing, proves its copy current, and snapshots one that wrote", async () => {
    // Prepare: where both tenants stand; then one of them writes.
    const quietBefore = await homeSnapshots("quiet-shop");
    const busyBefore = await homeSnapshots("busy-shop");
    expect(quietBefore.length).toBeGreaterThan(0);
    expect(busyBefore.length).toBeGreaterThan(0);
    await write("busy-shop");

    // Act: half an hour of the schedule (a standard tenant is due a snapshot every 5 minutes).
    await runtime.clock.sleep(30 * 60_000);
    await runtime.bus.drain();

    // Assess: the quiet tenant still has the same newest snapshot, and a proof that it holds its data
    // up to the last five minutes; the busy one has a newer snapshot.
    expect((await homeSnapshots("quiet-shop"))[0]).toBe(quietBefore[0]);
    const busyAfter = await homeSnapshots("busy-shop");
    expect(busyAfter[0]).not.toBe(busyBefore[0]);
    const proofs = await readCopyProofs();
    expect(proofs["quiet-shop"]?.snapshot).toBe(quietBefore[0]);
    expect(runtime.clock.now() - (proofs["quiet-shop"]?.provenTo ?? 0)).toBeLessThanOrEqual(10 * 60_000);
    const rounds = executionsOf(runtime, "dr-snapshot-copies").filter((e) => e.status === "SUCCEEDED");
    const last = outputOf(runtime, rounds[0]?.executionArn ?? "") as { unchanged?: number };
    expect(last.unchanged).toBeGreaterThanOrEqual(1);

    // Readiness counts the quiet tenant's copy as current although it is older than the RPO.
    const readiness = await finish(
      runtime,
      start(runtime, "dr-readiness", { trigger: "manual" }),
      "readiness",
    );
    expect(readiness.status).toBe("SUCCEEDED");
    const quiet = (await readReadiness())?.subjects.find((s) => s.subject === "quiet-shop");
    expect(quiet).toMatchObject({ status: "green" });
    expect(quiet?.reason).toContain("no write since");
    expect(quiet?.copyAgeSeconds).toBeLessThanOrEqual(15 * 60);
  });
});
