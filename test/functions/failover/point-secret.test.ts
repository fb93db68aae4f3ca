/**
 * failover/point-secret's AWS calls: the tenant's secret written where its primary is, with the new
 * cluster's endpoint and the rest of the value kept; nothing written when it names it already; the
 * replica promoted and written when the primary's region does not answer; the platform skipped. The
 * value never comes back in the result.
 */
import { DescribeDBClustersCommand, RDSClient } from "@aws-sdk/client-rds";
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  StopReplicationToReplicaCommand,
} from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { handler } from "../../../functions/failover/point-secret.ts";
import { lambdaContext } from "../../support/context.ts";

const rds = mockClient(RDSClient);
const secrets = mockClient(SecretsManagerClient);
const EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:cplane-test-regional-failover:run-1";
const NAME = "cplane/tenants/gold-co/db";
const REPLICA_ARN = `arn:aws:secretsmanager:us-west-2:123456789012:secret:${NAME}-AbCdEf`;
const DR_ENDPOINT = "tenant-gold-co-dr.cluster-xyz.us-west-2.rds.amazonaws.com";
const VALUE = {
  engine: "postgres",
  host: "tenant-gold-co.cluster-abc.us-east-1.rds.amazonaws.com",
  port: 5432,
  dbname: "app",
  username: "app_user",
  password: "p4ssw0rd-that-is-long-enough",
  dbClusterIdentifier: "tenant-gold-co",
};
const timeout = () =>
  Object.assign(new Error("connect ETIMEDOUT"), { name: "TimeoutError", code: "ETIMEDOUT" });
const input = {
  subject: "gold-co",
  tenantId: "t-1",
  cluster: "arn:aws:rds:us-west-2:123456789012:cluster:tenant-gold-co-dr",
  region: "us-west-2",
  executionArn: EXECUTION,
};

/** Calls of a command made by the client of `region`. */
async function inRegion(calls: { thisValue: unknown }[], region: string) {
  const out = [];
  for (const call of calls)
    if ((await (call.thisValue as SecretsManagerClient).config.region()) === region) out.push(call);
  return out;
}

beforeEach(() => {
  rds.reset();
  secrets.reset();
  process.env.AWS_REGION = "us-east-1";
  process.env.DR_REGION = "us-west-2";
  rds.on(DescribeDBClustersCommand).resolves({
    DBClusters: [{ DBClusterIdentifier: "tenant-gold-co-dr", Endpoint: DR_ENDPOINT, Port: 5432 }],
  });
  secrets.on(DescribeSecretCommand).resolves({ ARN: REPLICA_ARN, Name: NAME, PrimaryRegion: "us-east-1" });
  secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(VALUE) });
  secrets.on(PutSecretValueCommand).resolves({});
});

describe("point-secret", () => {
  it("writes the primary with the promoted cluster's endpoint, keeping the rest, for the replica to follow", async () => {
    const result = await handler(input, lambdaContext());

    const puts = secrets.commandCalls(PutSecretValueCommand);
    expect(puts).toHaveLength(1);
    expect(await inRegion(puts, "us-east-1")).toHaveLength(1);
    expect(puts[0]?.args[0].input.SecretId).toBe(NAME);
    expect(JSON.parse(puts[0]?.args[0].input.SecretString ?? "{}")).toEqual({
      ...VALUE,
      host: DR_ENDPOINT,
      dbClusterIdentifier: "tenant-gold-co-dr",
    });
    expect(secrets.commandCalls(StopReplicationToReplicaCommand)).toHaveLength(0);
    expect(result).toEqual({
      secretArn: REPLICA_ARN,
      host: DR_ENDPOINT,
      changed: true,
      promotedReplica: false,
    });
    expect(JSON.stringify(result)).not.toContain(VALUE.password);
  });

  it("writes nothing when the secret names the cluster already (a retry, a redrive)", async () => {
    secrets.on(GetSecretValueCommand).resolves({
      SecretString: JSON.stringify({ ...VALUE, host: DR_ENDPOINT, dbClusterIdentifier: "tenant-gold-co-dr" }),
    });

    const result = await handler(input, lambdaContext());

    expect(secrets.commandCalls(PutSecretValueCommand)).toHaveLength(0);
    expect(result).toMatchObject({ changed: false });
  });

  it("promotes the replica and writes it when the primary's region does not answer", async () => {
    secrets.on(GetSecretValueCommand).callsFake(async (_input, getClient: () => SecretsManagerClient) => {
      if ((await getClient().config.region()) === "us-east-1") throw timeout();
      return { SecretString: JSON.stringify(VALUE) };
    });

    const result = await handler(input, lambdaContext());

    const stops = secrets.commandCalls(StopReplicationToReplicaCommand);
    expect(stops.map((c) => c.args[0].input)).toEqual([{ SecretId: NAME }]);
    expect(await inRegion(stops, "us-west-2")).toHaveLength(1);
    const puts = secrets.commandCalls(PutSecretValueCommand);
    expect(await inRegion(puts, "us-west-2")).toHaveLength(1);
    expect(JSON.parse(puts[0]?.args[0].input.SecretString ?? "{}")).toMatchObject({ host: DR_ENDPOINT });
    expect(result).toMatchObject({ changed: true, promotedReplica: true });
  });

  it("skips the platform's own database, which has no tenant secret", async () => {
    const result = await handler({ ...input, subject: "platform", tenantId: null }, lambdaContext());

    expect(result).toEqual({ skipped: "platform has no tenant secret" });
    expect(secrets.calls()).toHaveLength(0);
  });
});
