import { BRIEF_FIELDS, TENANT_INDEX } from "../functions/tenant/lib/registry-index.ts";

/**
 * The tenant registry: one item per tenant with status and per-step history. Named
 * `<app>-<stage>-tenants` so that `cplane tenants list --target aws --stage S` finds it without stack outputs.
 */
export const tenantTable = new sst.aws.Dynamo("TenantRegistry", {
  transform: { table: { name: `${$app.name}-${$app.stage}-tenants` } },
  fields: { pk: "string", sk: "string" },
  primaryIndex: { hashKey: "pk", rangeKey: "sk" },
  // Tenant items alone (`sk = TENANT`), in brief: what the upkeep lists on every run.
  globalIndexes: { [TENANT_INDEX]: { hashKey: "sk", rangeKey: "pk", projection: [...BRIEF_FIELDS] } },
  // Webhook delivery ids (pk DELIVERY#...) expire; tenant items have no expiresAt and stay.
  ttl: "expiresAt",
  deletionProtection: $app.stage === "production",
});

/**
 * The Git webhook's shared secret. Its value is set out of band (`aws secretsmanager put-secret-value`)
 * to what the Git provider signs with; the webhook function reads it by ARN.
 */
export const gitWebhookSecret = new aws.secretsmanager.Secret("GitWebhookSecret", {
  name: `cplane/${$app.stage}/git-webhook`,
  description: "Shared secret Git providers sign webhook deliveries with (GitHub HMAC key, GitLab token)",
  recoveryWindowInDays: $app.stage === "production" ? 30 : 7,
});
