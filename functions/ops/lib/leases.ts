/**
 * Named leases in the registry table: `pk = LOCK#<name>`, `sk = LOCK`. A lease is held exclusively by
 * one execution, or shared by several; each holder has an expiry, so a lease whose owner died is taken
 * over once it has expired. Every change is a read, a decision in code (`decide`, pure) and a write
 * conditional on the version read, retried in place when another writer got there first.
 * Each holder also gets an index item (`pk = OWNER#<execution ARN>`, `sk = LOCK#<name>`) so that an
 * execution's end path can release everything it holds without knowing what that is.
 *
 * Shared holds are the common case (every onboarding holds `fleet` shared), so they skip the read:
 * one update adds or removes the holder's own entry, conditional on no live exclusive holder
 * (`exclusiveUntil`, which every full write keeps: the live exclusive holder's expiry, or 0). Shared
 * holders then never contend with each other; a lease that does not exist yet, a live exclusive
 * holder, and every exclusive request take the read-decide-write path.
 */
import {
  type AttributeValue,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
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

/** The expiry of the lease's exclusive hold (`decide` keeps at most one live), or 0 when there is none. */
function exclusiveUntil(lease: Lease): number {
  return Math.max(0, ...Object.values(lease.holders).map((h) => (h.mode === "exclusive" ? h.until : 0)));
}

const isConditionFailure = (error: unknown) =>
  error instanceof Error && error.name === "ConditionalCheckFailedException";

/**
 * Adds a shared hold in one update when the lease exists with no live exclusive holder; undefined
 * when it does not apply (no lease yet, a live exclusive holder, or a lease written before
 * `exclusiveUntil` existed), for the read-decide-write path to settle.
 */
async function addSharedHold(request: LeaseRequest): Promise<Decision | undefined> {
  const until = request.now + request.ttlMs;
  try {
    const { Attributes } = await dynamodb().send(
      new UpdateItemCommand({
        TableName: table(),
        Key: lockKey(request.name),
        UpdateExpression: "SET holders.#owner = :hold ADD version :one",
        ConditionExpression: "exclusiveUntil <= :now",
        ExpressionAttributeNames: { "#owner": request.owner },
        ExpressionAttributeValues: marshall({
          ":hold": { mode: "shared", until },
          ":one": 1,
          ":now": request.now,
        }),
        ReturnValues: "ALL_NEW",
      }),
    );
    const stored = unmarshall(Attributes ?? {}) as { holders?: Lease["holders"]; version?: number };
    const holders = stored.holders ?? { [request.owner]: { mode: "shared", until } };
    const tookOver = Object.entries(holders)
      .filter(([owner, hold]) => owner !== request.owner && hold.until <= request.now)
      .map(([owner]) => owner);
    return {
      acquired: true,
      lease: { name: request.name, holders, version: stored.version ?? 0 },
      tookOver,
    };
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
}

/** Removes `owner`'s shared hold in one update; false when it holds none shared (the full path decides). */
async function removeSharedHold(name: string, owner: string): Promise<boolean> {
  try {
    await dynamodb().send(
      new UpdateItemCommand({
        TableName: table(),
        Key: lockKey(name),
        UpdateExpression: "REMOVE holders.#owner ADD version :one",
        ConditionExpression: "holders.#owner.#mode = :shared",
        ExpressionAttributeNames: { "#owner": owner, "#mode": "mode" },
        ExpressionAttributeValues: marshall({ ":shared": "shared", ":one": 1 }),
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** Writes `lease` if the stored version is still `previous` (0: no item); false when someone else wrote. */
async function writeLease(lease: Lease, previous: number): Promise<boolean> {
  try {
    await dynamodb().send(
      new PutItemCommand({
        TableName: table(),
        Item: {
          ...lockKey(lease.name),
          ...marshall({
            name: lease.name,
            holders: lease.holders,
            version: lease.version,
            exclusiveUntil: exclusiveUntil(lease),
          }),
        },
        ConditionExpression: previous === 0 ? "attribute_not_exists(pk)" : "version = :previous",
        ...(previous === 0 ? {} : { ExpressionAttributeValues: { ":previous": { N: String(previous) } } }),
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
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
  if (request.mode === "shared") {
    // The index first, as below.
    await writeIndex(request.owner, request.name);
  }
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (attempt > 0) await backoff.pause(attempt);
    // Every attempt, not only the first: when fifty shared holders find no lease, one creates it and
    // the others, having lost that write, join with the update instead of queueing for full writes.
    if (request.mode === "shared") {
      const added = await addSharedHold(request);
      if (added) return added;
    }
    const current = await readLease(request.name);
    const decision = decide(current, request);
    if (!decision.acquired) {
      // Refused: the owner holds nothing live here, so the index item the one-update path wrote is stray.
      if (request.mode === "shared") await deleteIndex(request.owner, request.name);
      return decision;
    }
    // The index first: a crash between the two leaves an index item that release tolerates, never a
    // hold that release cannot find.
    await writeIndex(request.owner, request.name);
    if (await writeLease(decision.lease, current?.version ?? 0)) return decision;
  }
  throw new LockContentionError(`lease ${request.name} changed under us ${ATTEMPTS} times in a row`);
}

function deleteIndex(owner: string, name: string) {
  return dynamodb().send(new DeleteItemCommand({ TableName: table(), Key: ownerKey(owner, name) }));
}

function writeIndex(owner: string, name: string) {
  return dynamodb().send(
    new PutItemCommand({ TableName: table(), Item: { ...ownerKey(owner, name), lock: { S: name } } }),
  );
}

/** Releases `owner`'s hold on `name` (nothing to do when it holds none). True when a hold was removed. */
export async function releaseLease(name: string, owner: string): Promise<boolean> {
  if (await removeSharedHold(name, owner)) {
    await deleteIndex(owner, name);
    return true;
  }
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (attempt > 0) await backoff.pause(attempt);
    const current = await readLease(name);
    if (!current?.holders[owner]) break;
    const { [owner]: _released, ...rest } = current.holders;
    if (await writeLease({ name, holders: rest, version: current.version + 1 }, current.version)) {
      await deleteIndex(owner, name);
      return true;
    }
    if (attempt === ATTEMPTS - 1)
      throw new LockContentionError(`lease ${name} changed under us ${ATTEMPTS} times in a row`);
  }
  await deleteIndex(owner, name);
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
