import { DescribeDBClustersCommand, DescribeDBInstancesCommand, RDSClient } from "@aws-sdk/client-rds";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { handler } from "../../../functions/tenant/check-database.ts";
import { lambdaContext } from "../../support/context.ts";
import { awsError, CLUSTER_ARN, MASTER_SECRET_ARN } from "./support.ts";

const rds = mockClient(RDSClient);

function cluster(Status: string) {
  return {
    DBClusters: [
      {
        DBClusterIdentifier: "tenant-acme",
        DBClusterArn: CLUSTER_ARN,
        Status,
        Endpoint: "tenant-acme.cluster-abc.us-east-1.rds.amazonaws.com",
        ReaderEndpoint: "tenant-acme.cluster-ro-abc.us-east-1.rds.amazonaws.com",
        Port: 5432,
        MasterUserSecret: { SecretArn: MASTER_SECRET_ARN },
      },
    ],
  };
}
function instances(...statuses: string[]) {
  return {
    DBInstances: statuses.map((status, index) => ({
      DBInstanceIdentifier: `tenant-acme-${index}`,
      DBInstanceStatus: status,
    })),
  };
}

beforeEach(() => rds.reset());

describe("check-database", () => {
  it("is ready when the cluster and every instance are available, and says where it answers", async () => {
    // Prepare
    rds.on(DescribeDBClustersCommand).resolves(cluster("available"));
    rds.on(DescribeDBInstancesCommand).resolves(instances("available", "available"));

    // Act
    const result = await handler({ clusterIdentifier: "tenant-acme" }, lambdaContext());

    // Assess
    expect(rds.commandCalls(DescribeDBClustersCommand)[0]?.args[0].input).toEqual({
      DBClusterIdentifier: "tenant-acme",
    });
    expect(rds.commandCalls(DescribeDBInstancesCommand)[0]?.args[0].input).toEqual({
      Filters: [{ Name: "db-cluster-id", Values: ["tenant-acme"] }],
    });
    expect(result).toEqual({
      status: "available",
      ready: true,
      failed: false,
      clusterArn: CLUSTER_ARN,
      endpoint: "tenant-acme.cluster-abc.us-east-1.rds.amazonaws.com",
      readerEndpoint: "tenant-acme.cluster-ro-abc.us-east-1.rds.amazonaws.com",
      port: 5432,
      masterSecretArn: MASTER_SECRET_ARN,
      instances: [
        { identifier: "tenant-acme-0", status: "available" },
        { identifier: "tenant-acme-1", status: "available" },
      ],
    });
  });

  it("is not ready while the cluster or an instance is still creating", async () => {
    rds.on(DescribeDBClustersCommand).resolves(cluster("available"));
    rds.on(DescribeDBInstancesCommand).resolves(instances("available", "creating"));
    expect(await handler({ clusterIdentifier: "tenant-acme" }, lambdaContext())).toMatchObject({
      ready: false,
      failed: false,
    });
    rds.on(DescribeDBClustersCommand).resolves(cluster("creating"));
    expect(await handler({ clusterIdentifier: "tenant-acme" }, lambdaContext())).toMatchObject({
      ready: false,
    });
  });

  it("is not ready with no instance at all", async () => {
    rds.on(DescribeDBClustersCommand).resolves(cluster("available"));
    rds.on(DescribeDBInstancesCommand).resolves(instances());
    expect(await handler({ clusterIdentifier: "tenant-acme" }, lambdaContext())).toMatchObject({
      ready: false,
    });
  });

  it("says failed when the cluster or an instance cannot become available by waiting", async () => {
    rds.on(DescribeDBClustersCommand).resolves(cluster("inaccessible-encryption-credentials"));
    rds.on(DescribeDBInstancesCommand).resolves(instances("creating"));
    expect(await handler({ clusterIdentifier: "tenant-acme" }, lambdaContext())).toMatchObject({
      ready: false,
      failed: true,
    });
    rds.on(DescribeDBClustersCommand).resolves(cluster("available"));
    rds.on(DescribeDBInstancesCommand).resolves(instances("failed"));
    expect(await handler({ clusterIdentifier: "tenant-acme" }, lambdaContext())).toMatchObject({
      failed: true,
    });
  });

  it("names a cluster that has disappeared", async () => {
    rds.on(DescribeDBClustersCommand).rejects(awsError("DBClusterNotFoundFault"));
    await expect(handler({ clusterIdentifier: "tenant-acme" }, lambdaContext())).rejects.toMatchObject({
      name: "DatabaseNotFoundError",
    });
  });
});
