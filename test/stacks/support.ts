/** The deployment the stacks tests render for: stage prod of app cplane in eu-west-1. */
import type { DeployContext } from "../../deploy/context.ts";

export const ctx: DeployContext = {
  app: "cplane",
  stage: "prod",
  region: "eu-west-1",
  drRegion: "eu-central-1",
  account: "123456789012",
  partition: "aws",
  resources: {
    bus: { name: "cplane-prod-bus", arn: "arn:aws:events:eu-west-1:123456789012:event-bus/cplane-prod-bus" },
    tenantTable: {
      name: "cplane-prod-tenants",
      arn: "arn:aws:dynamodb:eu-west-1:123456789012:table/cplane-prod-tenants",
    },
    gitWebhookSecret: {
      name: "cplane/prod/git-webhook",
      arn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:cplane/prod/git-webhook-AbCdEf",
    },
  },
};
