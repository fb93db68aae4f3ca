/**
 * Named leases in the registry table: `pk = LOCK#<name>`, `sk = LOCK`. A lease is held exclusively by
 * one execution, or shared by several; each holder has an expiry, so a lease whose owner died is taken
 * over once it has expired. Every change is a read, a decision in code (`decide`, pure) and a write
 * conditional on the version read, retried in place when another writer got there first.
 * Each holder also gets an index item (`pk = OWNER#<execution ARN>`, `sk = LOCK#<name>`) so that an
 * execution's end path can release everything it holds without knowing what that is.
 */
import {
  type AttributeValue,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
} from "@aws-sdk/client-dynamodb";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import { lazyAwsClient } from "../../shared/aws-clients.ts";
import { requireEnv } from "../../shared/env.ts";
import { LockContentionError } from "./errors.ts";

const dynamodb = lazyAwsClient(DynamoDBClient);
const table = () => requireEnv("TENANT_TABLE");

export type LeaseMode = "exclusive" | "shared";

/** A lease as stored: holders by execution ARN with their mode and expiry (epoch ms). */
export interface Lease {
  readonly name: string;
  readonly holders: Readonly<Record<string, { readonly mode: LeaseMode; readonly until: number }>>;
  readonly version: number;
}

export interface LeaseRequest {
  readonly name: string;
  readonly owner: string;
  readonly mode: LeaseMode;
  readonly ttlMs: number;
  readonly now: number;
}

export type Decision =
  | { readonly acquired: true; readonly lease: Lease; readonly tookOver: readonly string[] }
  | {
      readonly acquired: false;
      readonly heldBy: readonly { owner: string; mode: LeaseMode; until: number }[];
    };

/**
 * Whether `request` may hold the lease now, and the lease it would then be. Expired holders no longer
 * count (they are taken over); the owner's own hold is renewed; exclusive excludes everyone else,
 * shared excludes only an exclusive holder.
 */
export function decide(current: Lease | undefined, request: LeaseRequest): Decision {
  const live: Record<string, { mode: LeaseMode; until: number }> = {};
  const tookOver: string[] = [];
  for (const [owner, hold] of Object.entries(current?.holders ?? {})) {
    if (hold.until > request.now) live[owner] = hold;
    else if (owner !== request.owner) tookOver.push(owner);
  }
  const others = Object.entries(live).filter(([owner]) => owner !== request.owner);
  const blocking =
    request.mode === "exclusive" ? others : others.filter(([, hold]) => hold.mode === "exclusive");
  if (blocking.length > 0) {
    return { acquired: false, heldBy: blocking.map(([owner, hold]) => ({ owner, ...hold })) };
  }
  live[request.owner] = { mode: request.mode, until: request.now + request.ttlMs };
  return {
    acquired: true,
    lease: { name: request.name, holders: live, version: (current?.version ?? 0) + 1 },
    tookOver,
  };
}

const lockKey = (name: string) => ({ pk: { S: `LOCK#${name}` }, sk: { S: "LOCK" } });
const ownerKey = (owner: string, name: string) => ({
  pk: { S: `OWNER#${owner}` },
  sk: { S: `LOCK#${name}` },
});

export async function readLease(name: string): Promise<Lease | undefined> {
  const { Item } = await dynamodb().send(
    new GetItemCommand({ TableName: table(), Key: lockKey(name), ConsistentRead: true }),
  );
  if (!Item) return undefined;
  const { holders, version } = unmarshall(Item) as { holders: Lease["holders"]; version: number };
  return { name, holders, version };
}

/** Writes `lease` if the stored version is still `previous` (0: no item); false when someone else wrote. */
async function writeLease(lease: Lease, previous: number): Promise<boolean> {
  try {
    await dynamodb().send(
      new PutItemCommand({
        TableName: table(),
        Item: {
          ...lockKey(lease.name),
          ...marshall({ name: lease.name, holders: lease.holders, version: lease.version }),
        },
        ConditionExpression: previous === 0 ? "attribute_not_exists(pk)" : "version = :previous",
        ...(previous === 0 ? {} : { ExpressionAttributeValues: { ":previous": { N: String(previous) } } }),
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof Error && error.name === "ConditionalCheckFailedException") return false;
    throw error;
  }
}

/**
 * Writers that lose the conditional write read again after a random pause ("full jitter": up to
 * 20 ms, doubling, at most 320 ms), so that many executions taking one shared lease at once (fifty
 * onboardings each holding `fleet` shared) spread out instead of colliding again in step. Measured
 * locally: with no pause, ten onboardings at once lost five writes in a row several times a run.
 */
const ATTEMPTS = 8;
const BACKOFF_BASE_MS = 20;
const BACKOFF_CAP_MS = 320;

/** The pause before attempt `attempt` (1-based) after a lost write; replaceable by tests. */
export const backoff = {
  pause: (attempt: number): Promise<void> => {
    const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1));
    return new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
  },
};

/** Acquires (or renews) the lease for `request.owner`, or says who holds it. */
export async function acquireLease(request: LeaseRequest): Promise<Decision> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (attempt > 0) await backoff.pause(attempt);
    const current = await readLease(request.name);
    const decision = decide(current, request);
    if (!decision.acquired) return decision;
    // The index first: a crash between the two leaves an index item that release tolerates, never a
    // hold that release cannot find.
    await dynamodb().send(
      new PutItemCommand({
        TableName: table(),
        Item: { ...ownerKey(request.owner, request.name), lock: { S: request.name } },
      }),
    );
    if (await writeLease(decision.lease, current?.version ?? 0)) return decision;
  }
  throw new LockContentionError(`lease ${request.name} changed under us ${ATTEMPTS} times in a row`);
}

/** Releases `owner`'s hold on `name` (nothing to do when it holds none). True when a hold was removed. */
export async function releaseLease(name: string, owner: string): Promise<boolean> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (attempt > 0) await backoff.pause(attempt);
    const current = await readLease(name);
    if (!current?.holders[owner]) break;
    const { [owner]: _released, ...rest } = current.holders;
    if (await writeLease({ name, holders: rest, version: current.version + 1 }, current.version)) {
      await dynamodb().send(new DeleteItemCommand({ TableName: table(), Key: ownerKey(owner, name) }));
      return true;
    }
    if (attempt === ATTEMPTS - 1)
      throw new LockContentionError(`lease ${name} changed under us ${ATTEMPTS} times in a row`);
  }
  await dynamodb().send(new DeleteItemCommand({ TableName: table(), Key: ownerKey(owner, name) }));
  return false;
}

/** The leases `owner` holds (or held, until released), from its index items. */
export async function leasesOf(owner: string): Promise<string[]> {
  const names: string[] = [];
  let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await dynamodb().send(
      new QueryCommand({
        TableName: table(),
        KeyConditionExpression: "pk = :owner AND begins_with(sk, :lock)",
        ExpressionAttributeValues: { ":owner": { S: `OWNER#${owner}` }, ":lock": { S: "LOCK#" } },
        ExclusiveStartKey,
      }),
    );
    for (const item of page.Items ?? []) if (item.lock?.S) names.push(item.lock.S);
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return names;
}
