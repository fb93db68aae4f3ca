/**
 * What a call can change, proven. A service's pure reads (`pureReads`) change no state: each one listed, called on a cloud with the demo
 * fleet and a snapshot, leaves the saved state of the services it could reach byte for byte as it was,
 * and their change tokens as they were (so the next checkpoint does not serialize them again). The
 * services that change with time alone (CloudWatch, traffic, Route 53's health checks: the instant
 * clock moves during a call) are left out of the comparison. Every operation a service lists must have
 * an input here: listing one proves nothing until it is tried. Likewise an operation a service narrows
 * (`reaches`) leaves every service outside what it names as it was, with its token, and so do the
 * jobs it schedules (cloud.ts JOB_REACHES).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JsonText } from "../../../local/cloud/changes.ts";
import type { LocalCloud } from "../../../local/cloud/cloud.ts";
import { createDemoFleet } from "../../../local/cloud/demo.ts";
import { startCloud, stopCloud } from "./support.ts";

let cloud: LocalCloud;
/** The services a call to RDS, EKS or Secrets Manager can reach (cloud.ts REACHES). */
const COMPARED = ["RDS", "EKS", "SecretsManager"];
const dir = mkdtempSync(join(tmpdir(), "cplane-pure-reads-"));
const region = "us-east-1";

/** An input for each pure read, on what the set-up below made. */
const INPUTS: Record<string, Record<string, Record<string, unknown>>> = {
  RDS: {
    DescribeDBClusters: {},
    DescribeDBClusterSnapshots: { SnapshotType: "manual" },
    DescribeGlobalClusters: {},
    DescribeDBInstances: {},
    ListTagsForResource: { ResourceName: "arn:aws:rds:us-east-1:123456789012:cluster:cplane-platform" },
  },
  EKS: {
    DescribeCluster: { name: "cplane-us-east-1" },
    ListClusters: {},
    DescribeNodegroup: { clusterName: "cplane-us-east-1", nodegroupName: "general" },
    ListNodegroups: { clusterName: "cplane-us-east-1" },
    ListAccessEntries: { clusterName: "cplane-us-east-1" },
    ListPodIdentityAssociations: { clusterName: "cplane-us-east-1" },
  },
  SecretsManager: {
    DescribeSecret: { SecretId: "cplane/pure/reads" },
    ListSecrets: { Filters: [{ Key: "name", Values: ["cplane/"] }] },
    GetSecretValue: { SecretId: "cplane/pure/reads" },
  },
};

beforeAll(async () => {
  cloud = startCloud({ dataDir: dir }).cloud;
  await createDemoFleet(cloud);
  await cloud.send({
    service: "SecretsManager",
    operation: "CreateSecret",
    region,
    input: { Name: "cplane/pure/reads", SecretString: "s" },
  });
  await cloud.send({
    service: "RDS",
    operation: "CreateDBClusterSnapshot",
    region,
    input: { DBClusterIdentifier: "cplane-platform", DBClusterSnapshotIdentifier: "pure-reads" },
  });
  // Every lifecycle settled (the snapshot available), so that no job changes state during a test.
  await cloud.clock.sleep(60 * 60_000);
}, 120_000);
afterAll(async () => {
  await stopCloud(cloud);
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Every service's state as a checkpoint writes it: serialized afresh (every token raised first), or as
 * the next checkpoint would take it (reusing the text of a service whose token stands).
 */
async function snapshotOfState(
  how: "afresh" | "as a checkpoint" = "afresh",
): Promise<Record<string, string>> {
  if (how === "afresh") cloud.context.changes?.markAll();
  const out: Record<string, string> = {};
  for (const service of Object.values(cloud.services)) {
    if (!service.save || !COMPARED.includes(service.name)) continue;
    const saved = await service.save(dir);
    out[service.name] = saved instanceof JsonText ? saved.text : JSON.stringify(saved);
  }
  return out;
}

const tokens = () => Object.fromEntries(COMPARED.map((name) => [name, cloud.context.changes?.token(name)]));

describe("pure reads", () => {
  it("every operation a service lists as a pure read has an input in this test", () => {
    const listed = Object.values(cloud.services).flatMap((service) =>
      [...(service.pureReads ?? [])].map((operation) => `${service.name}:${operation}`),
    );
    const tried = Object.entries(INPUTS).flatMap(([service, ops]) =>
      Object.keys(ops).map((operation) => `${service}:${operation}`),
    );
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.sort()).toEqual(tried.sort());
  });

  for (const [service, operations] of Object.entries(INPUTS)) {
    for (const [operation, input] of Object.entries(operations)) {
      it(`${service}:${operation} changes no state and no change token`, async () => {
        // Prepare
        const before = await snapshotOfState();
        const tokensBefore = tokens();

        // Act
        const output = await cloud.send({ service, operation, region, input });

        // Assess
        expect(output).toBeDefined();
        expect(tokens()).toEqual(tokensBefore);
        expect(await snapshotOfState()).toEqual(before);
      });
    }
  }

  it("a read that is not listed still counts as a change (the conservative default)", async () => {
    const before = cloud.context.changes?.token("Route53");
    await cloud.send({ service: "Route53", operation: "ListHostedZones", region, input: {} });
    expect(cloud.context.changes?.token("Route53")).not.toBe(before);
  });
});

const SNAPSHOT_ARN = `arn:aws:rds:${region}:123456789012:cluster-snapshot:pure-reads`;
const PLATFORM_ARN = `arn:aws:rds:${region}:123456789012:cluster:cplane-platform`;

/** An input for each narrowed operation, in an order that lets each act on what the one before made. */
const NARROWED: [service: string, operation: string, input: Record<string, unknown>][] = [
  [
    "RDS",
    "CreateDBClusterSnapshot",
    { DBClusterIdentifier: "cplane-platform", DBClusterSnapshotIdentifier: "reach-made" },
  ],
  [
    "RDS",
    "CopyDBClusterSnapshot",
    { SourceDBClusterSnapshotIdentifier: SNAPSHOT_ARN, TargetDBClusterSnapshotIdentifier: "reach-copy" },
  ],
  ["RDS", "DeleteDBClusterSnapshot", { DBClusterSnapshotIdentifier: "reach-made" }],
  ["RDS", "AddTagsToResource", { ResourceName: PLATFORM_ARN, Tags: [{ Key: "reach", Value: "1" }] }],
  ["RDS", "RemoveTagsFromResource", { ResourceName: PLATFORM_ARN, TagKeys: ["reach"] }],
];

describe("narrowed reaches", () => {
  it("every operation a service narrows has an input in this test", () => {
    const listed = Object.values(cloud.services).flatMap((service) =>
      Object.keys(service.reaches ?? {}).map((operation) => `${service.name}:${operation}`),
    );
    const tried = NARROWED.map(([service, operation]) => `${service}:${operation}`);
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.sort()).toEqual(tried.sort());
  });

  for (const [service, operation, input] of NARROWED) {
    it(`${service}:${operation}, and the jobs it schedules, change only what it names`, async () => {
      // Prepare
      const reach = cloud.services[service]?.reaches?.[operation] ?? [];
      const outside = <T>(state: Record<string, T>) =>
        Object.fromEntries(Object.entries(state).filter(([name]) => !reach.includes(name)));
      const before = outside(await snapshotOfState());
      const tokensBefore = tokens();

      // Act: the call, a checkpoint, then an hour for what it scheduled (a snapshot's becoming available).
      await cloud.send({ service, operation, region, input });
      await snapshotOfState("as a checkpoint");
      await cloud.clock.sleep(60 * 60_000);
      const checkpointed = await snapshotOfState("as a checkpoint");

      // Assess: what it names changed; nothing outside did, state or token.
      const tokensAfter = tokens();
      for (const name of reach) expect(tokensAfter[name]).not.toBe(tokensBefore[name]);
      expect(outside(tokensAfter)).toEqual(outside(tokensBefore));
      const fresh = await snapshotOfState();
      expect(outside(fresh)).toEqual(before);
      expect(Object.keys(before).length).toBeGreaterThan(0);
      // And the next checkpoint misses nothing the call or its jobs changed after the one before.
      expect(checkpointed).toEqual(fresh);
    });
  }
});
