import { execFile } from "node:child_process";
import { createHmac } from "node:crypto";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  EventBridgeClient,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  PutEventsCommand,
  TestEventPatternCommand,
} from "@aws-sdk/client-eventbridge";
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
} from "@aws-sdk/client-sfn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClock } from "../../../local/clock/clock.ts";
import { createRuntime, DEFAULT_WEBHOOK_SECRET, type Runtime } from "../../../local/runtime.ts";
import type { LocalServer } from "../../../local/server/http.ts";
import { serve } from "../../../local/start.ts";

const run = promisify(execFile);
let runtime: Runtime;
let server: LocalServer;
let sfn: SFNClient;
let events: EventBridgeClient;

beforeAll(async () => {
  runtime = await createRuntime({ clock: createClock({ mode: { kind: "manual" } }) });
  server = await serve(runtime, 0);
  const config = {
    endpoint: server.url,
    region: "us-east-1",
    credentials: { accessKeyId: "l", secretAccessKey: "l" },
  };
  sfn = new SFNClient(config);
  events = new EventBridgeClient(config);
});
afterAll(async () => {
  await server.close();
  await runtime.close();
});

function cplane(...args: string[]) {
  return run(process.execPath, ["local/cli/bin.ts", ...args, "--endpoint", server.url]).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({
      code: error.code,
      stdout: error.stdout,
      stderr: error.stderr,
    }),
  );
}

describe("Step Functions API on the local runtime", () => {
  it("lists the catalog's state machines with their definitions as deployed locally", async () => {
    const { stateMachines } = await sfn.send(new ListStateMachinesCommand({}));
    const names = stateMachines?.map((sm) => sm.name);
    expect(names).toContain("cplane-local-tenant-onboarding");
    const described = await sfn.send(
      new DescribeStateMachineCommand({ stateMachineArn: runtime.stateMachineArn("tenant-onboarding") }),
    );
    expect(described.definition).toContain(`arn:aws:lambda:us-east-1:000000000000:function:cplane-tenant-`);
    expect(described.definition).not.toContain("cplane:function:");
  });

  it("answers a missing required parameter with ValidationException and starts nothing", async () => {
    const arn = runtime.stateMachineArn("tenant-onboarding");
    const error = await sfn
      .send(new StartExecutionCommand({ stateMachineArn: undefined as unknown as string }))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "ValidationException", $metadata: { httpStatusCode: 400 } });
    const { executions } = await sfn.send(new ListExecutionsCommand({ stateMachineArn: arn }));
    expect(executions).toEqual([]);
  });

  it("answers a member of the wrong type with SerializationException and starts nothing", async () => {
    const arn = runtime.stateMachineArn("tenant-onboarding");
    const response = await fetch(server.url, {
      method: "POST",
      headers: {
        "x-amz-target": "AWSStepFunctions.StartExecution",
        "content-type": "application/x-amz-json-1.0",
      },
      body: JSON.stringify({ stateMachineArn: arn, input: { name: "Acme" } }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ __type: "SerializationException" });
    const { executions } = await sfn.send(new ListExecutionsCommand({ stateMachineArn: arn }));
    expect(executions).toEqual([]);
  });

  it("serves only requests addressed to a loopback name, and admin POSTs only as JSON", async () => {
    const rebound = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(
        `${server.url}/_cplane/tenants`,
        { headers: { host: "evil.example" } },
        (response) => resolve(response.statusCode ?? 0),
      );
      request.on("error", reject);
      request.end();
    });
    expect(rebound).toBe(403);
    const before = runtime.clock.now();
    const crossSite = await fetch(`${server.url}/_cplane/clock/advance`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: JSON.stringify({ ms: 60_000 }),
    });
    expect(crossSite.status).toBe(415);
    expect(runtime.clock.now()).toBe(before);
  });

  it("answers an unknown execution with ExecutionDoesNotExist", async () => {
    const error = await sfn
      .send(
        new DescribeExecutionCommand({
          executionArn: "arn:aws:states:us-east-1:000000000000:execution:tenant-onboarding:nope",
        }),
      )
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "ExecutionDoesNotExist" });
  });
});

describe("EventBridge API on the local runtime", () => {
  it("has the catalog's rules on our bus, each targeting its workflow", async () => {
    const { Rules } = await events.send(new ListRulesCommand({ EventBusName: "cplane" }));
    const onboarding = Rules?.find((r) => r.Name === "tenant-requested-onboarding");
    expect(onboarding?.State).toBe("ENABLED");
    const { Targets } = await events.send(
      new ListTargetsByRuleCommand({ Rule: "tenant-requested-onboarding", EventBusName: "cplane" }),
    );
    expect(Targets?.map((t) => t.Arn)).toEqual([runtime.stateMachineArn("tenant-onboarding")]);
  });

  it("refuses a PutEvents entry that is not an object with SerializationException", async () => {
    const response = await fetch(server.url, {
      method: "POST",
      headers: { "x-amz-target": "AWSEvents.PutEvents", "content-type": "application/x-amz-json-1.1" },
      body: JSON.stringify({ Entries: [null] }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ __type: "SerializationException" });
  });

  it("reports per-entry failures of PutEvents without failing the whole request", async () => {
    const out = await events.send(
      new PutEventsCommand({
        Entries: [
          { Source: "cplane.test", DetailType: "Nothing Listens", Detail: "[1,2]", EventBusName: "cplane" },
        ],
      }),
    );
    expect(out.FailedEntryCount).toBe(1);
    expect(out.Entries?.[0]?.ErrorCode).toBeDefined();
  });

  it("validates patterns as AWS does in TestEventPattern", async () => {
    const event = JSON.stringify({
      id: "1",
      account: "000000000000",
      source: "cplane.tenants",
      time: "2026-01-01T00:00:00Z",
      region: "us-east-1",
      resources: [],
      "detail-type": "Tenant Requested",
      detail: { tier: "premium" },
    });
    const yes = await events.send(
      new TestEventPatternCommand({ EventPattern: '{"detail":{"tier":["premium"]}}', Event: event }),
    );
    expect(yes.Result).toBe(true);
    const bad = await events
      .send(new TestEventPatternCommand({ EventPattern: '{"detail":{"tier":"premium"}}', Event: event }))
      .catch((e: unknown) => e);
    expect(bad).toMatchObject({ name: "InvalidEventPatternException" });
  });
});

describe("the Git webhook on the local runtime", () => {
  it("turns a signed push into one Git Push event, and a redelivery into none", async () => {
    const body = JSON.stringify({
      ref: "refs/heads/main",
      before: "1".repeat(40),
      after: "2".repeat(40),
      repository: { full_name: "acme/shop", name: "shop", html_url: "https://github.com/acme/shop" },
      pusher: { name: "dev" },
      head_commit: { id: "2".repeat(40), message: "Fix checkout" },
    });
    const signature = `sha256=${createHmac("sha256", DEFAULT_WEBHOOK_SECRET).update(body).digest("hex")}`;
    const deliver = () =>
      fetch(`${server.url}/webhooks/git`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-github-event": "push",
          "x-github-delivery": "redelivered-1",
          "x-hub-signature-256": signature,
        },
        body,
      });
    expect((await deliver()).status).toBe(202);
    const again = await deliver();
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ duplicate: true });
    const pushes = runtime.bus
      .events({ busName: "cplane" })
      .filter((e) => e.event["detail-type"] === "Git Push");
    expect(pushes).toHaveLength(1);
  });
});

describe("cplane CLI against the local runtime", () => {
  it("refuses invalid workflow input with exit code 2, naming the field, and starts nothing", async () => {
    const result = await cplane("run", "tenant-onboarding", "--input", '{"name":"Acme","tier":"gold"}');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/tier/);
    const { executions } = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: runtime.stateMachineArn("tenant-onboarding") }),
    );
    expect(executions).toEqual([]);
  });

  it("lists the rules on both buses", async () => {
    const result = await cplane("rules", "list");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/cplane\s+tenant-requested-onboarding\s+ENABLED/);
  });

  it("reads and moves the simulated clock", async () => {
    const before = runtime.clock.now();
    const result = await cplane("clock", "advance", "10m");
    expect(result.code).toBe(0);
    expect(runtime.clock.now() - before).toBe(600_000);
  });

  it("refuses to reset while a runtime is running, and clears the saved state when none is", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "cplane-reset-"));
    writeFileSync(join(dataDir, "clock.json"), "{}");
    const refused = await cplane("reset", "--data-dir", dataDir);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/stop it first/);
    expect(existsSync(dataDir)).toBe(true);
    const cleared = await run(process.execPath, [
      "local/cli/bin.ts",
      "reset",
      "--data-dir",
      dataDir,
      "--endpoint",
      "http://127.0.0.1:9",
    ]);
    expect(cleared.stdout).toMatch(/cleared/);
    expect(existsSync(dataDir)).toBe(false);
  });

  it("says plainly when nothing listens at the endpoint", async () => {
    const result = await run(process.execPath, [
      "local/cli/bin.ts",
      "rules",
      "list",
      "--endpoint",
      "http://127.0.0.1:9",
    ]).catch((e: { code: number; stderr: string }) => e);
    expect("code" in result ? result.code : 0).not.toBe(0);
  });
});
