import {
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import fc from "fast-check";
import { beforeEach, describe, expect, it, vi } from "vitest";
import {
  acquireLease,
  backoff,
  decide,
  type Lease,
  type LeaseMode,
  leasesOf,
  releaseLease,
} from "../../../functions/ops/lib/leases.ts";
import {
  awsError,
  conditionalCheckFailed,
  EXECUTION,
  leaseItem,
  lockKey,
  NOW,
  OTHER,
  ownerKey,
  setOpsEnvironment,
  TABLE,
  THIRD,
} from "./support.ts";

const dynamodb = mockClient(DynamoDBClient);
const HOUR = 3600_000;
const request = (owner: string, mode: LeaseMode, overrides: { now?: number; ttlMs?: number } = {}) => ({
  name: "fleet",
  owner,
  mode,
  ttlMs: overrides.ttlMs ?? HOUR,
  now: overrides.now ?? NOW,
});
const lease = (holders: Lease["holders"], version = 1): Lease => ({ name: "fleet", holders, version });

/** The attempts that paused before reading again (no real waiting in these tests). */
let pauses: number[] = [];

beforeEach(() => {
  dynamodb.reset();
  setOpsEnvironment();
  pauses = [];
  // Unless a test says otherwise, the one-update shared path does not apply (as for a lease written
  // before `exclusiveUntil` existed), so the read-decide-write path is what these tests see.
  dynamodb.on(UpdateItemCommand).rejects(conditionalCheckFailed());
  vi.spyOn(backoff, "pause").mockImplementation(async (attempt) => {
    pauses.push(attempt);
  });
});

describe("decide", () => {
  it("grants a lease nobody holds and starts its version at 1", () => {
    expect(decide(undefined, request(EXECUTION, "exclusive"))).toEqual({
      acquired: true,
      lease: {
        name: "fleet",
        holders: { [EXECUTION]: { mode: "exclusive", until: NOW + HOUR } },
        version: 1,
      },
      tookOver: [],
    });
  });

  it("lets shared holders share, and bumps the version", () => {
    const current = lease({ [OTHER]: { mode: "shared", until: NOW + 5_000 } }, 7);

    expect(decide(current, request(EXECUTION, "shared"))).toEqual({
      acquired: true,
      lease: {
        name: "fleet",
        holders: {
          [OTHER]: { mode: "shared", until: NOW + 5_000 },
          [EXECUTION]: { mode: "shared", until: NOW + HOUR },
        },
        version: 8,
      },
      tookOver: [],
    });
  });

  it("refuses an exclusive request while another owner holds it shared, naming that holder", () => {
    const current = lease({ [OTHER]: { mode: "shared", until: NOW + 5_000 } });

    expect(decide(current, request(EXECUTION, "exclusive"))).toEqual({
      acquired: false,
      heldBy: [{ owner: OTHER, mode: "shared", until: NOW + 5_000 }],
    });
  });

  it("refuses a shared request while another owner holds it exclusively", () => {
    const current = lease({ [OTHER]: { mode: "exclusive", until: NOW + 1 } });

    expect(decide(current, request(EXECUTION, "shared"))).toEqual({
      acquired: false,
      heldBy: [{ owner: OTHER, mode: "exclusive", until: NOW + 1 }],
    });
  });

  it("reports only the holders in the way: an exclusive request names every other live holder", () => {
    const current = lease({
      [OTHER]: { mode: "shared", until: NOW + 10 },
      [THIRD]: { mode: "shared", until: NOW + 20 },
      [EXECUTION]: { mode: "shared", until: NOW + 30 },
    });

    const decision = decide(current, request(EXECUTION, "exclusive"));

    expect(decision).toEqual({
      acquired: false,
      heldBy: [
        { owner: OTHER, mode: "shared", until: NOW + 10 },
        { owner: THIRD, mode: "shared", until: NOW + 20 },
      ],
    });
  });

  it("renews the owner's own hold with a new expiry (and may change its mode when alone)", () => {
    const current = lease({ [EXECUTION]: { mode: "shared", until: NOW + 10 } }, 4);

    expect(decide(current, request(EXECUTION, "exclusive", { ttlMs: 60_000 }))).toEqual({
      acquired: true,
      lease: {
        name: "fleet",
        holders: { [EXECUTION]: { mode: "exclusive", until: NOW + 60_000 } },
        version: 5,
      },
      tookOver: [],
    });
  });

  it("takes over expired holders (an expiry equal to now counts as expired), reports them and drops them", () => {
    const current = lease({
      [OTHER]: { mode: "exclusive", until: NOW },
      [THIRD]: { mode: "shared", until: NOW - HOUR },
    });

    expect(decide(current, request(EXECUTION, "exclusive"))).toEqual({
      acquired: true,
      lease: {
        name: "fleet",
        holders: { [EXECUTION]: { mode: "exclusive", until: NOW + HOUR } },
        version: 2,
      },
      tookOver: [OTHER, THIRD],
    });
  });

  it("does not report the owner's own expired hold as taken over", () => {
    const current = lease({ [EXECUTION]: { mode: "exclusive", until: NOW - 1 } });

    const decision = decide(current, request(EXECUTION, "exclusive"));

    expect(decision).toMatchObject({ acquired: true, tookOver: [] });
  });

  it("keeps at most one live exclusive holder, never beside another owner's live hold, whatever the sequence", () => {
    const owners = [EXECUTION, OTHER, THIRD, "arn:aws:states:us-east-1:123456789012:execution:x:run-4"];
    const operation = fc.record({
      owner: fc.integer({ min: 0, max: owners.length - 1 }),
      action: fc.constantFrom("acquire-exclusive", "acquire-shared", "release"),
      ttlMs: fc.integer({ min: 1, max: 10_000 }),
      advanceMs: fc.integer({ min: 0, max: 6_000 }),
    });
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 60 }), (operations) => {
        let current: Lease | undefined;
        let now = NOW;
        for (const op of operations) {
          now += op.advanceMs;
          const owner = owners[op.owner] ?? EXECUTION;
          if (op.action === "release") {
            if (current?.holders[owner]) {
              const { [owner]: _gone, ...rest } = current.holders;
              current = { ...current, holders: rest, version: current.version + 1 };
            }
          } else {
            const mode = op.action === "acquire-exclusive" ? "exclusive" : "shared";
            const decision = decide(current, { name: "fleet", owner, mode, ttlMs: op.ttlMs, now });
            if (decision.acquired) {
              expect(decision.lease.holders[owner]).toEqual({ mode, until: now + op.ttlMs });
              expect(decision.lease.version).toBe((current?.version ?? 0) + 1);
              current = decision.lease;
            } else {
              // Refused only for a live holder of another owner that is in the way.
              expect(decision.heldBy.length).toBeGreaterThan(0);
              for (const hold of decision.heldBy) {
                expect(hold.owner).not.toBe(owner);
                expect(hold.until).toBeGreaterThan(now);
                if (mode === "shared") expect(hold.mode).toBe("exclusive");
              }
            }
          }
          const live = Object.entries(current?.holders ?? {}).filter(([, hold]) => hold.until > now);
          const exclusive = live.filter(([, hold]) => hold.mode === "exclusive");
          expect(exclusive.length).toBeLessThanOrEqual(1);
          if (exclusive.length === 1) expect(live).toHaveLength(1);
        }
      }),
      { numRuns: 300 },
    );
  });
});

/** The lease item `acquireLease` writes for a single holder, as DynamoDB receives it. */
const writtenLease = (holders: Record<string, { mode: string; until: number }>, version: number) => ({
  pk: { S: "LOCK#fleet" },
  sk: { S: "LOCK" },
  name: { S: "fleet" },
  holders: {
    M: Object.fromEntries(
      Object.entries(holders).map(([owner, hold]) => [
        owner,
        { M: { mode: { S: hold.mode }, until: { N: String(hold.until) } } },
      ]),
    ),
  },
  version: { N: String(version) },
  exclusiveUntil: {
    N: String(Math.max(0, ...Object.values(holders).map((h) => (h.mode === "exclusive" ? h.until : 0)))),
  },
});

/** The one update that adds a shared hold, as DynamoDB receives it. */
const sharedHoldUpdate = (owner: string, until: number) => ({
  TableName: TABLE,
  Key: lockKey("fleet"),
  UpdateExpression: "SET holders.#owner = :hold ADD version :one",
  ConditionExpression: "exclusiveUntil <= :now",
  ExpressionAttributeNames: { "#owner": owner },
  ExpressionAttributeValues: {
    ":hold": { M: { mode: { S: "shared" }, until: { N: String(until) } } },
    ":one": { N: "1" },
    ":now": { N: String(NOW) },
  },
  ReturnValues: "ALL_NEW",
});

describe("acquireLease, shared, in one update", () => {
  it("adds the owner's shared hold without reading when no exclusive holder is live, and reports expired holders", async () => {
    // Prepare
    dynamodb.on(PutItemCommand).resolves({});
    dynamodb.on(UpdateItemCommand).resolves({
      Attributes: {
        ...leaseItem(
          "fleet",
          { [OTHER]: { mode: "shared", until: NOW - 1 }, [EXECUTION]: { mode: "shared", until: NOW + HOUR } },
          9,
        ),
        exclusiveUntil: { N: "0" },
      },
    });

    // Act
    const decision = await acquireLease(request(EXECUTION, "shared"));

    // Assess
    expect(dynamodb.commandCalls(UpdateItemCommand).map((call) => call.args[0].input)).toEqual([
      sharedHoldUpdate(EXECUTION, NOW + HOUR),
    ]);
    expect(dynamodb.commandCalls(GetItemCommand)).toHaveLength(0);
    expect(dynamodb.commandCalls(PutItemCommand).map((call) => call.args[0].input)).toEqual([
      { TableName: TABLE, Item: { ...ownerKey(EXECUTION, "fleet"), lock: { S: "fleet" } } },
    ]);
    expect(decision).toMatchObject({ acquired: true, tookOver: [OTHER], lease: { version: 9 } });
  });

  it("falls back to reading when an exclusive holder is live, and is refused by it", async () => {
    dynamodb.on(PutItemCommand).resolves({});
    dynamodb.on(GetItemCommand).resolves({
      Item: {
        ...leaseItem("fleet", { [OTHER]: { mode: "exclusive", until: NOW + 10 } }, 2),
        exclusiveUntil: { N: String(NOW + 10) },
      },
    });

    const decision = await acquireLease(request(EXECUTION, "shared"));

    expect(dynamodb.commandCalls(UpdateItemCommand)).toHaveLength(1);
    expect(decision).toEqual({
      acquired: false,
      heldBy: [{ owner: OTHER, mode: "exclusive", until: NOW + 10 }],
    });
  });

  it("writes an exclusive hold's expiry beside it, so that shared requests stop at it without reading", async () => {
    dynamodb.on(GetItemCommand).resolves({});
    dynamodb.on(PutItemCommand).resolves({});

    await acquireLease(request(EXECUTION, "exclusive"));

    const written = dynamodb.commandCalls(PutItemCommand)[1]?.args[0].input.Item;
    expect(written?.exclusiveUntil).toEqual({ N: String(NOW + HOUR) });
    expect(dynamodb.commandCalls(UpdateItemCommand)).toHaveLength(0);
  });
});

describe("releaseLease, shared, in one update", () => {
  it("removes the owner's shared entry without reading, then deletes its index item", async () => {
    dynamodb.on(UpdateItemCommand).resolves({});
    dynamodb.on(DeleteItemCommand).resolves({});

    const released = await releaseLease("fleet", EXECUTION);

    expect(released).toBe(true);
    expect(dynamodb.commandCalls(UpdateItemCommand).map((call) => call.args[0].input)).toEqual([
      {
        TableName: TABLE,
        Key: lockKey("fleet"),
        UpdateExpression: "REMOVE holders.#owner ADD version :one",
        ConditionExpression: "holders.#owner.#mode = :shared",
        ExpressionAttributeNames: { "#owner": EXECUTION, "#mode": "mode" },
        ExpressionAttributeValues: { ":shared": { S: "shared" }, ":one": { N: "1" } },
      },
    ]);
    expect(dynamodb.commandCalls(GetItemCommand)).toHaveLength(0);
    expect(dynamodb.commandCalls(DeleteItemCommand).map((call) => call.args[0].input)).toEqual([
      { TableName: TABLE, Key: ownerKey(EXECUTION, "fleet") },
    ]);
  });
});

describe("acquireLease", () => {
  it("reads consistently, writes the owner's index item, then creates the lease only if it still does not exist", async () => {
    // Prepare
    dynamodb.on(GetItemCommand).resolves({});
    dynamodb.on(PutItemCommand).resolves({});

    // Act
    const decision = await acquireLease(request(EXECUTION, "exclusive"));

    // Assess
    expect(dynamodb.commandCalls(GetItemCommand).map((call) => call.args[0].input)).toEqual([
      { TableName: TABLE, Key: lockKey("fleet"), ConsistentRead: true },
    ]);
    expect(dynamodb.commandCalls(PutItemCommand).map((call) => call.args[0].input)).toEqual([
      { TableName: TABLE, Item: { ...ownerKey(EXECUTION, "fleet"), lock: { S: "fleet" } } },
      {
        TableName: TABLE,
        Item: writtenLease({ [EXECUTION]: { mode: "exclusive", until: NOW + HOUR } }, 1),
        ConditionExpression: "attribute_not_exists(pk)",
      },
    ]);
    expect(decision).toMatchObject({ acquired: true, tookOver: [] });
  });

  it("writes over an existing lease only if its version is still the one read", async () => {
    dynamodb
      .on(GetItemCommand)
      .resolves({ Item: leaseItem("fleet", { [OTHER]: { mode: "shared", until: NOW + 10 } }, 3) });
    dynamodb.on(PutItemCommand).resolves({});

    await acquireLease(request(EXECUTION, "shared"));

    const leaseWrites = dynamodb
      .commandCalls(PutItemCommand)
      .map((call) => call.args[0].input)
      .filter((input) => input.ConditionExpression !== undefined);
    expect(leaseWrites[0]).toEqual({
      TableName: TABLE,
      Item: writtenLease(
        { [OTHER]: { mode: "shared", until: NOW + 10 }, [EXECUTION]: { mode: "shared", until: NOW + HOUR } },
        4,
      ),
      ConditionExpression: "version = :previous",
      ExpressionAttributeValues: { ":previous": { N: "3" } },
    });
  });

  it("writes nothing when the lease is held by someone else, and says by whom", async () => {
    dynamodb
      .on(GetItemCommand)
      .resolves({ Item: leaseItem("fleet", { [OTHER]: { mode: "exclusive", until: NOW + 10 } }, 2) });

    const decision = await acquireLease(request(EXECUTION, "shared"));

    expect(decision).toEqual({
      acquired: false,
      heldBy: [{ owner: OTHER, mode: "exclusive", until: NOW + 10 }],
    });
    // The index item written before the one-update attempt is taken back; no lease is written.
    const index = { ...ownerKey(EXECUTION, "fleet"), lock: { S: "fleet" } };
    expect(dynamodb.commandCalls(PutItemCommand).map((call) => call.args[0].input)).toEqual([
      { TableName: TABLE, Item: index },
    ]);
    expect(dynamodb.commandCalls(DeleteItemCommand).map((call) => call.args[0].input)).toEqual([
      { TableName: TABLE, Key: ownerKey(EXECUTION, "fleet") },
    ]);
  });

  it("reads again and decides on the new state when another writer got there first", async () => {
    // Prepare: the first conditional write loses to OTHER, which took the lease shared meanwhile.
    dynamodb
      .on(GetItemCommand)
      .resolvesOnce({})
      .resolves({ Item: leaseItem("fleet", { [OTHER]: { mode: "shared", until: NOW + 10 } }, 1) });
    dynamodb.on(PutItemCommand).resolves({});
    dynamodb
      .on(PutItemCommand, { ConditionExpression: "attribute_not_exists(pk)" })
      .rejects(conditionalCheckFailed());

    // Act
    const decision = await acquireLease(request(EXECUTION, "shared"));

    // Assess
    expect(dynamodb.commandCalls(GetItemCommand)).toHaveLength(2);
    const leaseWrites = dynamodb
      .commandCalls(PutItemCommand)
      .map((call) => call.args[0].input)
      .filter((input) => input.ConditionExpression !== undefined);
    expect(leaseWrites[1]).toEqual({
      TableName: TABLE,
      Item: writtenLease(
        { [OTHER]: { mode: "shared", until: NOW + 10 }, [EXECUTION]: { mode: "shared", until: NOW + HOUR } },
        2,
      ),
      ConditionExpression: "version = :previous",
      ExpressionAttributeValues: { ":previous": { N: "1" } },
    });
    expect(decision).toMatchObject({ acquired: true });
  });

  it("joins with the one-update shared hold once another writer has created the lease, instead of queueing for full writes", async () => {
    // Prepare: no lease yet, so the first update fails and the creating write loses to OTHER; by the
    // second attempt the lease exists and the update applies.
    dynamodb
      .on(UpdateItemCommand)
      .rejectsOnce(conditionalCheckFailed())
      .resolves({
        Attributes: marshall({
          holders: {
            [OTHER]: { mode: "shared", until: NOW + 10 },
            [EXECUTION]: { mode: "shared", until: NOW + HOUR },
          },
          version: 2,
        }),
      });
    dynamodb.on(GetItemCommand).resolves({});
    dynamodb.on(PutItemCommand).resolves({});
    dynamodb
      .on(PutItemCommand, { ConditionExpression: "attribute_not_exists(pk)" })
      .rejects(conditionalCheckFailed());

    // Act
    const decision = await acquireLease(request(EXECUTION, "shared"));

    // Assess: one read and one lost creating write, then the update; no second full write.
    expect(decision).toMatchObject({ acquired: true, lease: { version: 2 } });
    expect(dynamodb.commandCalls(UpdateItemCommand)).toHaveLength(2);
    expect(dynamodb.commandCalls(GetItemCommand)).toHaveLength(1);
    expect(pauses).toEqual([1]);
  });

  it("gives up with LockContentionError after losing the conditional write 8 times in a row, pausing longer each time", async () => {
    dynamodb.on(GetItemCommand).resolves({});
    dynamodb.on(PutItemCommand).resolves({});
    dynamodb
      .on(PutItemCommand, { ConditionExpression: "attribute_not_exists(pk)" })
      .rejects(conditionalCheckFailed());

    await expect(acquireLease(request(EXECUTION, "exclusive"))).rejects.toMatchObject({
      name: "LockContentionError",
      retryable: true,
    });
    expect(dynamodb.commandCalls(GetItemCommand)).toHaveLength(8);
    expect(pauses).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it("lets any other DynamoDB error through under its own name, without retrying in place", async () => {
    dynamodb.on(GetItemCommand).resolves({});
    dynamodb.on(PutItemCommand).resolves({});
    dynamodb
      .on(PutItemCommand, { ConditionExpression: "attribute_not_exists(pk)" })
      .rejects(awsError("ProvisionedThroughputExceededException"));

    await expect(acquireLease(request(EXECUTION, "exclusive"))).rejects.toMatchObject({
      name: "ProvisionedThroughputExceededException",
    });
    expect(dynamodb.commandCalls(GetItemCommand)).toHaveLength(1);
  });
});

describe("releaseLease", () => {
  it("removes only the owner's hold, conditionally on the version read, then deletes its index item", async () => {
    // Prepare
    dynamodb.on(GetItemCommand).resolves({
      Item: leaseItem(
        "fleet",
        { [EXECUTION]: { mode: "shared", until: NOW + 10 }, [OTHER]: { mode: "shared", until: NOW + 20 } },
        6,
      ),
    });
    dynamodb.on(PutItemCommand).resolves({});
    dynamodb.on(DeleteItemCommand).resolves({});

    // Act
    const released = await releaseLease("fleet", EXECUTION);

    // Assess
    expect(dynamodb.commandCalls(PutItemCommand).map((call) => call.args[0].input)).toEqual([
      {
        TableName: TABLE,
        Item: writtenLease({ [OTHER]: { mode: "shared", until: NOW + 20 } }, 7),
        ConditionExpression: "version = :previous",
        ExpressionAttributeValues: { ":previous": { N: "6" } },
      },
    ]);
    expect(dynamodb.commandCalls(DeleteItemCommand).map((call) => call.args[0].input)).toEqual([
      { TableName: TABLE, Key: ownerKey(EXECUTION, "fleet") },
    ]);
    expect(released).toBe(true);
  });

  it("changes no lease it does not hold, but still removes a stray index item", async () => {
    dynamodb
      .on(GetItemCommand)
      .resolves({ Item: leaseItem("fleet", { [OTHER]: { mode: "exclusive", until: NOW + 20 } }, 2) });
    dynamodb.on(DeleteItemCommand).resolves({});

    const released = await releaseLease("fleet", EXECUTION);

    expect(released).toBe(false);
    expect(dynamodb.commandCalls(PutItemCommand)).toHaveLength(0);
    expect(dynamodb.commandCalls(DeleteItemCommand).map((call) => call.args[0].input)).toEqual([
      { TableName: TABLE, Key: ownerKey(EXECUTION, "fleet") },
    ]);
  });

  it("reads again when another writer changed the lease in between", async () => {
    dynamodb
      .on(GetItemCommand)
      .resolvesOnce({ Item: leaseItem("fleet", { [EXECUTION]: { mode: "shared", until: NOW + 10 } }, 1) })
      .resolves({
        Item: leaseItem(
          "fleet",
          { [EXECUTION]: { mode: "shared", until: NOW + 10 }, [OTHER]: { mode: "shared", until: NOW + 9 } },
          2,
        ),
      });
    dynamodb.on(PutItemCommand).rejectsOnce(conditionalCheckFailed()).resolves({});
    dynamodb.on(DeleteItemCommand).resolves({});

    const released = await releaseLease("fleet", EXECUTION);

    expect(released).toBe(true);
    expect(dynamodb.commandCalls(PutItemCommand)[1]?.args[0].input).toEqual({
      TableName: TABLE,
      Item: writtenLease({ [OTHER]: { mode: "shared", until: NOW + 9 } }, 3),
      ConditionExpression: "version = :previous",
      ExpressionAttributeValues: { ":previous": { N: "2" } },
    });
  });

  it("gives up with LockContentionError after 8 lost writes and keeps the index item", async () => {
    dynamodb
      .on(GetItemCommand)
      .resolves({ Item: leaseItem("fleet", { [EXECUTION]: { mode: "shared", until: NOW + 10 } }, 1) });
    dynamodb.on(PutItemCommand).rejects(conditionalCheckFailed());

    await expect(releaseLease("fleet", EXECUTION)).rejects.toMatchObject({ name: "LockContentionError" });
    expect(dynamodb.commandCalls(PutItemCommand)).toHaveLength(8);
    expect(dynamodb.commandCalls(DeleteItemCommand)).toHaveLength(0);
  });
});

describe("leasesOf", () => {
  it("lists the leases an owner holds from its index items, page after page", async () => {
    // Prepare
    const next = ownerKey(EXECUTION, "fleet");
    dynamodb
      .on(QueryCommand)
      .resolvesOnce({
        Items: [{ ...ownerKey(EXECUTION, "fleet"), lock: { S: "fleet" } }],
        LastEvaluatedKey: next,
      })
      .resolves({ Items: [{ ...ownerKey(EXECUTION, "tenant:acme"), lock: { S: "tenant:acme" } }] });

    // Act
    const names = await leasesOf(EXECUTION);

    // Assess
    const query = {
      TableName: TABLE,
      KeyConditionExpression: "pk = :owner AND begins_with(sk, :lock)",
      ExpressionAttributeValues: { ":owner": { S: `OWNER#${EXECUTION}` }, ":lock": { S: "LOCK#" } },
    };
    expect(dynamodb.commandCalls(QueryCommand).map((call) => call.args[0].input)).toEqual([
      { ...query, ExclusiveStartKey: undefined },
      { ...query, ExclusiveStartKey: next },
    ]);
    expect(names).toEqual(["fleet", "tenant:acme"]);
  });
});
