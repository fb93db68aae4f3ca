import {
  CreateDBClusterCommand,
  CreateDBInstanceCommand,
  DescribeDBClustersCommand,
  RDSClient,
} from "@aws-sdk/client-rds";
import {
  BatchExecuteStatementCommand,
  BeginTransactionCommand,
  CommitTransactionCommand,
  ExecuteStatementCommand,
  RDSDataClient,
  RollbackTransactionCommand,
} from "@aws-sdk/client-rds-data";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAwsClient } from "../../../functions/shared/aws-clients.ts";
import type { LocalCloud } from "../../../local/cloud/cloud.ts";
import { bind, isWrite, splitStatements } from "../../../local/cloud/rds-data.ts";
import { startCloud, stopCloud, waitUntil } from "./support.ts";

let cloud: LocalCloud;
let target: { resourceArn: string; secretArn: string };
const data = () => createAwsClient(RDSDataClient, { region: "us-east-1" });

beforeAll(async () => {
  const started = startCloud();
  cloud = started.cloud;
  const rds = createAwsClient(RDSClient, { region: "us-east-1" });
  const out = await rds.send(
    new CreateDBClusterCommand({
      DBClusterIdentifier: "data",
      Engine: "aurora-postgresql",
      MasterUsername: "postgres",
      ManageMasterUserPassword: true,
      EnableHttpEndpoint: true,
    }),
  );
  await rds.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: "data-1",
      DBClusterIdentifier: "data",
      DBInstanceClass: "db.r6g.large",
      Engine: "aurora-postgresql",
    }),
  );
  await waitUntil(
    started.clock,
    async () =>
      (await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: "data" }))).DBClusters?.[0]
        ?.Status === "available",
  );
  target = {
    resourceArn: out.DBCluster?.DBClusterArn ?? "",
    secretArn: out.DBCluster?.MasterUserSecret?.SecretArn ?? "",
  };
  await data().send(
    new ExecuteStatementCommand({
      ...target,
      sql: "create table tenants (id text primary key, tier text, quota int, settings jsonb, active boolean, ratio float8, tags text[])",
    }),
  );
});
afterAll(async () => {
  await stopCloud(cloud);
});

describe("the RDS Data API on PGlite", () => {
  it("binds named parameters and returns typed fields, or JSON records", async () => {
    await data().send(
      new ExecuteStatementCommand({
        ...target,
        sql: "insert into tenants values (:id, :tier, :quota, :settings, :active, :ratio, array['a','b'])",
        parameters: [
          { name: "id", value: { stringValue: "acme" } },
          { name: "tier", value: { stringValue: "premium" } },
          { name: "quota", value: { longValue: 8 } },
          { name: "settings", value: { stringValue: '{"region":"us-east-1"}' }, typeHint: "JSON" },
          { name: "active", value: { booleanValue: true } },
          { name: "ratio", value: { doubleValue: 0.5 } },
        ],
      }),
    );

    const typed = await data().send(
      new ExecuteStatementCommand({
        ...target,
        sql: "select id, quota, settings, active, ratio, tags, null as nothing from tenants where id = :id",
        parameters: [{ name: "id", value: { stringValue: "acme" } }],
      }),
    );
    const json = await data().send(
      new ExecuteStatementCommand({
        ...target,
        sql: "select id, quota, active from tenants",
        formatRecordsAs: "JSON",
      }),
    );

    expect(typed.records?.[0]).toEqual([
      { stringValue: "acme" },
      { longValue: 8 },
      { stringValue: '{"region":"us-east-1"}' },
      { booleanValue: true },
      { doubleValue: 0.5 },
      { arrayValue: { stringValues: ["a", "b"] } },
      { isNull: true },
    ]);
    expect(JSON.parse(json.formattedRecords ?? "[]")).toEqual([{ id: "acme", quota: 8, active: true }]);
  });

  it("reports updated rows, and SQL errors as DatabaseErrorException with the SQLState", async () => {
    const updated = await data().send(
      new ExecuteStatementCommand({
        ...target,
        sql: "update tenants set quota = quota + 1 where tier = 'premium'",
      }),
    );
    const error = await data()
      .send(new ExecuteStatementCommand({ ...target, sql: "select * from missing_table" }))
      .catch((e: unknown) => e);

    expect(updated.numberOfRecordsUpdated).toBe(1);
    expect(error).toMatchObject({ name: "DatabaseErrorException" });
    expect((error as Error).message).toMatch(/relation "missing_table" does not exist.*SQLState: 42P01/s);
  });

  it("runs a batch atomically", async () => {
    const out = await data().send(
      new BatchExecuteStatementCommand({
        ...target,
        sql: "insert into tenants (id, tier) values (:id, 'basic')",
        parameterSets: [
          [{ name: "id", value: { stringValue: "b1" } }],
          [{ name: "id", value: { stringValue: "b2" } }],
        ],
      }),
    );
    const failed = await data()
      .send(
        new BatchExecuteStatementCommand({
          ...target,
          sql: "insert into tenants (id) values (:id)",
          parameterSets: [
            [{ name: "id", value: { stringValue: "b3" } }],
            [{ name: "id", value: { stringValue: "b1" } }],
          ],
        }),
      )
      .catch((e: unknown) => e);
    const count = await data().send(
      new ExecuteStatementCommand({ ...target, sql: "select count(*)::int from tenants where id like 'b%'" }),
    );

    expect(out.updateResults).toHaveLength(2);
    expect(failed).toMatchObject({ name: "DatabaseErrorException" });
    expect(count.records?.[0]?.[0]).toEqual({ longValue: 2 });
  });

  it("keeps a transaction however far simulated time moves between its statements (the idle limit is wall time)", async () => {
    const { transactionId } = await data().send(new BeginTransactionCommand(target));

    // Ten simulated minutes pass (an instant clock jumps them): AWS's 3-minute idle limit is real time,
    // which the handler holding the transaction runs in.
    await cloud.clock.sleep(10 * 60_000);
    await data().send(
      new ExecuteStatementCommand({
        ...target,
        transactionId,
        sql: "insert into tenants (id) values ('later-in-transaction')",
      }),
    );
    const commit = await data().send(new CommitTransactionCommand({ ...target, transactionId }));

    expect(commit.transactionStatus).toBe("Transaction Committed");
  });

  it("commits and rolls back transactions", async () => {
    const { transactionId: kept } = await data().send(new BeginTransactionCommand(target));
    await data().send(
      new ExecuteStatementCommand({
        ...target,
        transactionId: kept,
        sql: "insert into tenants (id) values ('t-kept')",
      }),
    );
    const commit = await data().send(new CommitTransactionCommand({ ...target, transactionId: kept }));
    const { transactionId: dropped } = await data().send(new BeginTransactionCommand(target));
    await data().send(
      new ExecuteStatementCommand({
        ...target,
        transactionId: dropped,
        sql: "insert into tenants (id) values ('t-dropped')",
      }),
    );
    const rollback = await data().send(new RollbackTransactionCommand({ ...target, transactionId: dropped }));
    const ids = await data().send(
      new ExecuteStatementCommand({
        ...target,
        sql: "select id from tenants where id like 't-%' order by id",
      }),
    );

    expect(commit.transactionStatus).toBe("Transaction Committed");
    expect(rollback.transactionStatus).toBe("Rollback Complete");
    expect(ids.records).toEqual([[{ stringValue: "t-kept" }]]);
    await expect(
      data().send(new CommitTransactionCommand({ ...target, transactionId: kept })),
    ).rejects.toMatchObject({ name: "BadRequestException" });
  });

  it("refuses unknown clusters, unknown secrets and missing parameters with BadRequestException", async () => {
    await expect(
      data().send(
        new ExecuteStatementCommand({
          ...target,
          resourceArn: "arn:aws:rds:us-east-1:123456789012:cluster:none",
          sql: "select 1",
        }),
      ),
    ).rejects.toMatchObject({ name: "BadRequestException" });
    await expect(
      data().send(
        new ExecuteStatementCommand({
          ...target,
          secretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:none-AbCdEf",
          sql: "select 1",
        }),
      ),
    ).rejects.toMatchObject({ name: "BadRequestException" });
    await expect(
      data().send(new ExecuteStatementCommand({ ...target, sql: "select :missing" })),
    ).rejects.toMatchObject({ name: "BadRequestException" });
  });
});

describe("SQL helpers", () => {
  it("binds :names but leaves casts, strings and comments alone", () => {
    const out = bind("select :a::text, ':not', \"x:y\" -- :c\n, :a, :b", [
      { name: "a", value: { longValue: 1 } },
      { name: "b", value: { isNull: true } },
    ]);
    expect(out).toEqual({ text: "select $1::text, ':not', \"x:y\" -- :c\n, $1, $2", values: [1, null] });
  });

  it("splits statements and tells writes from reads", () => {
    expect(splitStatements("create table a(x text default ';'); $$;$$; -- ;\nselect 1;")).toEqual([
      "create table a(x text default ';')",
      "$$;$$",
      "-- ;\nselect 1",
    ]);
    expect(isWrite("  select 1")).toBe(false);
    expect(isWrite("with x as (select 1) insert into t select * from x")).toBe(true);
    expect(isWrite("CREATE ROLE tenant_acme")).toBe(true);
  });
});
