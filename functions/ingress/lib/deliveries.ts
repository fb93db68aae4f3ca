/**
 * Which webhook deliveries were already turned into events, so that a redelivery (same delivery id)
 * publishes nothing. The store is injectable: in one process (the local runtime, a warm Lambda) the
 * bounded in-memory store below is enough; across Lambda instances on AWS it must be durable, a
 * DynamoDB-backed store as Powertools Idempotency keeps (conditional put on the id, with a TTL).
 */
import {
  DeleteItemCommand,
  type DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { awsNow } from "../../shared/aws-clients.ts";

export interface DeliveryStore {
  /** Claims a delivery id: "new" the first time, "duplicate" while in progress or after completion. */
  begin(deliveryId: string): Promise<"new" | "duplicate">;
  /** The delivery's event was published; the id stays claimed. */
  complete(deliveryId: string): Promise<void>;
  /** Publishing failed; release the id so that the provider's retry can succeed. */
  abort(deliveryId: string): Promise<void>;
}

/** Keeps the most recent `capacity` delivery ids (oldest forgotten first). */
export function createMemoryDeliveryStore(capacity = 10_000): DeliveryStore {
  if (!(Number.isInteger(capacity) && capacity > 0))
    throw new RangeError("capacity must be a positive integer");
  const seen = new Map<string, "in-progress" | "done">();
  return {
    async begin(id) {
      if (seen.has(id)) return "duplicate";
      seen.set(id, "in-progress");
      while (seen.size > capacity) {
        const oldest = seen.keys().next().value;
        if (oldest === undefined) break;
        seen.delete(oldest);
      }
      return "new";
    },
    async complete(id) {
      seen.set(id, "done");
    },
    async abort(id) {
      if (seen.get(id) === "in-progress") seen.delete(id);
    },
  };
}

export interface DynamoDeliveryStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** How long a delivery id is remembered (the table's TTL attribute `expiresAt`); default 7 days. */
  readonly retentionSeconds?: number;
  readonly now?: () => number;
}

const deliveryKey = (id: string) => ({ pk: { S: `DELIVERY#${id}` }, sk: { S: "DELIVERY" } });

/**
 * Delivery ids in DynamoDB, shared by every instance of the function (the memory store is per
 * instance, so a redelivery reaching another instance would publish twice). A conditional put
 * claims an id; items expire through the table's TTL.
 */
export function createDynamoDeliveryStore(options: DynamoDeliveryStoreOptions): DeliveryStore {
  const { client, tableName } = options;
  const retention = options.retentionSeconds ?? 7 * 24 * 3600;
  const now = options.now ?? awsNow;
  return {
    async begin(id) {
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              ...deliveryKey(id),
              status: { S: "in-progress" },
              expiresAt: { N: String(Math.floor(now() / 1000) + retention) },
            },
            ConditionExpression: "attribute_not_exists(pk)",
          }),
        );
        return "new";
      } catch (error) {
        if (error instanceof Error && error.name === "ConditionalCheckFailedException") return "duplicate";
        throw error;
      }
    },
    async complete(id) {
      await client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: deliveryKey(id),
          UpdateExpression: "SET #status = :done",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: { ":done": { S: "done" } },
        }),
      );
    },
    async abort(id) {
      await client
        .send(
          new DeleteItemCommand({
            TableName: tableName,
            Key: deliveryKey(id),
            ConditionExpression: "#status = :progress",
            ExpressionAttributeNames: { "#status": "status" },
            ExpressionAttributeValues: { ":progress": { S: "in-progress" } },
          }),
        )
        .catch((error: unknown) => {
          if (!(error instanceof Error && error.name === "ConditionalCheckFailedException")) throw error;
        });
    },
  };
}
