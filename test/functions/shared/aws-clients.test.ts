import { DescribeDBClustersCommand, RDSClient } from "@aws-sdk/client-rds";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  awsNow,
  bindLocalCloud,
  createAwsClient,
  type LocalCloudCall,
} from "../../../functions/shared/aws-clients.ts";

afterEach(() => bindLocalCloud(undefined));

describe("createAwsClient", () => {
  it("uses the function's region by default and the given one when asked", async () => {
    const home = createAwsClient(RDSClient);
    const other = createAwsClient(RDSClient, { region: "eu-west-1" });
    expect(await home.config.region()).toBe(process.env.AWS_REGION);
    expect(await other.config.region()).toBe("eu-west-1");
  });

  it("drops the SDK's logger middleware unless a logger is given (it filters every response for a logger that discards it)", () => {
    const names = (client: RDSClient) => client.middlewareStack.identify().join("\n");
    expect(names(createAwsClient(RDSClient))).not.toContain("loggerMiddleware");
    expect(names(new RDSClient({}))).toContain("loggerMiddleware");
    expect(names(createAwsClient(RDSClient, { logger: console }))).toContain("loggerMiddleware");
  });

  it("hands every command to the bound local cloud, named as AWS names it", async () => {
    const calls: LocalCloudCall[] = [];
    bindLocalCloud({
      send: async (call) => {
        calls.push(call);
        return { DBClusters: [{ DBClusterIdentifier: "tenant-acme", Status: "available" }] };
      },
    });
    const rds = createAwsClient(RDSClient, { region: "us-west-2" });

    const out = await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: "tenant-acme" }));

    expect(calls).toEqual([
      {
        service: "RDS",
        operation: "DescribeDBClusters",
        input: { DBClusterIdentifier: "tenant-acme" },
        region: "us-west-2",
      },
    ]);
    expect(out.DBClusters?.[0]?.Status).toBe("available");
    expect(out.$metadata.httpStatusCode).toBe(200);
  });

  it("attaches to clients created before the local cloud was bound", async () => {
    const secrets = createAwsClient(SecretsManagerClient);
    bindLocalCloud({
      send: async (call) => ({ Name: String((call.input as { SecretId: string }).SecretId) }),
    });

    const out = await secrets.send(new GetSecretValueCommand({ SecretId: "cplane/tenants/acme/db" }));

    expect(out.Name).toBe("cplane/tenants/acme/db");
  });

  it("surfaces the local cloud's named errors to the caller unchanged", async () => {
    const notFound = Object.assign(new Error("DBCluster tenant-x not found."), {
      name: "DBClusterNotFoundFault",
    });
    bindLocalCloud({
      send: async () => {
        throw notFound;
      },
    });
    const rds = createAwsClient(RDSClient);

    await expect(
      rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: "tenant-x" })),
    ).rejects.toMatchObject({
      name: "DBClusterNotFoundFault",
    });
  });

  it("tells the time of the bound cloud, and the wall clock's when none is bound", () => {
    bindLocalCloud({ send: async () => ({}), now: () => Date.parse("2031-01-01T00:00:00Z") });
    expect(awsNow()).toBe(Date.parse("2031-01-01T00:00:00Z"));

    bindLocalCloud(undefined);
    const before = Date.now();
    const told = awsNow();
    expect(told).toBeGreaterThanOrEqual(before);
    expect(told).toBeLessThanOrEqual(Date.now());
  });

  it("needs AWS_REGION only at a client's first call, and then names it", async () => {
    vi.stubEnv("AWS_REGION", "");
    const rds = createAwsClient(RDSClient, { trace: false });
    await expect(rds.send(new DescribeDBClustersCommand({}))).rejects.toMatchObject({
      name: "MissingEnvironmentVariableError",
    });
  });
});
