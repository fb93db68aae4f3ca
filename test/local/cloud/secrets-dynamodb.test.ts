import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { afterEach, describe, expect, it, onTestFinished as onTeardown } from "vitest";
import { createAwsClient } from "../../../functions/shared/aws-clients.ts";
import type { LocalCloud } from "../../../local/cloud/cloud.ts";
import type { CloudContext } from "../../../local/cloud/context.ts";
import { DynamoDb, isDocumentInput } from "../../../local/cloud/dynamodb.ts";
import { startCloud, stopCloud } from "./support.ts";

let cloud: LocalCloud | undefined;
afterEach(async () => {
  if (cloud) await stopCloud(cloud);
  cloud = undefined;
});

describe("Secrets Manager", () => {
  it("keeps versions with AWSCURRENT/AWSPREVIOUS and refuses duplicate names", async () => {
    cloud = startCloud().cloud;
    const sm = createAwsClient(SecretsManagerClient);
    const created = await sm.send(
      new CreateSecretCommand({ Name: "tenant_acme", SecretString: '{"password":"one"}' }),
    );
    await sm.send(new PutSecretValueCommand({ SecretId: "tenant_acme", SecretString: '{"password":"two"}' }));

    const current = await sm.send(new GetSecretValueCommand({ SecretId: created.ARN }));
    const previous = await sm.send(
      new GetSecretValueCommand({ SecretId: "tenant_acme", VersionStage: "AWSPREVIOUS" }),
    );

    expect(created.ARN).toMatch(
      /^arn:aws:secretsmanager:us-east-1:123456789012:secret:tenant_acme-[A-Za-z0-9]{6}$/,
    );
    expect(current.SecretString).toBe('{"password":"two"}');
    expect(previous.SecretString).toBe('{"password":"one"}');
    await expect(
      sm.send(new CreateSecretCommand({ Name: "tenant_acme", SecretString: "x" })),
    ).rejects.toMatchObject({ name: "ResourceExistsException" });
  });

  it("deletes with a recovery window on the clock, and can restore within it", async () => {
    const { cloud: c, clock } = startCloud();
    cloud = c;
    const sm = createAwsClient(SecretsManagerClient);
    await sm.send(new CreateSecretCommand({ Name: "tenant_old", SecretString: "x" }));

    const deletedAt = clock.now();
    const deleted = await sm.send(
      new DeleteSecretCommand({ SecretId: "tenant_old", RecoveryWindowInDays: 7 }),
    );
    await expect(sm.send(new GetSecretValueCommand({ SecretId: "tenant_old" }))).rejects.toMatchObject({
      name: "InvalidRequestException",
    });
    await sm.send(new RestoreSecretCommand({ SecretId: "tenant_old" }));
    await sm.send(new DeleteSecretCommand({ SecretId: "tenant_old", RecoveryWindowInDays: 7 }));
    await clock.sleep(7 * 86_400_000 + 1);

    expect(deleted.DeletionDate?.getTime()).toBe(deletedAt + 7 * 86_400_000);
    await expect(sm.send(new DescribeSecretCommand({ SecretId: "tenant_old" }))).rejects.toMatchObject({
      name: "ResourceNotFoundException",
    });
    await expect(
      sm.send(new DeleteSecretCommand({ SecretId: "x", RecoveryWindowInDays: 3 })),
    ).rejects.toMatchObject({ name: "ResourceNotFoundException" });
  });
});

describe("STS", () => {
  it("answers GetCallerIdentity with the cloud's account", async () => {
    cloud = startCloud({ account: "000000000000" }).cloud;
    const out = await createAwsClient(STSClient).send(new GetCallerIdentityCommand({}));
    expect(out.Account).toBe("000000000000");
  });
});

describe("DynamoDB through dynalite", () => {
  it("serves the raw client with conditions, and the document client with native values", async () => {
    cloud = startCloud().cloud;
    const raw = createAwsClient(DynamoDBClient);
    await raw.send(
      new CreateTableCommand({
        TableName: "cplane-tenants",
        BillingMode: "PAY_PER_REQUEST",
        KeySchema: [
          { AttributeName: "pk", KeyType: "HASH" },
          { AttributeName: "sk", KeyType: "RANGE" },
        ],
        AttributeDefinitions: [
          { AttributeName: "pk", AttributeType: "S" },
          { AttributeName: "sk", AttributeType: "S" },
        ],
      }),
    );
    await raw.send(
      new PutItemCommand({
        TableName: "cplane-tenants",
        Item: { pk: { S: "TENANT#acme" }, sk: { S: "TENANT" }, tier: { S: "premium" } },
        ConditionExpression: "attribute_not_exists(pk)",
      }),
    );
    const duplicate = await raw
      .send(
        new PutItemCommand({
          TableName: "cplane-tenants",
          Item: { pk: { S: "TENANT#acme" }, sk: { S: "TENANT" } },
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      )
      .catch((e: unknown) => e);
    const doc = DynamoDBDocumentClient.from(createAwsClient(DynamoDBClient));
    await doc.send(
      new PutCommand({
        TableName: "cplane-tenants",
        Item: { pk: "TENANT#globex", sk: "TENANT", tier: "basic", quota: { cpu: 2 } },
      }),
    );
    const updated = await doc.send(
      new UpdateCommand({
        TableName: "cplane-tenants",
        Key: { pk: "TENANT#globex", sk: "TENANT" },
        UpdateExpression: "SET #s = :s",
        ExpressionAttributeNames: { "#s": "status" },
        ExpressionAttributeValues: { ":s": "ACTIVE" },
        ReturnValues: "ALL_NEW",
      }),
    );
    const got = await doc.send(
      new GetCommand({ TableName: "cplane-tenants", Key: { pk: "TENANT#globex", sk: "TENANT" } }),
    );
    const queried = await doc.send(
      new QueryCommand({
        TableName: "cplane-tenants",
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": "TENANT#acme" },
      }),
    );
    const rawRead = await raw.send(
      new GetItemCommand({
        TableName: "cplane-tenants",
        Key: { pk: { S: "TENANT#globex" }, sk: { S: "TENANT" } },
      }),
    );
    const scanned = await raw.send(
      new (await import("@aws-sdk/client-dynamodb")).ScanCommand({ TableName: "cplane-tenants" }),
    );

    expect(duplicate).toBeInstanceOf(ConditionalCheckFailedException);
    expect(updated.Attributes).toEqual({
      pk: "TENANT#globex",
      sk: "TENANT",
      tier: "basic",
      quota: { cpu: 2 },
      status: "ACTIVE",
    });
    expect(got.Item?.quota).toEqual({ cpu: 2 });
    expect(queried.Items).toEqual([{ pk: "TENANT#acme", sk: "TENANT", tier: "premium" }]);
    expect(rawRead.Item?.status).toEqual({ S: "ACTIVE" });
    expect(scanned.Count).toBe(2);
    await expect(doc.send(new ScanCommand({ TableName: "missing-table" }))).rejects.toMatchObject({
      name: "ResourceNotFoundException",
    });
  });

  it("keeps each region's tables apart", async () => {
    cloud = startCloud().cloud;
    await cloud.dynamodb.ensureTable("us-east-1", {
      TableName: "only-east",
      KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
      AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
    });

    expect(await cloud.dynamodb.tables()).toEqual({ "us-east-1": ["only-east"] });
    expect(cloud.describe().DynamoDB).toEqual({ "us-east-1": { tables: [{ name: "only-east" }] } });
    await expect(
      createAwsClient(DynamoDBClient, { region: "us-west-2" }).send(
        new GetItemCommand({ TableName: "only-east", Key: { id: { S: "x" } } }),
      ),
    ).rejects.toMatchObject({ name: "ResourceNotFoundException" });
  });

  it("returns from CreateTable and DeleteTable only once the table has left its transitional status", async () => {
    // dynalite holds a new table CREATING on a wall-clock timer and refuses items until it is ACTIVE.
    // Here the timer is 150 ms, so a put straight after the create finds it CREATING unless the create waited.
    const dynamodb = new DynamoDb({ track: (work) => work } as CloudContext, undefined, {
      tableStatusMs: 150,
    });
    onTeardown(() => dynamodb.close());
    const call = (operation: string, input: object) =>
      (dynamodb.operations[operation] as unknown as (input: object, region: string) => Promise<unknown>)(
        input,
        "us-east-1",
      );
    const TableName = "slow-status";
    const create = {
      TableName,
      BillingMode: "PAY_PER_REQUEST",
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
      AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
    };
    const item = { TableName, Item: { pk: { S: "a" } } };

    await call("CreateTable", create);
    await call("PutItem", item);
    expect(await call("GetItem", { TableName, Key: { pk: { S: "a" } } })).toEqual({ Item: item.Item });
    // A table still DELETING cannot be created again (ResourceInUseException); once the delete returns it can.
    await call("DeleteTable", { TableName });
    await call("CreateTable", create);
    expect(await call("GetItem", { TableName, Key: { pk: { S: "a" } } })).toEqual({});
  });

  it("lets the writes it serves finish when it closes, and refuses calls that come after", async () => {
    const started = startCloud().cloud;
    const TableName = "counters";
    await createAwsClient(DynamoDBClient).send(
      new CreateTableCommand({
        TableName,
        BillingMode: "PAY_PER_REQUEST",
        KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
        AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
      }),
    );
    const write = () =>
      started
        .send({
          service: "DynamoDB",
          operation: "UpdateItem",
          region: "us-east-1",
          input: {
            TableName,
            Key: { pk: { S: "n" } },
            UpdateExpression: "ADD n :one",
            ExpressionAttributeValues: { ":one": { N: "1" } },
          },
        })
        .then(
          () => "written",
          (error: Error) => error.name,
        );
    // Enough writes that some are inside dynalite when the close begins (without the wait, dynalite
    // threw "Database is closed" from a callback: an uncaught exception that failed the test run).
    const writes = Array.from({ length: 200 }, write);
    await Promise.race(writes);

    await stopCloud(started);

    expect(new Set(await Promise.all(writes))).toEqual(new Set(["written"]));
    expect(await write()).toBe("LocalCloudClosed");
  });

  it("tells document-client inputs from raw ones by their values", () => {
    expect(isDocumentInput({ TableName: "t", Key: { pk: { S: "a" } } })).toBe(false);
    expect(isDocumentInput({ TableName: "t", Key: { pk: "a" } })).toBe(true);
    expect(isDocumentInput({ TableName: "t", ExpressionAttributeValues: { ":n": 3 } })).toBe(true);
    expect(isDocumentInput({ TableName: "t" })).toBe(false);
  });
});
