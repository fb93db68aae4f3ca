/**
 * The one registry of every event the control plane publishes or consumes, by source and
 * detail-type. Building it refuses duplicates, so two modules can never claim the same event.
 */
import { approvalEvents } from "./approvals.ts";
import { awsEvents } from "./aws.ts";
import type { EventContract } from "./define.ts";
import { operationEvents } from "./operations.ts";
import { tenantEvents } from "./tenants.ts";

export class DuplicateEventError extends Error {
  override name = "DuplicateEventError";
}

export class UnknownEventError extends Error {
  override name = "UnknownEventError";
}

export interface EventRegistry {
  readonly contracts: readonly EventContract[];
  get(source: string, detailType: string): EventContract;
  has(source: string, detailType: string): boolean;
  sources(): string[];
}

const key = (source: string, detailType: string) => `${source}\u0000${detailType}`;

export function defineEventRegistry(contracts: readonly EventContract[]): EventRegistry {
  const byKey = new Map<string, EventContract>();
  for (const contract of contracts) {
    const k = key(contract.source, contract.detailType);
    if (byKey.has(k)) {
      throw new DuplicateEventError(
        `event "${contract.detailType}" from ${contract.source} is defined twice`,
      );
    }
    byKey.set(k, contract);
  }
  return {
    contracts: [...byKey.values()],
    has: (source, detailType) => byKey.has(key(source, detailType)),
    get(source, detailType) {
      const contract = byKey.get(key(source, detailType));
      if (!contract) throw new UnknownEventError(`no event "${detailType}" from ${source} is registered`);
      return contract;
    },
    sources: () => [...new Set([...byKey.values()].map((c) => c.source))].sort(),
  };
}

export const eventRegistry: EventRegistry = defineEventRegistry([
  ...tenantEvents,
  ...operationEvents,
  ...approvalEvents,
  ...awsEvents,
]);
