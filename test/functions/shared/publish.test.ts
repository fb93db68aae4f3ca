import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GitPush } from "../../../events/operations.ts";
import { TenantCreated } from "../../../events/tenants.ts";
import { EventPublishError, publishEvent } from "../../../functions/shared/publish.ts";

const eventBridge = mockClient(EventBridgeClient);

const created = {
  tenantId: "tnt_1",
  slug: "acme",
  tier: "premium" as const,
  region: "eu-west-1",
  secretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:cplane/tenants/acme/db",
  endpoint: "acme.cluster.example",
  hostname: "acme.example.com",
};

describe("publishEvent", () => {
  beforeEach(() => {
    eventBridge.reset();
    process.env.EVENT_BUS_NAME = "cplane-test";
  });
  afterEach(() => {
    delete process.env.EVENT_BUS_NAME;
  });

  it("validates the detail and puts one entry on the bus named by EVENT_BUS_NAME", async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: "ev-1" }] });
    const id = await publishEvent(TenantCreated, created, {
      client: new EventBridgeClient({ region: "eu-west-1" }),
    });
    expect(id).toBe("ev-1");
    expect(eventBridge.commandCalls(PutEventsCommand).map((call) => call.args[0].input)).toEqual([
      {
        Entries: [
          {
            EventBusName: "cplane-test",
            Source: "cplane.tenants",
            DetailType: "Tenant Created",
            Detail: JSON.stringify(created),
          },
        ],
      },
    ]);
  });

  it("uses the shared client when none is given", async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: "ev-2" }] });
    await expect(publishEvent(TenantCreated, created, { resources: ["arn:x"] })).resolves.toBe("ev-2");
    expect(eventBridge.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0]?.Resources).toEqual([
      "arn:x",
    ]);
  });

  it("refuses an invalid detail before calling AWS", async () => {
    const bad = { ...created, tier: "gold" } as unknown as typeof created;
    await expect(publishEvent(TenantCreated, bad)).rejects.toMatchObject({
      name: "InvalidInputError",
      message: expect.stringContaining("tier"),
    });
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it("fails with EventPublishError when EventBridge reports a failed entry", async () => {
    eventBridge.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: "InternalFailure", ErrorMessage: "try again" }],
    });
    const error = await publishEvent(GitPush, {
      provider: "gitlab",
      deliveryId: "d",
      repository: { fullName: "g/app", url: "https://gitlab.example/g/app" },
      ref: "refs/heads/main",
      branch: "main",
      before: "0000000",
      after: "abcdef1",
      pusher: { name: "ana" },
      headCommit: null,
      commitCount: 0,
      deleted: false,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EventPublishError);
    expect(error).toMatchObject({ name: "EventPublishError", errorCode: "InternalFailure", retryable: true });
  });

  it("names the missing EVENT_BUS_NAME", async () => {
    delete process.env.EVENT_BUS_NAME;
    await expect(publishEvent(TenantCreated, created)).rejects.toMatchObject({
      name: "MissingEnvironmentVariableError",
    });
  });
});
