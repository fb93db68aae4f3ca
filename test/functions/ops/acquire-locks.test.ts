import {
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { DescribeExecutionCommand, SFNClient } from "@aws-sdk/client-sfn";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { handler } from "../../../functions/ops/acquire-locks.ts";
import { lambdaContext } from "../../support/context.ts";
import {
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
const sfn = mockClient(SFNClient);
const HOUR = 3600_000;
const input = {
  locks: [
    { name: "fleet", mode: "shared" },
    { name: "tenant:acme", mode: "exclusive" },
  ],
  ttlSeconds: 3600,
  executionArn: EXECUTION,
};
const writes = () =>
  dynamodb
    .commandCalls(PutItemCommand)
    .map((call) => call.args[0].input)
    .filter((put) => put.ConditionExpression !== undefined)
    .map((put) => ({ pk: put.Item?.pk?.S, version: put.Item?.version?.N, holders: put.Item?.holders?.M }));

beforeEach(() => {
  dynamodb.reset();
  sfn.reset();
  // Every holder's execution still runs unless a test says otherwise.
  sfn.on(DescribeExecutionCommand).resolves({ status: "RUNNING" });
  setOpsEnvironment();
  vi.useFakeTimers({ now: NOW, toFake: ["Date"] });
  dynamodb.on(PutItemCommand).resolves({});
  dynamodb.on(DeleteItemCommand).resolves({});
  // Leases stored without `exclusiveUntil` (as these fixtures are): the one-update shared path does not
  // apply, and the handlers go through read, decide and write (test/functions/ops/leases.test.ts has both).
  dynamodb.on(UpdateItemCommand).rejects(conditionalCheckFailed());
});

afterEach(() => {
  vi.useRealTimers();
});

describe("acquire-locks", () => {
  it("takes every lock in the order given, for the execution, with the TTL from now", async () => {
    // Prepare
    dynamodb.on(GetItemCommand).resolves({});

    // Act
    const result = await handler(input, lambdaContext());

    // Assess
    expect(dynamodb.commandCalls(GetItemCommand).map((call) => call.args[0].input.Key)).toEqual([
      lockKey("fleet"),
      lockKey("tenant:acme"),
    ]);
    expect(writes()).toEqual([
      {
        pk: "LOCK#fleet",
        version: "1",
        holders: { [EXECUTION]: { M: { mode: { S: "shared" }, until: { N: String(NOW + HOUR) } } } },
      },
      {
        pk: "LOCK#tenant:acme",
        version: "1",
        holders: { [EXECUTION]: { M: { mode: { S: "exclusive" }, until: { N: String(NOW + HOUR) } } } },
      },
    ]);
    expect(result).toEqual({ acquired: true, heldBy: [], tookOver: [] });
  });

  it("gives back the locks it took in this call when a later one is held, and says who holds it until when", async () => {
    // Prepare: fleet is free (then, when read again for the release, holds our share); tenant:acme is OTHER's.
    dynamodb
      .on(GetItemCommand, { Key: lockKey("fleet") })
      .resolvesOnce({})
      .resolves({ Item: leaseItem("fleet", { [EXECUTION]: { mode: "shared", until: NOW + HOUR } }, 1) });
    dynamodb.on(GetItemCommand, { Key: lockKey("tenant:acme") }).resolves({
      Item: leaseItem("tenant:acme", { [OTHER]: { mode: "exclusive", until: NOW + 60_000 } }, 4),
    });

    // Act
    const result = await handler(input, lambdaContext());

    // Assess
    expect(result).toEqual({
      acquired: false,
      heldBy: [
        { lock: "tenant:acme", owner: OTHER, mode: "exclusive", until: new Date(NOW + 60_000).toISOString() },
      ],
      tookOver: [],
    });
    expect(writes()).toEqual([
      {
        pk: "LOCK#fleet",
        version: "1",
        holders: { [EXECUTION]: { M: { mode: { S: "shared" }, until: { N: String(NOW + HOUR) } } } },
      },
      { pk: "LOCK#fleet", version: "2", holders: {} },
    ]);
    expect(dynamodb.commandCalls(DeleteItemCommand).map((call) => call.args[0].input)).toEqual([
      { TableName: TABLE, Key: ownerKey(EXECUTION, "fleet") },
    ]);
  });

  it("gives back the hold of a holder whose execution has ended, takes the lock, and says whose it was", async () => {
    // Prepare: OTHER holds tenant:acme for another hour, but its execution failed without releasing it.
    dynamodb.on(GetItemCommand, { Key: lockKey("fleet") }).resolves({});
    dynamodb
      .on(GetItemCommand, { Key: lockKey("tenant:acme") })
      .resolvesOnce({
        Item: leaseItem("tenant:acme", { [OTHER]: { mode: "exclusive", until: NOW + HOUR } }, 4),
      })
      .resolvesOnce({
        Item: leaseItem("tenant:acme", { [OTHER]: { mode: "exclusive", until: NOW + HOUR } }, 4),
      })
      .resolves({ Item: leaseItem("tenant:acme", {}, 5) });
    sfn.on(DescribeExecutionCommand, { executionArn: OTHER }).resolves({ status: "FAILED" });

    // Act
    const result = await handler(input, lambdaContext());

    // Assess
    expect(sfn.commandCalls(DescribeExecutionCommand).map((call) => call.args[0].input)).toEqual([
      { executionArn: OTHER },
    ]);
    expect(result).toEqual({ acquired: true, heldBy: [], tookOver: [{ lock: "tenant:acme", owner: OTHER }] });
    expect(writes().filter((w) => w.pk === "LOCK#tenant:acme")).toEqual([
      { pk: "LOCK#tenant:acme", version: "5", holders: {} },
      {
        pk: "LOCK#tenant:acme",
        version: "6",
        holders: { [EXECUTION]: { M: { mode: { S: "exclusive" }, until: { N: String(NOW + HOUR) } } } },
      },
    ]);
  });

  it("reports the expired holders it took over, lock by lock", async () => {
    dynamodb.on(GetItemCommand, { Key: lockKey("fleet") }).resolves({});
    dynamodb
      .on(GetItemCommand, { Key: lockKey("tenant:acme") })
      .resolves({ Item: leaseItem("tenant:acme", { [THIRD]: { mode: "exclusive", until: NOW - 1 } }, 9) });

    const result = await handler(input, lambdaContext());

    expect(result).toEqual({ acquired: true, heldBy: [], tookOver: [{ lock: "tenant:acme", owner: THIRD }] });
    expect(writes()[1]).toEqual({
      pk: "LOCK#tenant:acme",
      version: "10",
      holders: { [EXECUTION]: { M: { mode: { S: "exclusive" }, until: { N: String(NOW + HOUR) } } } },
    });
  });

  it.each([
    ["an upper-case kind", { locks: [{ name: "Fleet", mode: "exclusive" }] }],
    ["an empty subject", { locks: [{ name: "tenant:", mode: "exclusive" }] }],
    ["a space in the subject", { locks: [{ name: "tenant:a b", mode: "exclusive" }] }],
    ["an unknown mode", { locks: [{ name: "fleet", mode: "read" }] }],
    ["no locks at all", { locks: [] }],
    ["a TTL of zero", { ttlSeconds: 0 }],
  ])("refuses %s with InvalidInputError before any call", async (_, change) => {
    await expect(handler({ ...input, ...change }, lambdaContext())).rejects.toMatchObject({
      name: "InvalidInputError",
    });
    expect(dynamodb.calls()).toHaveLength(0);
  });
});
