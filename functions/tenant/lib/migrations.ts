/**
 * The tenant schema and how it is applied: through the RDS Data API, with a ledger table
 * (`cplane.schema_migrations`), each migration once and in order, each in its own transaction under
 * an advisory lock so that two executions never apply the same one.
 */
import {
  BeginTransactionCommand,
  CommitTransactionCommand,
  ExecuteStatementCommand,
  RDSDataClient,
  RollbackTransactionCommand,
  type SqlParameter,
} from "@aws-sdk/client-rds-data";
import { createAwsClient } from "../../shared/aws-clients.ts";
import { isThrottling, TransientError } from "../../shared/errors.ts";
import { DATABASE_NAME } from "./database.ts";
import { DatabaseNotReadyError, isAwsError, MigrationFailedError } from "./errors.ts";

const data = createAwsClient(RDSDataClient);

export interface Migration {
  readonly version: string;
  readonly name: string;
  readonly statements: readonly string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: "0001",
    name: "app schema and users",
    statements: [
      "CREATE SCHEMA IF NOT EXISTS app",
      "CREATE TABLE app.users (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), email text NOT NULL UNIQUE, display_name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())",
    ],
  },
  {
    version: "0002",
    name: "projects",
    statements: [
      "CREATE TABLE app.projects (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), owner_id uuid NOT NULL REFERENCES app.users (id), name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())",
      "CREATE INDEX projects_owner_idx ON app.projects (owner_id)",
    ],
  },
  {
    version: "0003",
    name: "audit log",
    statements: [
      "CREATE TABLE app.audit_log (id bigserial PRIMARY KEY, actor text NOT NULL, action text NOT NULL, at timestamptz NOT NULL DEFAULT now())",
    ],
  },
];

export const LEDGER_STATEMENTS: readonly string[] = [
  "CREATE SCHEMA IF NOT EXISTS cplane",
  "REVOKE ALL ON SCHEMA cplane FROM PUBLIC",
  "CREATE TABLE IF NOT EXISTS cplane.schema_migrations (version text PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
];
/** Advisory lock key that serialises migrations of one database. */
export const MIGRATION_LOCK = 727_001;

export interface DataTarget {
  readonly resourceArn: string;
  /** The secret the Data API authenticates with (the RDS-managed master secret's ARN). */
  readonly secretArn: string;
}

export function sql(
  target: DataTarget,
  statement: string,
  parameters?: SqlParameter[],
  transactionId?: string,
) {
  return guard(
    data.send(
      new ExecuteStatementCommand({
        ...target,
        database: DATABASE_NAME,
        sql: statement,
        ...(parameters ? { parameters } : {}),
        ...(transactionId ? { transactionId } : {}),
      }),
    ),
  );
}

export const text = (name: string, value: string): SqlParameter => ({ name, value: { stringValue: value } });

/** Applies the migrations not yet in the ledger, in order; returns the versions it applied. */
export async function migrate(target: DataTarget, migrations: readonly Migration[] = MIGRATIONS) {
  for (const statement of LEDGER_STATEMENTS) await sql(target, statement);
  const applied: string[] = [];
  for (const migration of migrations) {
    const { transactionId } = await guard(
      data.send(new BeginTransactionCommand({ ...target, database: DATABASE_NAME })),
    );
    try {
      await sql(target, `SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`, undefined, transactionId);
      const seen = await sql(
        target,
        "SELECT version FROM cplane.schema_migrations WHERE version = :version",
        [text("version", migration.version)],
        transactionId,
      );
      if ((seen.records ?? []).length === 0) {
        for (const statement of migration.statements) await sql(target, statement, undefined, transactionId);
        await sql(
          target,
          "INSERT INTO cplane.schema_migrations (version, name) VALUES (:version, :name)",
          [text("version", migration.version), text("name", migration.name)],
          transactionId,
        );
        applied.push(migration.version);
      }
      await guard(data.send(new CommitTransactionCommand({ ...target, transactionId })));
    } catch (error) {
      await data.send(new RollbackTransactionCommand({ ...target, transactionId })).catch(() => undefined);
      if (error instanceof TransientError) throw error;
      throw new MigrationFailedError(`migration ${migration.version} (${migration.name}) failed`, {
        cause: error,
      });
    }
  }
  return applied;
}

/** Sends a Data API command; a database that is resuming or a throttled call is transient. */
async function guard<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    if (
      isAwsError(
        error,
        "DatabaseResumingException",
        "DatabaseNotFoundException",
        "DatabaseUnavailableException",
      )
    ) {
      throw new DatabaseNotReadyError("the tenant database is not accepting Data API calls yet", {
        cause: error,
      });
    }
    if (isThrottling(error)) throw new TransientError("the Data API is throttling", { cause: error });
    throw error;
  }
}
