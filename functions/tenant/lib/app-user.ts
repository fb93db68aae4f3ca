/**
 * The tenant application's database user: a login role with rights on the `app` schema only, whose
 * credentials live in the secret `cplane/tenants/<slug>/db`. The password is made here, stored in
 * Secrets Manager and handed to Postgres as a bound Data API parameter; it never leaves the handler.
 */
import { randomBytes } from "node:crypto";
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  type DescribeSecretCommandOutput,
  GetSecretValueCommand,
  RestoreSecretCommand,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { z } from "zod";
import { createAwsClient } from "../../shared/aws-clients.ts";
import { assertOwnedBy, DATABASE_NAME, type Owner, TAG_EXECUTION, tagValue, tenantTags } from "./database.ts";
import { isAwsError } from "./errors.ts";
import { type DataTarget, sql, text } from "./migrations.ts";

export const secrets = createAwsClient(SecretsManagerClient);

export const APP_ROLE = "tenant_app";

export const ROLE_FUNCTION = `CREATE OR REPLACE FUNCTION cplane.ensure_login_role(role_name text, role_password text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = role_name) THEN
    EXECUTE format('ALTER ROLE %I WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD %L', role_name, role_password);
  ELSE
    EXECUTE format('CREATE ROLE %I WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD %L', role_name, role_password);
  END IF;
END $$`;

export const GRANTS: readonly string[] = [
  `REVOKE CREATE ON SCHEMA public FROM PUBLIC`,
  `DO $$ BEGIN EXECUTE format('GRANT CONNECT ON DATABASE %I TO ${APP_ROLE}', current_database()); END $$`,
  `GRANT USAGE ON SCHEMA app TO ${APP_ROLE}`,
  `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA app TO ${APP_ROLE}`,
  `GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA app TO ${APP_ROLE}`,
  `ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${APP_ROLE}`,
  `ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT USAGE, SELECT ON SEQUENCES TO ${APP_ROLE}`,
];

const SecretValue = z.object({ username: z.string(), password: z.string().min(16) });

export interface AppSecret {
  readonly secretArn: string;
  /** True when this execution created the secret (compensation deletes it). */
  readonly created: boolean;
  readonly password: string;
}

export interface SecretSpec {
  readonly name: string;
  readonly owner: Owner;
  readonly executionArn: string;
  readonly host: string;
  readonly port: number;
  readonly clusterIdentifier: string;
}

/** Finds or creates the application secret; restores it when an earlier offboarding scheduled its deletion. */
export async function ensureAppSecret(spec: SecretSpec): Promise<AppSecret> {
  const existing = await describe(spec.name);
  if (!existing) {
    const password = randomBytes(24).toString("base64url");
    try {
      const { ARN } = await secrets.send(
        new CreateSecretCommand({
          Name: spec.name,
          Description: `Application database user of tenant ${spec.owner.slug}`,
          SecretString: JSON.stringify({
            engine: "postgres",
            host: spec.host,
            port: spec.port,
            dbname: DATABASE_NAME,
            username: APP_ROLE,
            password,
            dbClusterIdentifier: spec.clusterIdentifier,
          }),
          Tags: tenantTags(spec.owner, { [TAG_EXECUTION]: spec.executionArn }),
        }),
      );
      return { secretArn: ARN ?? "", created: true, password };
    } catch (error) {
      if (!isAwsError(error, "ResourceExistsException")) throw error;
      return ensureAppSecret(spec);
    }
  }
  assertOwnedBy(`secret ${spec.name}`, existing.Tags, spec.owner);
  if (existing.DeletedDate) await secrets.send(new RestoreSecretCommand({ SecretId: spec.name }));
  const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: spec.name }));
  const value = SecretValue.parse(JSON.parse(SecretString ?? "{}"));
  return {
    secretArn: existing.ARN ?? "",
    created: tagValue(existing.Tags, TAG_EXECUTION) === spec.executionArn,
    password: value.password,
  };
}

async function describe(name: string): Promise<DescribeSecretCommandOutput | undefined> {
  try {
    return await secrets.send(new DescribeSecretCommand({ SecretId: name }));
  } catch (error) {
    if (isAwsError(error, "ResourceNotFoundException")) return undefined;
    throw error;
  }
}

/** Creates (or re-keys) the least-privileged application role and grants it the `app` schema. */
export async function ensureAppRole(target: DataTarget, password: string): Promise<void> {
  await sql(target, ROLE_FUNCTION);
  await sql(target, "SELECT cplane.ensure_login_role(:role, :password)", [
    text("role", APP_ROLE),
    text("password", password),
  ]);
  for (const grant of GRANTS) await sql(target, grant);
}
