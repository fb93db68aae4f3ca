/**
 * The tenant registry: one DynamoDB item per tenant (`pk = TENANT#<slug>`, `sk = TENANT`) with its
 * status, the resources it owns and a per-step history with reasons, plus an alias item
 * (`pk = TENANTID#<tenantId>`, `sk = ALIAS`, `slug`) to find a tenant by id. Status changes are
 * conditional writes, so two executions cannot both move a tenant.
 */

import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import {
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import type { Leftover } from "../../../events/tenants.ts";
import { createAwsClient } from "../../shared/aws-clients.ts";
import { requireEnv } from "../../shared/env.ts";
import { isAwsError, TenantNotFoundError, TenantStateConflictError } from "./errors.ts";
import { BRIEF_FIELDS, TENANT_INDEX } from "./registry-index.ts";
import type { Tier } from "./tiers.ts";

let client: DynamoDBClient | undefined;
/** Made on first use, so that the CLI can import the listing without a Lambda environment. */
const dynamodb = () => {
  client ??= createAwsClient(DynamoDBClient);
  return client;
};

export type TenantStatus = "onboarding" | "active" | "failed" | "offboarding" | "offboarded";

export interface HistoryEntry {
  readonly at: string;
  readonly step: string;
  readonly outcome: string;
  readonly reason?: string;
  readonly executionArn?: string;
}

export interface TenantRecord {
  readonly tenantId: string;
  readonly slug: string;
  readonly name: string;
  readonly tier: Tier;
  readonly adminEmail: string;
  readonly region: string;
  readonly status: TenantStatus;
  /** The execution that currently drives the tenant (onboarding or offboarding). */
  readonly executionArn: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly history: readonly HistoryEntry[];
  readonly secretArn?: string;
  readonly endpoint?: string;
  readonly hostname?: string;
  readonly finalSnapshotId?: string;
  /** Where the final snapshot is, when not in the stage's region (a tenant offboarded after a failover). */
  readonly finalSnapshotRegion?: string;
  /** What offboarding could not reach (a region down); the DR readiness run removes it and empties this. */
  readonly leftovers?: readonly Leftover[];
  readonly failure?: { readonly step: string; readonly error: string; readonly cause: string };
}

export function tenantKey(slug: string) {
  return { pk: { S: `TENANT#${slug}` }, sk: { S: "TENANT" } };
}

function table(): string {
  return requireEnv("TENANT_TABLE");
}

/** Creates the tenant; false when an item with this slug already exists (nothing is written then). */
export async function putNewTenant(tenant: TenantRecord): Promise<boolean> {
  try {
    await dynamodb().send(
      new PutItemCommand({
        TableName: table(),
        Item: { ...tenantKey(tenant.slug), ...marshall(tenant, { removeUndefinedValues: true }) },
        ConditionExpression: "attribute_not_exists(pk)",
      }),
    );
    return true;
  } catch (error) {
    if (isAwsError(error, "ConditionalCheckFailedException")) return false;
    throw error;
  }
}

export function aliasKey(tenantId: string) {
  return { pk: { S: `TENANTID#${tenantId}` }, sk: { S: "ALIAS" } };
}

/** Writes the tenant id → slug alias (idempotent). */
export async function putTenantAlias(tenantId: string, slug: string): Promise<void> {
  await dynamodb().send(
    new PutItemCommand({
      TableName: table(),
      Item: { ...aliasKey(tenantId), tenantId: { S: tenantId }, slug: { S: slug } },
    }),
  );
}

/** The slug of a tenant id, or undefined when no tenant has it. */
export async function slugOfTenant(tenantId: string): Promise<string | undefined> {
  const { Item } = await dynamodb().send(
    new GetItemCommand({ TableName: table(), Key: aliasKey(tenantId), ConsistentRead: true }),
  );
  return Item?.slug?.S;
}

export async function getTenant(slug: string): Promise<TenantRecord | undefined> {
  const { Item } = await dynamodb().send(
    new GetItemCommand({ TableName: table(), Key: tenantKey(slug), ConsistentRead: true }),
  );
  if (!Item) return undefined;
  const { pk: _pk, sk: _sk, ...tenant } = unmarshall(Item);
  return tenant as TenantRecord;
}

export async function requireTenant(slug: string): Promise<TenantRecord> {
  const tenant = await getTenant(slug);
  if (!tenant) throw new TenantNotFoundError(`tenant "${slug}" is not registered`);
  return tenant;
}

export interface Transition {
  readonly slug: string;
  /** The statuses the tenant may be in; the write fails otherwise. */
  readonly from: readonly TenantStatus[];
  readonly to: TenantStatus;
  readonly entry: HistoryEntry;
  /** Attributes to set along with the status. */
  readonly set?: Readonly<Record<string, unknown>>;
}

/**
 * Moves the tenant to `to` and appends a history entry, if its status is one of `from`. Returns the
 * updated record. Throws `TenantStateConflictError` when the tenant is in another state (a repeat of
 * the same transition finds it already in `to`, which callers list in `from` when that is fine).
 */
export async function transition(change: Transition): Promise<TenantRecord> {
  const names: Record<string, string> = {
    "#status": "status",
    "#updatedAt": "updatedAt",
    "#history": "history",
  };
  const values: Record<string, unknown> = {
    ":to": change.to,
    ":now": change.entry.at,
    ":entry": [change.entry],
  };
  const assignments = ["#status = :to", "#updatedAt = :now", "#history = list_append(#history, :entry)"];
  Object.entries(change.set ?? {}).forEach(([key, value], index) => {
    if (value === undefined) return;
    names[`#a${index}`] = key;
    values[`:a${index}`] = value;
    assignments.push(`#a${index} = :a${index}`);
  });
  const allowed = change.from.map((_, index) => `:from${index}`);
  change.from.forEach((status, index) => {
    values[`:from${index}`] = status;
  });
  try {
    const { Attributes } = await dynamodb().send(
      new UpdateItemCommand({
        TableName: table(),
        Key: tenantKey(change.slug),
        UpdateExpression: `SET ${assignments.join(", ")}`,
        ConditionExpression: `attribute_exists(pk) AND #status IN (${allowed.join(", ")})`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: marshall(values, { removeUndefinedValues: true }),
        ReturnValues: "ALL_NEW",
      }),
    );
    const { pk: _pk, sk: _sk, ...tenant } = unmarshall(Attributes ?? {});
    return tenant as TenantRecord;
  } catch (error) {
    if (!isAwsError(error, "ConditionalCheckFailedException")) throw error;
    const current = await requireTenant(change.slug);
    throw new TenantStateConflictError(
      `tenant "${change.slug}" is ${current.status}; ${change.entry.step} needs ${change.from.join(" or ")}`,
      { cause: error },
    );
  }
}

/** Appends a history entry without changing the status. */
export async function recordStep(slug: string, entry: HistoryEntry): Promise<void> {
  await dynamodb().send(
    new UpdateItemCommand({
      TableName: table(),
      Key: tenantKey(slug),
      UpdateExpression: "SET #history = list_append(#history, :entry), #updatedAt = :now",
      ConditionExpression: "attribute_exists(pk)",
      ExpressionAttributeNames: { "#history": "history", "#updatedAt": "updatedAt" },
      ExpressionAttributeValues: marshall(
        { ":entry": [entry], ":now": entry.at },
        { removeUndefinedValues: true },
      ),
    }),
  );
}

/** What listings show of a tenant (the CLI, the local admin API): no history, no resource ARNs. */
export function tenantSummary(t: TenantRecord) {
  return {
    tenantId: t.tenantId,
    slug: t.slug,
    name: t.name,
    tier: t.tier,
    status: t.status,
    region: t.region,
    hostname: t.hostname,
    updatedAt: t.updatedAt,
    failure: t.failure,
    /** What an offboarding could not reach yet (a region down), removed by the DR readiness run. */
    leftovers: t.leftovers,
  };
}
export type TenantSummary = ReturnType<typeof tenantSummary>;

/** What the DR upkeep reads of every tenant, every few minutes: no history, no failure, no endpoints. */
export type TenantBrief = Pick<TenantRecord, (typeof BRIEF_FIELDS)[number]>;

/**
 * Every tenant in brief, read through the registry's index of tenant items (registry-index.ts): the
 * upkeep lists the fleet on every run (every 5 simulated minutes) and needs neither the history of each
 * tenant nor the reports and leases beside them. Where the index cannot answer (a local data directory
 * made before it, whose table cannot gain one; on AWS, an index still being built), the table is
 * scanned with the same projection: slower, the same answer. Both reads are eventually consistent.
 */
export async function listTenantBriefs(): Promise<TenantBrief[]> {
  const fields = {
    ProjectionExpression: BRIEF_FIELDS.map((_, i) => `#f${i}`).join(", "),
    // `status` and `region` are DynamoDB reserved words: every field is named through a placeholder.
    ExpressionAttributeNames: Object.fromEntries(BRIEF_FIELDS.map((field, i) => [`#f${i}`, field])),
    ExpressionAttributeValues: { ":tenant": { S: "TENANT" } },
  };
  const read = async (page: (start?: Record<string, AttributeValue>) => Promise<ListedPage>) => {
    const tenants: TenantBrief[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const listed = await page(start);
      for (const item of listed.Items ?? []) tenants.push(unmarshall(item) as TenantBrief);
      start = listed.LastEvaluatedKey;
    } while (start);
    return tenants.sort((a, b) => a.slug.localeCompare(b.slug));
  };
  try {
    return await read((ExclusiveStartKey) =>
      dynamodb().send(
        new QueryCommand({
          TableName: table(),
          IndexName: TENANT_INDEX,
          KeyConditionExpression: "sk = :tenant",
          ...fields,
          ExclusiveStartKey,
        }),
      ),
    );
  } catch (error) {
    if (!indexUnavailable(error)) throw error;
    return read((ExclusiveStartKey) =>
      dynamodb().send(
        new ScanCommand({
          TableName: table(),
          FilterExpression: "sk = :tenant",
          ...fields,
          ExclusiveStartKey,
        }),
      ),
    );
  }
}

interface ListedPage {
  readonly Items?: Record<string, AttributeValue>[];
  readonly LastEvaluatedKey?: Record<string, AttributeValue>;
}

/**
 * DynamoDB's answer to a Query of an index the table does not have ("The table does not have the
 * specified index"), or has not finished building ("Cannot read from backfilling global secondary index").
 */
function indexUnavailable(error: unknown): boolean {
  return (
    isAwsError(error, "ValidationException") &&
    /specified index|backfilling global secondary index/i.test(error instanceof Error ? error.message : "")
  );
}

/**
 * Every tenant in the registry (alias items left out), by slug. Reads the whole table: for operators.
 * From this function's table, or from `from` (the CLI reading a deployed stage).
 */
export async function listTenants(from?: {
  client: DynamoDBClient;
  tableName: string;
}): Promise<TenantRecord[]> {
  const tenants: TenantRecord[] = [];
  let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await (from?.client ?? dynamodb()).send(
      new ScanCommand({
        TableName: from?.tableName ?? table(),
        FilterExpression: "sk = :tenant",
        ExpressionAttributeValues: { ":tenant": { S: "TENANT" } },
        ExclusiveStartKey,
      }),
    );
    for (const item of page.Items ?? []) {
      const { pk: _pk, sk: _sk, ...tenant } = unmarshall(item);
      tenants.push(tenant as TenantRecord);
    }
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return tenants.sort((a, b) => a.slug.localeCompare(b.slug));
}
