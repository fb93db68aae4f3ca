/**
 * Publishing the tenant workflows' outcome events. A narrow seam until events/ lands with its
 * schemas and publishEvent; then this module delegates to it and the handlers do not change.
 */
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { createAwsClient } from "../../shared/aws-clients.ts";
import { requireEnv } from "../../shared/env.ts";
import { TransientError } from "../../shared/errors.ts";

const eventBridge = createAwsClient(EventBridgeClient);

export const TENANT_EVENT_SOURCE = "cplane.tenants";

export interface TenantEvents {
  "Tenant Created": {
    tenantId: string;
    slug: string;
    tier: string;
    region: string;
    secretArn: string;
    endpoint: string;
    hostname: string;
  };
  "Tenant Onboarding Failed": {
    tenantId?: string;
    slug?: string;
    name?: string;
    step: string;
    error: string;
    reason: string;
    executionArn: string;
  };
  "Tenant Offboarded": {
    tenantId: string;
    slug: string;
    finalSnapshotId: string | null;
    executionArn: string;
  };
  "Tenant Offboarding Failed": {
    tenantId?: string;
    slug?: string;
    step: string;
    error: string;
    reason: string;
    executionArn: string;
  };
}

export async function publishTenantEvent<T extends keyof TenantEvents>(
  detailType: T,
  detail: TenantEvents[T],
): Promise<void> {
  const out = await eventBridge.send(
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: requireEnv("EVENT_BUS_NAME"),
          Source: TENANT_EVENT_SOURCE,
          DetailType: detailType,
          Detail: JSON.stringify(detail),
        },
      ],
    }),
  );
  if ((out.FailedEntryCount ?? 0) > 0) {
    const entry = out.Entries?.[0];
    throw new TransientError(
      `could not publish ${detailType}: ${entry?.ErrorCode ?? "unknown"} ${entry?.ErrorMessage ?? ""}`,
    );
  }
}
