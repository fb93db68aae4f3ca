/**
 * Step 4 of onboarding: migrate the tenant schema through the Data API (ledger, each migration once,
 * in order), then create the least-privileged application role and its secret
 * `cplane/tenants/<slug>/db`. Only the secret's ARN leaves this handler.
 */
import { z } from "zod";
import { defineStep } from "../shared/handler.ts";
import { APP_ROLE, ensureAppRole, ensureAppSecret } from "./lib/app-user.ts";
import { now, TenantRef } from "./lib/inputs.ts";
import { MIGRATIONS, migrate } from "./lib/migrations.ts";
import { recordStep } from "./lib/registry.ts";
import { tenantNames } from "./lib/slug.ts";

export const MigrateInput = TenantRef.extend({
  clusterArn: z.string().min(1),
  masterSecretArn: z.string().min(1),
  endpoint: z.string().min(1),
  port: z.number().int().positive(),
});

export interface MigrateResult {
  readonly secretArn: string;
  /** True when this execution created the secret (compensation deletes it). */
  readonly secretCreated: boolean;
  readonly roleName: string;
  /** Versions applied by this run (empty when the schema was already current). */
  readonly applied: readonly string[];
  readonly schemaVersion: string;
}

export const handler = defineStep(MigrateInput, async (input): Promise<MigrateResult> => {
  const names = tenantNames(input.slug);
  const target = { resourceArn: input.clusterArn, secretArn: input.masterSecretArn };
  const applied = await migrate(target);
  const secret = await ensureAppSecret({
    name: names.secretName,
    owner: input,
    executionArn: input.executionArn,
    host: input.endpoint,
    port: input.port,
    clusterIdentifier: names.clusterIdentifier,
  });
  await ensureAppRole(target, secret.password);
  const schemaVersion = MIGRATIONS.at(-1)?.version ?? "0000";
  await recordStep(input.slug, {
    at: now(),
    step: "migrate-database",
    outcome: "migrated",
    reason: `schema ${schemaVersion}; applied ${applied.length > 0 ? applied.join(", ") : "nothing new"}; role ${APP_ROLE}`,
    executionArn: input.executionArn,
  });
  return {
    secretArn: secret.secretArn,
    secretCreated: secret.created,
    roleName: APP_ROLE,
    applied,
    schemaVersion,
  };
});
