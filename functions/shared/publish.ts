/**
 * Publishing an event: the detail is validated against its contract (events/) before anything is
 * sent, then put on our bus (EVENT_BUS_NAME) through the shared AWS client factory. It lives with the
 * handlers' client glue, not in events/, which holds contracts only and never calls AWS.
 */
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import type { z } from "zod";
import type { EventContract } from "../../events/define.ts";
import { createAwsClient } from "./aws-clients.ts";
import { requireEnv } from "./env.ts";
import { EventPublishError, InvalidInputError } from "./errors.ts";

export { EventPublishError };

let defaultClient: EventBridgeClient | undefined;

function client(): EventBridgeClient {
  defaultClient ??= createAwsClient(EventBridgeClient);
  return defaultClient;
}

export interface PublishOptions {
  /** Defaults to the shared client made by `createAwsClient(EventBridgeClient)`. */
  client?: EventBridgeClient;
  /** Defaults to env EVENT_BUS_NAME. */
  eventBusName?: string;
  resources?: string[];
}

/** Validates `detail` against the contract and puts it on the bus; returns the event id. */
export async function publishEvent<C extends EventContract>(
  contract: C,
  detail: z.input<C["detail"]>,
  options: PublishOptions = {},
): Promise<string> {
  const parsed = contract.detail.safeParse(detail);
  if (!parsed.success) {
    throw new InvalidInputError(
      `"${contract.detailType}" detail does not match its schema`,
      parsed.error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`),
    );
  }
  const output = await (options.client ?? client()).send(
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: options.eventBusName ?? requireEnv("EVENT_BUS_NAME"),
          Source: contract.source,
          DetailType: contract.detailType,
          Detail: JSON.stringify(parsed.data),
          ...(options.resources ? { Resources: options.resources } : {}),
        },
      ],
    }),
  );
  const entry = output.Entries?.[0];
  if ((output.FailedEntryCount ?? 0) > 0 || !entry?.EventId) {
    throw new EventPublishError(
      `could not publish "${contract.detailType}": ${entry?.ErrorCode ?? "unknown"} ${entry?.ErrorMessage ?? ""}`.trim(),
      entry?.ErrorCode,
    );
  }
  return entry.EventId;
}
