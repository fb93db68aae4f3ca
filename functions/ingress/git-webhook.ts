/**
 * The Git push webhook (a Lambda function URL on AWS, an HTTP route on the local runtime): a signed
 * GitHub `push` or GitLab `Push Hook` becomes one `Git Push` event on our bus; anything unsigned,
 * forged, oversized or malformed gets a 4xx and no event; a redelivery publishes nothing.
 */
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import middy from "@middy/core";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { GitPush } from "../../events/operations.ts";
import { createAwsClient } from "../shared/aws-clients.ts";
import { requireEnv } from "../shared/env.ts";
import { logger } from "../shared/observability.ts";
import { publishEvent } from "../shared/publish.ts";
import { createDynamoDeliveryStore, createMemoryDeliveryStore } from "./lib/deliveries.ts";
import { cachedWebhookSecrets } from "./lib/secret.ts";
import { handleGitWebhook, type WebhookDeps, type WebhookResult } from "./lib/webhook.ts";

const secretsManager = createAwsClient(SecretsManagerClient);

/** Module-scope dependencies; tests and the local runtime may swap any of them. */
export const deps: { -readonly [K in keyof WebhookDeps]: WebhookDeps[K] } = {
  secrets: cachedWebhookSecrets(secretsManager, () => requireEnv("GIT_WEBHOOK_SECRET_ARN")),
  // Shared across Lambda instances through DynamoDB when a table is configured (as the catalog does).
  deliveries: process.env.DELIVERY_TABLE
    ? createDynamoDeliveryStore({
        client: createAwsClient(DynamoDBClient),
        tableName: process.env.DELIVERY_TABLE,
      })
    : createMemoryDeliveryStore(),
  publish: (detail) => publishEvent(GitPush, detail),
};

async function gitWebhook(event: APIGatewayProxyEventV2): Promise<WebhookResult> {
  const result = await handleGitWebhook(event, deps);
  logger.info("git webhook answered", { statusCode: result.statusCode });
  return result;
}

export const handler = middy(gitWebhook).use(injectLambdaContext(logger, { clearState: true }));
