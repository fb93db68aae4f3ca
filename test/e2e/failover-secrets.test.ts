/**
 * A tenant's database secret as an app in either region reads it, on the local runtime: after a
 * switchover it names the cluster now writing in the secondary (the primary secret written, its replica
 * following), after the switch back the primary's again; after an unplanned failover with the primary
 * region down, the replica in the secondary is promoted to a standalone secret naming the promoted
 * cluster (premium) or the restored one (standard); once the region is back, replicated again over the
 * stale one there, and after the switch back naming the primary's cluster again.
 */
import { DescribeDBClustersCommand, DescribeGlobalClustersCommand, RDSClient } from "@aws-sdk/client-rds";
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAwsClient } from "../../functions/shared/aws-clients.ts";
import type { Runtime } from "../../local/runtime.ts";
import { failoverRuntime, finish, onboard, start } from "./failover-support.ts";

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
  // Copies of the standard tenant's snapshots reach the secondary.
  await runtime.clock.sleep(20 * 60_000);
}, 900_000);
afterAll(async () => {
  await runtime?.close();
});

/** The secret as an app in `region` reads it. */
async function secretIn(region: string, slug: string): Promise<Record<string, unknown>> {
  const secrets = createAwsClient(SecretsManagerClient, { region });
  const { SecretString } = await secrets.send(
    new GetSecretValueCommand({ SecretId: `cplane/tenants/${slug}/db` }),
  );
  return JSON.parse(SecretString ?? "{}") as Record<string, unknown>;
}

/** The endpoint of the tenant's global database member in `region`. */
async function memberEndpoint(slug: string, region: string): Promise<string | undefined> {
  const rds = createAwsClient(RDSClient, { region });
  const { GlobalClusters } = await rds.send(
    new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: `tenant-${slug}-global` }),
  );
  const arn = GlobalClusters?.[0]?.GlobalClusterMembers?.find(
    (m) => m.DBClusterArn?.split(":")[3] === region,
  )?.DBClusterArn;
  const { DBClusters } = await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: arn }));
  return DBClusters?.[0]?.Endpoint;
}

async function endpointOf(cluster: string, region: string): Promise<string | undefined> {
  const rds = createAwsClient(RDSClient, { region });
  const { DBClusters } = await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: cluster }));
  return DBClusters?.[0]?.Endpoint;
}

const manual = (mode: string) => ({ trigger: "manual", mode, reason: `${mode} for the secrets test` });

describe("a tenant's database secret across regions", () => {
  it("names the promoted cluster after a switchover, in both regions, and the primary's after the switch back", async () => {
    // Prepare
    const home = await memberEndpoint("gold-co", primary);
    const away = await memberEndpoint("gold-co", secondary);
    expect(home).not.toBe(away);
    expect((await secretIn(secondary, "gold-co")).host).toBe(home);

    // Act
    const over = await finish(runtime, start(runtime, "regional-failover", manual("switchover")));

    // Assess: an app in the secondary reaches the writer there; the secret keeps its other fields.
    expect(over.status, `${over.error} ${over.cause}`).toBe("SUCCEEDED");
    const replica = await secretIn(secondary, "gold-co");
    expect(replica.host).toBe(away);
    expect(replica).toMatchObject({ username: expect.any(String), dbname: expect.any(String) });
    expect(String(replica.password).length).toBeGreaterThanOrEqual(16);
    expect((await secretIn(primary, "gold-co")).host).toBe(away);

    // Act: back home
    const back = await finish(runtime, start(runtime, "regional-failover", manual("switchover")));

    // Assess
    expect(back.status, `${back.error} ${back.cause}`).toBe("SUCCEEDED");
    expect((await secretIn(secondary, "gold-co")).host).toBe(home);
    expect((await secretIn(primary, "gold-co")).host).toBe(home);
  }, 900_000);

  it("is promoted in the secondary when the primary region is lost, naming the promoted and the restored clusters", async () => {
    // Act: the primary region goes down; a person fails over.
    runtime.cloud.faults.regionDown(primary);
    try {
      const run = await finish(runtime, start(runtime, "regional-failover", manual("failover")));

      // Assess
      expect(run.status, `${run.error} ${run.cause}`).toBe("SUCCEEDED");
      expect(JSON.parse(run.output ?? "{}")).toMatchObject({ outcome: "succeeded", missedTargets: [] });
      const gold = await secretIn(secondary, "gold-co");
      expect(gold.host).toBe(await memberEndpoint("gold-co", secondary));
      const silver = await secretIn(secondary, "silver-co");
      expect(silver.host).toBe(await endpointOf("tenant-silver-co", secondary));
      expect(silver.dbClusterIdentifier).toBe("tenant-silver-co");
    } finally {
      runtime.cloud.faults.regionUp(primary);
    }
  }, 900_000);

  it("is replicated again over the stale one once the region is back, and names the primary's cluster after the switch back", async () => {
    // Act: the region came back (the test above); the readiness schedule re-establishes DR.
    await runtime.clock.sleep(10 * 60_000);
    const readiness = await finish(runtime, start(runtime, "dr-readiness", { trigger: "manual" }));
    expect(readiness.status, `${readiness.error} ${readiness.cause}`).toBe("SUCCEEDED");

    // Assess: the secondary's secret is the primary now, replicated over the stale one at home.
    const secrets = createAwsClient(SecretsManagerClient, { region: secondary });
    const described = await secrets.send(
      new DescribeSecretCommand({ SecretId: "cplane/tenants/gold-co/db" }),
    );
    expect(described.PrimaryRegion).toBe(secondary);
    expect(described.ReplicationStatus?.map((r) => r.Region)).toEqual([primary]);
    expect((await secretIn(primary, "gold-co")).host).toBe(await memberEndpoint("gold-co", secondary));

    // Act: the planned switch back
    const back = await finish(runtime, start(runtime, "regional-failover", manual("switchover")));

    // Assess
    expect(back.status, `${back.error} ${back.cause}`).toBe("SUCCEEDED");
    const home = await memberEndpoint("gold-co", primary);
    expect((await secretIn(primary, "gold-co")).host).toBe(home);
    expect((await secretIn(secondary, "gold-co")).host).toBe(home);
  }, 900_000);
});
