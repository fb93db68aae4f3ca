import { DynamoDBClient, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import {
  BeginTransactionCommand,
  CommitTransactionCommand,
  ExecuteStatementCommand,
  RDSDataClient,
  RollbackTransactionCommand,
} from "@aws-sdk/client-rds-data";
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  RestoreSecretCommand,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { APP_ROLE, GRANTS, ROLE_FUNCTION } from "../../../functions/tenant/lib/app-user.ts";
import { LEDGER_STATEMENTS, MIGRATION_LOCK, MIGRATIONS } from "../../../functions/tenant/lib/migrations.ts";
import { handler } from "../../../functions/tenant/migrate-database.ts";
import { lambdaContext } from "../../support/context.ts";
import {
  APP_SECRET_ARN,
  awsError,
  CLUSTER_ARN,
  EXECUTION,
  MASTER_SECRET_ARN,
  OTHER_EXECUTION,
  setTenantEnvironment,
  TENANT_ID,
} from "./support.ts";

const data = mockClient(RDSDataClient);
const secrets = mockClient(SecretsManagerClient);
const dynamodb = mockClient(DynamoDBClient);
const input = {
  tenantId: TENANT_ID,
  slug: "acme",
  executionArn: EXECUTION,
  clusterArn: CLUSTER_ARN,
  masterSecretArn: MASTER_SECRET_ARN,
  endpoint: "tenant-acme.cluster-abc.us-east-1.rds.amazonaws.com",
  port: 5432,
};
const target = { resourceArn: CLUSTER_ARN, secretArn: MASTER_SECRET_ARN, database: "app" };
const ownTags = (execution = EXECUTION) => [
  { Key: "cplane:tenant", Value: "acme" },
  { Key: "cplane:tenant-id", Value: TENANT_ID },
  { Key: "cplane:execution", Value: execution },
];

/** The ledger already holds these versions. */
function ledgerHolds(...versions: string[]) {
  data
    .on(ExecuteStatementCommand)
    .callsFake((command: { sql: string; parameters?: { value: { stringValue: string } }[] }) => {
      if (command.sql.startsWith("SELECT version FROM cplane.schema_migrations")) {
        const version = command.parameters?.[0]?.value.stringValue ?? "";
        return { records: versions.includes(version) ? [[{ stringValue: version }]] : [] };
      }
      return {};
    });
}

const statements = () => data.commandCalls(ExecuteStatementCommand).map((call) => call.args[0].input);

beforeEach(() => {
  data.reset();
  secrets.reset();
  dynamodb.reset();
  setTenantEnvironment();
  dynamodb.on(UpdateItemCommand).resolves({});
  data.on(BeginTransactionCommand).resolves({ transactionId: "tx-1" });
  data.on(CommitTransactionCommand).resolves({});
  secrets.on(DescribeSecretCommand).rejects(awsError("ResourceNotFoundException"));
  secrets.on(CreateSecretCommand).resolves({ ARN: APP_SECRET_ARN });
});

describe("migrate-database", () => {
  it("creates the ledger, applies every migration once in order in its own transaction, and records it", async () => {
    // Prepare
    ledgerHolds();

    // Act
    const result = await handler(input, lambdaContext());

    // Assess
    const sql = statements();
    expect(sql.slice(0, LEDGER_STATEMENTS.length)).toEqual(
      LEDGER_STATEMENTS.map((statement) => ({ ...target, sql: statement })),
    );
    const first = MIGRATIONS[0];
    expect(
      sql.slice(LEDGER_STATEMENTS.length, LEDGER_STATEMENTS.length + 3 + (first?.statements.length ?? 0)),
    ).toEqual([
      { ...target, sql: `SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`, transactionId: "tx-1" },
      {
        ...target,
        sql: "SELECT version FROM cplane.schema_migrations WHERE version = :version",
        parameters: [{ name: "version", value: { stringValue: "0001" } }],
        transactionId: "tx-1",
      },
      ...(first?.statements ?? []).map((statement) => ({ ...target, sql: statement, transactionId: "tx-1" })),
      {
        ...target,
        sql: "INSERT INTO cplane.schema_migrations (version, name) VALUES (:version, :name)",
        parameters: [
          { name: "version", value: { stringValue: "0001" } },
          { name: "name", value: { stringValue: first?.name } },
        ],
        transactionId: "tx-1",
      },
    ]);
    expect(data.commandCalls(BeginTransactionCommand)[0]?.args[0].input).toEqual(target);
    expect(data.commandCalls(CommitTransactionCommand)).toHaveLength(MIGRATIONS.length);
    expect(data.commandCalls(CommitTransactionCommand)[0]?.args[0].input).toEqual({
      resourceArn: CLUSTER_ARN,
      secretArn: MASTER_SECRET_ARN,
      transactionId: "tx-1",
    });
    expect(result.applied).toEqual(MIGRATIONS.map((migration) => migration.version));
  });

  it("applies only the migrations missing from the ledger", async () => {
    ledgerHolds("0001", "0002");
    const result = await handler(input, lambdaContext());
    expect(result.applied).toEqual(["0003"]);
    const applied = statements().filter((statement) => statement.sql?.startsWith("CREATE TABLE app."));
    expect(applied.map((statement) => statement.sql)).toEqual(MIGRATIONS[2]?.statements);
  });

  it("stores new application credentials as a tagged secret and returns only its ARN", async () => {
    // Prepare
    ledgerHolds(...MIGRATIONS.map((migration) => migration.version));

    // Act
    const result = await handler(input, lambdaContext());

    // Assess
    const create = secrets.commandCalls(CreateSecretCommand)[0]?.args[0].input;
    expect(create).toMatchObject({
      Name: "cplane/tenants/acme/db",
      Description: "Application database user of tenant acme",
      Tags: ownTags(),
    });
    const stored = JSON.parse(create?.SecretString ?? "{}");
    expect(stored).toEqual({
      engine: "postgres",
      host: input.endpoint,
      port: 5432,
      dbname: "app",
      username: APP_ROLE,
      password: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/),
      dbClusterIdentifier: "tenant-acme",
    });
    expect(result).toEqual({
      secretArn: APP_SECRET_ARN,
      secretCreated: true,
      roleName: APP_ROLE,
      applied: [],
      schemaVersion: "0003",
    });
    expect(JSON.stringify(result)).not.toContain(stored.password);
    // The password reaches Postgres only as a bound parameter, never inside SQL text.
    const role = statements().find((statement) => statement.sql?.includes("ensure_login_role(:role"));
    expect(role?.parameters).toEqual([
      { name: "role", value: { stringValue: APP_ROLE } },
      { name: "password", value: { stringValue: stored.password } },
    ]);
    expect(statements().filter((statement) => statement.sql?.includes(stored.password))).toEqual([]);
  });

  it("creates the least-privileged role and grants it the app schema only", async () => {
    ledgerHolds(...MIGRATIONS.map((migration) => migration.version));
    await handler(input, lambdaContext());
    const sql = statements().map((statement) => statement.sql);
    expect(sql).toContain(ROLE_FUNCTION);
    expect(sql.slice(-GRANTS.length)).toEqual([...GRANTS]);
    expect(GRANTS.join("\n")).not.toMatch(/SUPERUSER|CREATEROLE|ALL PRIVILEGES|SCHEMA cplane TO/);
  });

  it("reuses the existing secret's password on a repeat and reports whether this execution made it", async () => {
    // Prepare
    ledgerHolds(...MIGRATIONS.map((migration) => migration.version));
    secrets.on(DescribeSecretCommand).resolves({ ARN: APP_SECRET_ARN, Tags: ownTags(OTHER_EXECUTION) });
    secrets.on(GetSecretValueCommand).resolves({
      SecretString: JSON.stringify({ username: APP_ROLE, password: "p".repeat(32) }),
    });

    // Act
    const result = await handler(input, lambdaContext());

    // Assess
    expect(secrets.commandCalls(CreateSecretCommand)).toHaveLength(0);
    expect(secrets.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({
      SecretId: "cplane/tenants/acme/db",
    });
    expect(result.secretCreated).toBe(false);
    const role = statements().find((statement) => statement.sql?.includes("ensure_login_role(:role"));
    expect(role?.parameters?.[1]).toEqual({ name: "password", value: { stringValue: "p".repeat(32) } });
  });

  it("restores a secret an earlier offboarding scheduled for deletion", async () => {
    ledgerHolds(...MIGRATIONS.map((migration) => migration.version));
    secrets
      .on(DescribeSecretCommand)
      .resolves({ ARN: APP_SECRET_ARN, Tags: ownTags(), DeletedDate: new Date("2026-11-20T00:00:00Z") });
    secrets
      .on(GetSecretValueCommand)
      .resolves({ SecretString: JSON.stringify({ username: APP_ROLE, password: "q".repeat(32) }) });

    await handler(input, lambdaContext());

    expect(secrets.commandCalls(RestoreSecretCommand)[0]?.args[0].input).toEqual({
      SecretId: "cplane/tenants/acme/db",
    });
  });

  it("refuses a secret tagged for another tenant", async () => {
    ledgerHolds(...MIGRATIONS.map((migration) => migration.version));
    secrets
      .on(DescribeSecretCommand)
      .resolves({ ARN: APP_SECRET_ARN, Tags: [{ Key: "cplane:tenant", Value: "other" }] });
    await expect(handler(input, lambdaContext())).rejects.toMatchObject({
      name: "ResourceOwnedByAnotherTenantError",
    });
  });

  it("rolls back a failing migration and names it, keeping what was applied before", async () => {
    // Prepare
    data.on(ExecuteStatementCommand).callsFake((command: { sql: string }) => {
      if (command.sql.startsWith("CREATE TABLE app.projects"))
        throw awsError("BadRequestException", "syntax error");
      return { records: [] };
    });
    data.on(RollbackTransactionCommand).resolves({});

    // Act
    const outcome = handler(input, lambdaContext());

    // Assess
    await expect(outcome).rejects.toMatchObject({ name: "MigrationFailedError" });
    await expect(outcome).rejects.toThrow(/0002/);
    expect(data.commandCalls(CommitTransactionCommand)).toHaveLength(1);
    expect(data.commandCalls(RollbackTransactionCommand)[0]?.args[0].input).toEqual({
      resourceArn: CLUSTER_ARN,
      secretArn: MASTER_SECRET_ARN,
      transactionId: "tx-1",
    });
    expect(secrets.commandCalls(CreateSecretCommand)).toHaveLength(0);
  });

  it("says DatabaseNotReadyError while the database is resuming, for the state machine to retry", async () => {
    data.on(ExecuteStatementCommand).rejects(awsError("DatabaseResumingException"));
    await expect(handler(input, lambdaContext())).rejects.toMatchObject({ name: "DatabaseNotReadyError" });
  });
});
