import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { deps, handler } from "../../../functions/ingress/git-webhook.ts";
import { createMemoryDeliveryStore } from "../../../functions/ingress/lib/deliveries.ts";
import { signGitHubBody } from "../../../functions/ingress/lib/signatures.ts";
import { lambdaContext } from "../../support/context.ts";

const SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:cplane/test/git-webhook-AbCdEf";
const GITHUB_SECRET = "gh-webhook-secret";
const GITLAB_SECRET = "gl-webhook-token";

const secretsManager = mockClient(SecretsManagerClient);
const eventBridge = mockClient(EventBridgeClient);

const AFTER = "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c";
const BEFORE = "6113728f27ae82c7b1a177c8d03f9e96e0adf246";

const githubPush = {
  ref: "refs/heads/main",
  before: BEFORE,
  after: AFTER,
  created: false,
  deleted: false,
  forced: false,
  repository: { full_name: "cplane/app", html_url: "https://github.com/cplane/app", default_branch: "main" },
  pusher: { name: "ana", email: "ana@cplane.example" },
  head_commit: {
    id: AFTER,
    message: "Raise the checkout timeout",
    timestamp: "2026-03-01T11:59:30Z",
    url: "https://github.com/cplane/app/commit/0d1a26e",
  },
  commits: [{ id: AFTER }],
};

const gitlabPush = {
  object_kind: "push",
  ref: "refs/heads/main",
  before: BEFORE,
  after: AFTER,
  user_name: "Ana",
  user_username: "ana",
  user_email: "ana@cplane.example",
  project: {
    path_with_namespace: "cplane/app",
    web_url: "https://gitlab.example/cplane/app",
    default_branch: "main",
  },
  commits: [
    { id: BEFORE, message: "older" },
    { id: AFTER, message: "Raise the checkout timeout\n", timestamp: "2026-03-01T11:59:30+00:00" },
  ],
  total_commits_count: 2,
};

function request(
  headers: Record<string, string>,
  body: string,
  overrides: Partial<APIGatewayProxyEventV2> = {},
): APIGatewayProxyEventV2 {
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: "/",
    rawQueryString: "",
    headers,
    body,
    isBase64Encoded: false,
    requestContext: {
      accountId: "123456789012",
      apiId: "url-id",
      domainName: "url-id.lambda-url.us-east-1.on.aws",
      domainPrefix: "url-id",
      http: {
        method: "POST",
        path: "/",
        protocol: "HTTP/1.1",
        sourceIp: "192.30.252.1",
        userAgent: "GitHub-Hookshot/1",
      },
      requestId: "r-1",
      routeKey: "$default",
      stage: "$default",
      time: "01/Mar/2026:12:00:00 +0000",
      timeEpoch: 1_772_366_400_000,
    },
    ...overrides,
  };
}

function github(
  event: string,
  payload: unknown,
  delivery = "d-1",
  secret = GITHUB_SECRET,
): APIGatewayProxyEventV2 {
  const body = JSON.stringify(payload);
  return request(
    {
      "content-type": "application/json",
      "x-github-event": event,
      "x-github-delivery": delivery,
      "x-hub-signature-256": signGitHubBody(secret, body),
    },
    body,
  );
}

async function invoke(event: APIGatewayProxyEventV2) {
  const result = await handler(event, lambdaContext());
  return { status: result.statusCode, body: JSON.parse(result.body) as Record<string, unknown> };
}

const publishedDetails = () =>
  eventBridge
    .commandCalls(PutEventsCommand)
    .map((call) => JSON.parse(call.args[0].input.Entries?.[0]?.Detail ?? "{}"));

describe("git webhook", () => {
  beforeAll(() => {
    process.env.GIT_WEBHOOK_SECRET_ARN = SECRET_ARN;
    process.env.EVENT_BUS_NAME = "cplane-test";
  });
  afterAll(() => {
    delete process.env.GIT_WEBHOOK_SECRET_ARN;
    delete process.env.EVENT_BUS_NAME;
  });
  beforeEach(() => {
    secretsManager.reset();
    eventBridge.reset();
    secretsManager
      .on(GetSecretValueCommand)
      .resolves({ SecretString: JSON.stringify({ github: GITHUB_SECRET, gitlab: GITLAB_SECRET }) });
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: "ev-1" }] });
    deps.deliveries = createMemoryDeliveryStore();
  });

  it("turns a signed GitHub push into one normalized Git Push event on our bus", async () => {
    const response = await invoke(github("push", githubPush, "72d3162e"));
    expect(response).toEqual({ status: 202, body: { eventId: "ev-1", deliveryId: "72d3162e" } });
    expect(eventBridge.commandCalls(PutEventsCommand).map((call) => call.args[0].input)).toEqual([
      {
        Entries: [
          {
            EventBusName: "cplane-test",
            Source: "cplane.git",
            DetailType: "Git Push",
            Detail: JSON.stringify({
              provider: "github",
              deliveryId: "72d3162e",
              repository: {
                fullName: "cplane/app",
                url: "https://github.com/cplane/app",
                defaultBranch: "main",
              },
              ref: "refs/heads/main",
              branch: "main",
              before: BEFORE,
              after: AFTER,
              pusher: { name: "ana", email: "ana@cplane.example" },
              headCommit: {
                id: AFTER,
                message: "Raise the checkout timeout",
                timestamp: "2026-03-01T11:59:30Z",
                url: "https://github.com/cplane/app/commit/0d1a26e",
              },
              commitCount: 1,
              deleted: false,
            }),
          },
        ],
      },
    ]);
  });

  it("reads the secret from Secrets Manager by the ARN in the environment", async () => {
    await invoke(github("push", githubPush));
    const calls = secretsManager.commandCalls(GetSecretValueCommand).map((call) => call.args[0].input);
    expect(calls.every((input) => input.SecretId === SECRET_ARN)).toBe(true);
  });

  it("accepts GitHub's form-encoded deliveries", async () => {
    const body = new URLSearchParams({ payload: JSON.stringify(githubPush) }).toString();
    const event = request(
      {
        "content-type": "application/x-www-form-urlencoded",
        "x-github-event": "push",
        "x-github-delivery": "form-1",
        "x-hub-signature-256": signGitHubBody(GITHUB_SECRET, body),
      },
      body,
    );
    expect((await invoke(event)).status).toBe(202);
    expect(publishedDetails()[0]).toMatchObject({ deliveryId: "form-1", branch: "main" });
  });

  it("answers a ping without publishing anything", async () => {
    expect(await invoke(github("ping", { zen: "Keep it logically awesome.", hook_id: 1 }))).toEqual({
      status: 200,
      body: { ok: true, event: "ping" },
    });
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it("publishes nothing for a redelivery with the same delivery id", async () => {
    expect((await invoke(github("push", githubPush, "same"))).status).toBe(202);
    expect(await invoke(github("push", githubPush, "same"))).toEqual({
      status: 200,
      body: { duplicate: true, deliveryId: "same" },
    });
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(1);
  });

  it("lets the provider retry when publishing failed", async () => {
    eventBridge.reset();
    eventBridge
      .on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 1, Entries: [{ ErrorCode: "InternalFailure", ErrorMessage: "x" }] })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: "ev-2" }] });
    await expect(handler(github("push", githubPush, "retry-me"), lambdaContext())).rejects.toMatchObject({
      name: "EventPublishError",
    });
    expect((await invoke(github("push", githubPush, "retry-me"))).status).toBe(202);
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(2);
  });

  it.each([
    [
      "unsigned",
      () =>
        request({ "x-github-event": "push", "content-type": "application/json" }, JSON.stringify(githubPush)),
      401,
      "MissingSignature",
    ],
    [
      "signed with another secret",
      () => github("push", githubPush, "d", "not-the-secret"),
      401,
      "InvalidSignature",
    ],
    [
      "with a body changed after signing",
      () => {
        const event = github("push", githubPush);
        return { ...event, body: (event.body ?? "").replace("ana", "eve") };
      },
      401,
      "InvalidSignature",
    ],
    [
      "with a malformed signature header",
      () =>
        request({ "x-github-event": "push", "x-hub-signature-256": "sha1=abc" }, JSON.stringify(githubPush)),
      401,
      "InvalidSignature",
    ],
    [
      "over 1 MiB",
      () => github("push", { ...githubPush, padding: "x".repeat(1024 * 1024) }),
      413,
      "PayloadTooLarge",
    ],
    [
      "not JSON",
      () =>
        request(
          {
            "x-github-event": "push",
            "x-hub-signature-256": signGitHubBody(GITHUB_SECRET, "{nope"),
            "x-github-delivery": "m",
          },
          "{nope",
        ),
      400,
      "MalformedPayload",
    ],
    ["not a push payload", () => github("push", { ref: "refs/heads/main" }), 400, "MalformedPayload"],
    [
      "from an unknown provider",
      () => request({ "content-type": "application/json" }, "{}"),
      400,
      "UnknownProvider",
    ],
    [
      "not a POST",
      () => ({
        ...github("push", githubPush),
        requestContext: {
          ...github("push", githubPush).requestContext,
          http: { method: "GET", path: "/", protocol: "HTTP/1.1", sourceIp: "1.1.1.1", userAgent: "x" },
        },
      }),
      405,
      "MethodNotAllowed",
    ],
  ])("refuses a delivery %s with a clear 4xx and publishes nothing", async (_case, build, status, error) => {
    const response = await invoke(build());
    expect(response.status).toBe(status);
    expect(response.body.error).toBe(error);
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it("ignores other GitHub events after checking their signature", async () => {
    expect(await invoke(github("issues", { action: "opened" }))).toEqual({
      status: 202,
      body: { ignored: true, event: "issues" },
    });
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it("accepts base64-encoded bodies as function URLs deliver them", async () => {
    const event = github("push", githubPush, "b64");
    const response = await invoke({
      ...event,
      body: Buffer.from(event.body ?? "").toString("base64"),
      isBase64Encoded: true,
    });
    expect(response.status).toBe(202);
  });

  describe("GitLab", () => {
    const gitlab = (token: string, payload: unknown, event = "Push Hook", uuid = "gl-1") =>
      request(
        {
          "content-type": "application/json",
          "x-gitlab-event": event,
          "x-gitlab-token": token,
          "x-gitlab-event-uuid": uuid,
        },
        JSON.stringify(payload),
      );

    it("turns a Push Hook with the right token into a Git Push event, head commit = after", async () => {
      expect((await invoke(gitlab(GITLAB_SECRET, gitlabPush))).status).toBe(202);
      expect(publishedDetails()).toEqual([
        {
          provider: "gitlab",
          deliveryId: "gl-1",
          repository: {
            fullName: "cplane/app",
            url: "https://gitlab.example/cplane/app",
            defaultBranch: "main",
          },
          ref: "refs/heads/main",
          branch: "main",
          before: BEFORE,
          after: AFTER,
          pusher: { name: "ana", email: "ana@cplane.example" },
          headCommit: {
            id: AFTER,
            message: "Raise the checkout timeout\n",
            timestamp: "2026-03-01T11:59:30+00:00",
          },
          commitCount: 2,
          deleted: false,
        },
      ]);
    });

    it("refuses a wrong or missing token", async () => {
      expect((await invoke(gitlab("wrong", gitlabPush))).body.error).toBe("InvalidToken");
      const missing = request({ "x-gitlab-event": "Push Hook" }, JSON.stringify(gitlabPush));
      expect((await invoke(missing)).body.error).toBe("MissingToken");
      expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(0);
    });

    it("marks a branch deletion and ignores other hooks", async () => {
      await invoke(
        gitlab(GITLAB_SECRET, { ...gitlabPush, after: "0".repeat(40), commits: [] }, "Push Hook", "del"),
      );
      expect(publishedDetails()[0]).toMatchObject({ deleted: true, headCommit: null });
      expect((await invoke(gitlab(GITLAB_SECRET, {}, "Merge Request Hook"))).status).toBe(202);
      expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(1);
    });
  });
});
