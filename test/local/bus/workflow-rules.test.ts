/**
 * The "done when": a sample alarm event and a signed GitHub push, put through the local bus
 * with the rules of events/rules.ts, start the right workflows with the right input. The webhook
 * runs unchanged: its AWS calls reach the local bus through the local-cloud binding.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { workflowRules } from "../../../events/rules.ts";
import { handler } from "../../../functions/ingress/git-webhook.ts";
import { signGitHubBody } from "../../../functions/ingress/lib/signatures.ts";
import { bindLocalCloud } from "../../../functions/shared/aws-clients.ts";
import { createLocalEventBridge, type PutEventsRequestEntry } from "../../../local/bus/bus.ts";
import { installWorkflowRules } from "../../../local/bus/install-rules.ts";
import { createClock } from "../../../local/clock/clock.ts";
import { lambdaContext } from "../../support/context.ts";

const arnOf = (workflow: string) => `arn:aws:states:us-east-1:000000000000:stateMachine:${workflow}`;
const SECRET = "local-webhook-secret";
const sample = (name: string) =>
  JSON.parse(
    readFileSync(join(import.meta.dirname, "../../../events/samples", `${name}.json`), "utf8"),
  ) as Record<string, unknown>;

const started: { arn: string; input: unknown }[] = [];
const bus = createLocalEventBridge({
  clock: createClock({ mode: { kind: "manual" }, start: Date.parse("2026-03-01T12:00:00Z") }),
  dispatcher: {
    startExecution: async (arn, input) => {
      started.push({ arn, input: JSON.parse(input) });
      return {};
    },
    invokeFunction: async () => ({}),
  },
});
installWorkflowRules(bus, workflowRules, arnOf, (rule) => `arn:aws:iam::000000000000:role/rule-${rule.name}`);

describe("workflow rules on the local bus", () => {
  beforeAll(() => {
    process.env.EVENT_BUS_NAME = "cplane";
    process.env.GIT_WEBHOOK_SECRET_ARN =
      "arn:aws:secretsmanager:us-east-1:000000000000:secret:cplane/local/git-webhook";
    bindLocalCloud({
      send: async (call) => {
        if (call.service === "EventBridge" && call.operation === "PutEvents") {
          return { ...bus.putEvents(call.input as { Entries: PutEventsRequestEntry[] }) };
        }
        if (call.service === "SecretsManager" && call.operation === "GetSecretValue")
          return { SecretString: SECRET };
        throw new Error(`unexpected call ${call.service}.${call.operation}`);
      },
    });
  });
  afterAll(() => {
    bindLocalCloud(undefined);
    delete process.env.EVENT_BUS_NAME;
    delete process.env.GIT_WEBHOOK_SECRET_ARN;
  });

  it("a region-health alarm sample on the default bus starts regional-failover with the alarm's details", async () => {
    started.length = 0;
    const alarm = sample("aws.cloudwatch.cloudwatch-alarm-state-change");
    const result = bus.putEvents({
      Entries: [
        {
          Source: String(alarm.source),
          DetailType: String(alarm["detail-type"]),
          Detail: JSON.stringify(alarm.detail),
        },
      ],
    });
    await bus.drain();
    expect(result.FailedEntryCount).toBe(0);
    expect(started).toEqual([
      {
        arn: arnOf("regional-failover"),
        input: {
          trigger: "alarm",
          mode: "failover",
          alarmName: "cplane-region-health-eu-west-1",
          alarmRegion: "us-east-1",
          state: expect.objectContaining({
            value: "ALARM",
            reason: expect.stringContaining("Threshold Crossed"),
          }),
          alarmTime: "2026-03-01T12:00:00Z",
        },
      },
    ]);
  });

  it("a signed GitHub push to main, through the webhook, starts canary-promotion with the commit", async () => {
    started.length = 0;
    const body = JSON.stringify({
      ref: "refs/heads/main",
      before: "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
      after: "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
      repository: { full_name: "cplane/app", html_url: "https://github.com/cplane/app" },
      pusher: { name: "ana" },
      head_commit: { id: "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c", message: "Ship it" },
      commits: [{}],
    });
    const response = await handler(
      {
        version: "2.0",
        routeKey: "$default",
        rawPath: "/",
        rawQueryString: "",
        isBase64Encoded: false,
        body,
        headers: {
          "x-github-event": "push",
          "x-github-delivery": "d-42",
          "x-hub-signature-256": signGitHubBody(SECRET, body),
        },
        requestContext: {
          accountId: "000000000000",
          apiId: "local",
          domainName: "localhost",
          domainPrefix: "localhost",
          http: {
            method: "POST",
            path: "/",
            protocol: "HTTP/1.1",
            sourceIp: "127.0.0.1",
            userAgent: "GitHub-Hookshot",
          },
          requestId: "r",
          routeKey: "$default",
          stage: "$default",
          time: "",
          timeEpoch: 0,
        },
      },
      lambdaContext(),
    );
    await bus.drain();
    expect(response.statusCode).toBe(202);
    expect(started).toEqual([
      {
        arn: arnOf("canary-promotion"),
        input: {
          trigger: "git-push",
          repository: "cplane/app",
          commit: "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
          branch: "main",
          pusher: "ana",
          deliveryId: "d-42",
        },
      },
    ]);
    expect(bus.events({ busName: "cplane" }).map((e) => e.event["detail-type"])).toContain("Git Push");
  });

  it("a Tenant Requested sample starts tenant-onboarding with the request as input", async () => {
    started.length = 0;
    const requested = sample("cplane.tenants.tenant-requested");
    bus.putEvents({
      Entries: [
        {
          Source: "cplane.tenants",
          DetailType: "Tenant Requested",
          Detail: JSON.stringify(requested.detail),
          EventBusName: "cplane",
        },
      ],
    });
    await bus.drain();
    expect(started).toEqual([{ arn: arnOf("tenant-onboarding"), input: requested.detail }]);
  });
});
