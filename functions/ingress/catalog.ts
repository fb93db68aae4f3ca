import type { FunctionSpec, ResourceRef } from "../shared/catalog.ts";

const BUS: ResourceRef = { ref: "bus" };
const REGISTRY: ResourceRef = { ref: "tenantTable" };
/** The webhook secret stacks/registry.ts creates; passed by ARN. */
const WEBHOOK_SECRET: ResourceRef = { ref: "gitWebhookSecret", attribute: "arn" };

/** Functions that take requests from outside (webhooks) and turn them into events. */
export const ingressFunctions = [
  {
    id: "ingress/git-webhook",
    handler: "functions/ingress/git-webhook.ts",
    description: "Git push webhook (GitHub, GitLab): verifies the delivery and publishes one Git Push event.",
    timeoutSeconds: 10,
    memoryMB: 256,
    environment: {
      EVENT_BUS_NAME: BUS,
      GIT_WEBHOOK_SECRET_ARN: WEBHOOK_SECRET,
      DELIVERY_TABLE: REGISTRY,
      POWERTOOLS_SERVICE_NAME: "git-webhook",
    },
    url: { localPath: "/webhooks/git" },
    permissions: [
      { actions: ["secretsmanager:GetSecretValue"], resources: [WEBHOOK_SECRET] },
      { actions: ["events:PutEvents"], resources: [BUS] },
      {
        // Delivery ids share the registry table; this function may touch only their items.
        actions: ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
        resources: [REGISTRY],
        conditions: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["DELIVERY#*"] } },
      },
    ],
  },
] as const satisfies readonly FunctionSpec[];
