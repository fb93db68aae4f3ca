/**
 * Which webhook deliveries were already turned into events, so that a redelivery (same delivery id)
 * publishes nothing. The store is injectable: in one process (the local runtime, a warm Lambda) the
 * bounded in-memory store below is enough; across Lambda instances on AWS it must be durable, a
 * DynamoDB-backed store as Powertools Idempotency keeps (conditional put on the id, with a TTL).
 */
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
