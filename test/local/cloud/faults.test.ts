import {
  DBClusterNotFoundFault,
  DescribeDBClustersCommand,
  RDSClient,
  RDSServiceException,
} from "@aws-sdk/client-rds";
import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { afterEach, describe, expect, it } from "vitest";
import { createAwsClient } from "../../../functions/shared/aws-clients.ts";
import type { LocalCloud } from "../../../local/cloud/cloud.ts";
import { FaultSpecSchema, parseFaultPlan } from "../../../local/cloud/faults.ts";
import { startCloud, stopCloud } from "./support.ts";

let cloud: LocalCloud | undefined;
afterEach(async () => {
  if (cloud) await stopCloud(cloud);
  cloud = undefined;
});

const rds = (region = "us-east-1") => createAwsClient(RDSClient, { region });

describe("errors as the SDK caller sees them from AWS", () => {
  it("are instances of the service's modeled exception with AWS's name, fault and status", async () => {
    cloud = startCloud().cloud;

    const error = await rds()
      .send(new DescribeDBClustersCommand({ DBClusterIdentifier: "missing" }))
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DBClusterNotFoundFault);
    expect(error).toBeInstanceOf(RDSServiceException);
    expect(error).toMatchObject({
      name: "DBClusterNotFoundFault",
      message: "DBCluster missing not found.",
      $fault: "client",
      $metadata: { httpStatusCode: 404 },
    });
  });

  it("uses the modeled class of other services too", async () => {
    cloud = startCloud().cloud;
    const secrets = createAwsClient(SecretsManagerClient, { region: "us-east-1" });

    const error = await secrets
      .send(new GetSecretValueCommand({ SecretId: "nope" }))
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ResourceNotFoundException);
    expect(error).toMatchObject({
      name: "ResourceNotFoundException",
      message: "Secrets Manager can't find the specified secret.",
    });
  });

  it("names an operation the cloud does not emulate", async () => {
    cloud = startCloud().cloud;
    await expect(
      cloud.send({ service: "RDS", operation: "CreateDBProxy", input: {}, region: "us-east-1" }),
    ).rejects.toMatchObject({ name: "UnknownOperationException" });
    await expect(
      cloud.send({ service: "Kinesis", operation: "PutRecord", input: {}, region: "us-east-1" }),
    ).rejects.toMatchObject({ name: "LocalCloudUnsupportedService" });
  });
});

describe("fault injection", () => {
  it("throttles a given number of calls with the service's throttling error, then lets calls through", async () => {
    cloud = startCloud().cloud;
    cloud.faults.throttle({ service: "RDS", operation: "DescribeDBClusters", times: 2 });

    const first = await rds()
      .send(new DescribeDBClustersCommand({}))
      .catch((e: unknown) => e);
    const second = await rds()
      .send(new DescribeDBClustersCommand({}))
      .catch((e: unknown) => e);
    const third = await rds().send(new DescribeDBClustersCommand({}));

    expect(first).toMatchObject({ name: "Throttling", message: "Rate exceeded", $fault: "client" });
    expect(second).toMatchObject({ name: "Throttling" });
    expect(third.DBClusters).toEqual([]);
    expect(cloud.faults.list()).toEqual([]);
  });

  it("says ThrottlingException for JSON-protocol services, or the error the plan names", async () => {
    cloud = startCloud().cloud;
    cloud.faults.throttle({ service: "SecretsManager", times: 1 });
    cloud.faults.throttle({ service: "STS", times: 1, error: "ThrottlingException" });

    await expect(
      createAwsClient(SecretsManagerClient).send(new GetSecretValueCommand({ SecretId: "x" })),
    ).rejects.toMatchObject({ name: "ThrottlingException" });
    await expect(createAwsClient(STSClient).send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({
      name: "ThrottlingException",
    });
  });

  it("fails matching calls with a named error, only in the region it names", async () => {
    cloud = startCloud().cloud;
    cloud.faults.fail({
      service: "RDS",
      region: "us-west-2",
      error: "InternalFailure",
      message: "We encountered an internal error.",
    });

    const west = await rds("us-west-2")
      .send(new DescribeDBClustersCommand({}))
      .catch((e: unknown) => e);
    const east = await rds("us-east-1").send(new DescribeDBClustersCommand({}));

    expect(west).toMatchObject({
      name: "InternalFailure",
      $fault: "server",
      $metadata: { httpStatusCode: 500 },
    });
    expect(east.DBClusters).toEqual([]);
  });

  it("adds latency in virtual time", async () => {
    const { cloud: c, clock } = startCloud();
    cloud = c;
    c.faults.latency({ service: "STS", ms: 5_000 });
    const before = clock.now();

    await createAwsClient(STSClient).send(new GetCallerIdentityCommand({}));

    expect(clock.now() - before).toBeGreaterThanOrEqual(5_000);
  });

  it("takes a whole plan from JSON and validates it", async () => {
    cloud = startCloud().cloud;
    const ids = cloud.faults.apply([
      { kind: "throttle", service: "EKS", times: 3 },
      { kind: "region-down", region: "us-west-2" },
    ]);

    expect(ids).toHaveLength(2);
    expect(cloud.faults.isRegionDown("us-west-2")).toBe(true);
    expect(() => cloud?.faults.add({ kind: "error", error: "" })).toThrow();
    expect(FaultSpecSchema.safeParse({ kind: "explode" }).success).toBe(false);
    expect(parseFaultPlan('[{"kind":"latency","service":"RDS","ms":250}]')).toEqual([
      { kind: "latency", service: "RDS", ms: 250 },
    ]);
    expect(() => parseFaultPlan('[{"kind":"latency"}]')).toThrow();
    cloud.faults.clear();
    expect(cloud.faults.isRegionDown("us-west-2")).toBe(false);
  });

  it("records every call with its outcome", async () => {
    cloud = startCloud().cloud;
    await rds()
      .send(new DescribeDBClustersCommand({ DBClusterIdentifier: "x" }))
      .catch(() => undefined);

    expect(cloud.calls.at(-1)).toMatchObject({
      service: "RDS",
      operation: "DescribeDBClusters",
      region: "us-east-1",
      error: "DBClusterNotFoundFault",
    });
  });
});
