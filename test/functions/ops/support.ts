/** Fixtures for the operations-kit handler tests: environment, executions, lease items as stored. */
import { marshall } from "@aws-sdk/util-dynamodb";
import type { Lease } from "../../../functions/ops/lib/leases.ts";

export { awsError, conditionalCheckFailed } from "../tenant/support.ts";

export const TABLE = "cplane-test-registry";
export const BUS = "cplane-test-bus";
export const EXECUTION =
  "arn:aws:states:us-east-1:123456789012:execution:cplane-test-tenant-onboarding:run-1";
export const OTHER = "arn:aws:states:us-east-1:123456789012:execution:cplane-test-tenant-onboarding:run-0";
export const THIRD = "arn:aws:states:us-east-1:123456789012:execution:cplane-test-canary:run-7";
/** The clock of every test: 2026-11-22T10:00:00Z. */
export const NOW = Date.parse("2026-11-22T10:00:00.000Z");

export function setOpsEnvironment(): void {
  process.env.TENANT_TABLE = TABLE;
  process.env.EVENT_BUS_NAME = BUS;
}

export const lockKey = (name: string) => ({ pk: { S: `LOCK#${name}` }, sk: { S: "LOCK" } });
export const ownerKey = (owner: string, name: string) => ({
  pk: { S: `OWNER#${owner}` },
  sk: { S: `LOCK#${name}` },
});

/** A lease item as DynamoDB returns it. */
export function leaseItem(name: string, holders: Lease["holders"], version: number) {
  return { ...lockKey(name), ...marshall({ name, holders, version }) };
}
