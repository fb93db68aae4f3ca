/**
 * The reproductions of issue 18 (a hostile client on loopback), each against the real local runtime
 * and server: refused with an AWS-shaped 4xx, nothing changed, and the runtime still checkpoints.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClock } from "../../../local/clock/clock.ts";
import { createRuntime, type Runtime } from "../../../local/runtime.ts";
import type { LocalServer } from "../../../local/server/http.ts";
import { serve } from "../../../local/start.ts";

const SFN = "application/x-amz-json-1.0";
const EVENTS = "application/x-amz-json-1.1";
const deep = (levels: number) => `${'{"a":'.repeat(levels)}1${"}".repeat(levels)}`;

let runtime: Runtime;
let server: LocalServer;
let dataDir: string;
let closed = false;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "cplane-hostile-"));
  runtime = await createRuntime({
    clock: createClock({ mode: { kind: "manual" } }),
    dataDir,
    checkpoints: { quietMs: 10, maxDelayMs: 50 },
  });
  server = await serve(runtime, 0);
});
afterAll(async () => {
  await server.close();
  if (!closed) await runtime.close();
});

async function call(
  target: string,
  body: unknown,
  contentType = target.startsWith("AWSEvents") ? EVENTS : SFN,
) {
  const response = await fetch(server.url, {
    method: "POST",
    headers: { "x-amz-target": target, "content-type": contentType },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function ok(target: string, body: unknown): Promise<Record<string, unknown>> {
  const out = await call(target, body);
  expect(out.status, JSON.stringify(out.body)).toBe(200);
  return out.body;
}

const onboarding = () => runtime.stateMachineArn("tenant-onboarding");
const executions = async () =>
  (await ok("AWSStepFunctions.ListExecutions", { stateMachineArn: onboarding() })).executions as unknown[];
const targets = async () =>
  (await ok("AWSEvents.ListTargetsByRule", { Rule: "hostile", EventBusName: "cplane" })).Targets;

describe("dispatch", () => {
  it("answers built-in object names and trailing parts as unknown operations", async () => {
    const names = ["hasOwnProperty", "valueOf", "__proto__", "constructor", "isPrototypeOf", "toString"];
    for (const prefix of ["AWSStepFunctions", "AWSEvents"]) {
      for (const name of [...names, "ListStateMachines.Extra", "ListEventBuses.Extra", ""]) {
        const out = await call(`${prefix}.${name}`, {});
        expect(out, `${prefix}.${name}`).toMatchObject({
          status: 400,
          body: { __type: "UnknownOperationException", message: expect.any(String) },
        });
      }
    }
  });

  it("refuses a body that is not AWS JSON, and starts nothing", async () => {
    for (const contentType of ["text/plain", "application/json", ""]) {
      const out = await call(
        "AWSStepFunctions.StartExecution",
        { stateMachineArn: onboarding() },
        contentType,
      );
      expect(out).toMatchObject({ status: 400, body: { __type: "UnknownOperationException" } });
    }
    expect(await executions()).toEqual([]);
  });
});

describe("members are checked against AWS's model before anything changes", () => {
  beforeAll(async () => {
    await ok("AWSEvents.PutRule", {
      Name: "hostile",
      EventBusName: "cplane",
      EventPattern: JSON.stringify({ source: ["hostile.test"] }),
    });
    await ok("AWSEvents.PutTargets", {
      Rule: "hostile",
      EventBusName: "cplane",
      Targets: [{ Id: "keep", Arn: "arn:aws:sqs:us-east-1:000000000000:q" }],
    });
  });

  it("answers a member of the wrong type with SerializationException (was a 500 or stored)", async () => {
    const before = await targets();
    const wrong: [string, unknown][] = [
      ["AWSEvents.PutEvents", { Entries: [{ Source: "s", DetailType: "d", Detail: "{}", Resources: [1] }] }],
      ["AWSEvents.PutTargets", { Rule: "hostile", EventBusName: "cplane", Targets: [null] }],
      ["AWSEvents.PutTargets", { Rule: "hostile", EventBusName: "cplane", Targets: [{ Id: 1, Arn: 2 }] }],
      ...[{ RetryPolicy: "x" }, { Input: 5 }, { DeadLetterConfig: 1 }].map((extra): [string, unknown] => [
        "AWSEvents.PutTargets",
        { Rule: "hostile", EventBusName: "cplane", Targets: [{ Id: "t", Arn: "arn:aws:sqs:::q", ...extra }] },
      ]),
      ["AWSEvents.PutRule", { Name: "hostile", EventBusName: "cplane", ScheduleExpression: 5 }],
      ["AWSStepFunctions.ListExecutions", { stateMachineArn: onboarding(), maxResults: "10" }],
    ];
    for (const [target, body] of wrong) {
      const out = await call(target, body);
      expect(out, `${target} ${JSON.stringify(body)}`).toMatchObject({
        status: 400,
        body: { __type: "SerializationException", message: expect.stringMatching(/^Cannot deserialize '/) },
      });
    }
    expect(await targets()).toEqual(before);
    expect((await ok("AWSEvents.DescribeRule", { Name: "hostile", EventBusName: "cplane" })).State).toBe(
      "ENABLED",
    );
  });

  it("answers a value out of its enum, range or length with AWS's ValidationException text", async () => {
    const cases: [string, unknown, string][] = [
      [
        "AWSEvents.PutRule",
        { Name: "hostile", EventBusName: "cplane", State: "str" },
        "1 validation error detected: Value 'str' at 'state' failed to satisfy constraint: Member must satisfy enum value set: [ENABLED, DISABLED, ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS]",
      ],
      [
        "AWSEvents.ListRules",
        { EventBusName: "cplane", Limit: -5 },
        "1 validation error detected: Value '-5' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
      ],
      [
        "AWSStepFunctions.ListExecutions",
        { stateMachineArn: onboarding(), statusFilter: "BOGUS", maxResults: -1 },
        "2 validation errors detected: Value 'BOGUS' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE]; Value '-1' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 0",
      ],
      [
        "AWSEvents.PutTargets",
        { Rule: "hostile", EventBusName: "cplane", Targets: [{ Id: "bad id", Arn: "" }] },
        "2 validation errors detected: Value 'bad id' at 'targets.1.member.id' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+; Value '' at 'targets.1.member.arn' failed to satisfy constraint: Member must have length greater than or equal to 1",
      ],
      [
        "AWSStepFunctions.StartExecution",
        { stateMachineArn: onboarding(), name: "n".repeat(81), input: "{}" },
        "1 validation error detected: Value 'nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn' at 'name' failed to satisfy constraint: Member must have length less than or equal to 80",
      ],
    ];
    for (const [target, body, message] of cases) {
      expect(await call(target, body)).toEqual({
        status: 400,
        body: { __type: "ValidationException", message },
      });
    }
    expect(await executions()).toEqual([]);
    expect((await ok("AWSEvents.DescribeRule", { Name: "hostile", EventBusName: "cplane" })).State).toBe(
      "ENABLED",
    );
  });

  it("stores none of a request's targets when one of them is refused", async () => {
    const before = await targets();
    const out = await call("AWSEvents.PutTargets", {
      Rule: "hostile",
      EventBusName: "cplane",
      Targets: [
        { Id: "fine", Arn: "arn:aws:sqs:us-east-1:000000000000:q3" },
        { Id: "broken", Arn: "arn:aws:sqs:us-east-1:000000000000:q4", InputPath: "not a path" },
      ],
    });
    expect(out).toMatchObject({ status: 400, body: { __type: "ValidationException" } });
    expect(await targets()).toEqual(before);
  });

  it("never echoes a sensitive member's value", async () => {
    const out = await call("AWSStepFunctions.SendTaskFailure", { taskToken: "t", cause: "s".repeat(40_000) });
    expect(out.status).toBe(400);
    expect(out.body.message).toContain("*** Sensitive Data Redacted ***");
    expect(out.body.message).not.toContain("sss");
  });

  it("keeps only the members AWS models", async () => {
    await ok("AWSEvents.PutTargets", {
      Rule: "hostile",
      EventBusName: "cplane",
      Targets: [{ Id: "extra", Arn: "arn:aws:sqs:us-east-1:000000000000:q2", Bogus: { deep: 1 } }],
    });
    const stored = (await targets()) as Record<string, unknown>[];
    expect(stored.find((t) => t.Id === "extra")).toEqual({
      Id: "extra",
      Arn: "arn:aws:sqs:us-east-1:000000000000:q2",
    });
  });
});

describe("deep data", () => {
  it("refuses a deep execution input with InvalidExecutionInput and stores nothing (was a 500 and a stuck execution)", async () => {
    const out = await call("AWSStepFunctions.StartExecution", {
      stateMachineArn: onboarding(),
      input: deep(4_500),
    });
    expect(out).toMatchObject({ status: 400, body: { __type: "InvalidExecutionInput" } });
    expect(await executions()).toEqual([]);
  });

  it("refuses a deep event pattern (was a 500)", async () => {
    const out = await call("AWSEvents.PutRule", {
      Name: "deep",
      EventBusName: "cplane",
      EventPattern: deep(2_600),
    });
    expect(out).toMatchObject({ status: 400, body: { __type: "ValidationException" } });
    const rules = (await ok("AWSEvents.ListRules", { EventBusName: "cplane", NamePrefix: "deep" })).Rules;
    expect(rules).toEqual([]);
  });

  it("fails a deep event detail as a malformed entry, and the event listings keep answering", async () => {
    const entry = (levels: number) => ({
      EventBusName: "cplane",
      Source: "hostile.test",
      DetailType: "Deep",
      Detail: deep(levels),
    });
    const out = await ok("AWSEvents.PutEvents", { Entries: [entry(10_000), entry(1_000)] });
    expect(out.FailedEntryCount).toBe(1);
    expect((out.Entries as Record<string, unknown>[])[0]).toMatchObject({ ErrorCode: "MalformedDetail" });
    const listing = await fetch(`${server.url}/_cplane/events?bus=cplane`);
    expect(listing.status).toBe(200);
    const { events } = (await listing.json()) as { events: { event: { "detail-type": string } }[] };
    expect(events.filter((e) => e.event["detail-type"] === "Deep")).toHaveLength(1);
    const cli = await promisify(execFile)(process.execPath, [
      "local/cli/bin.ts",
      "events",
      "list",
      "--bus",
      "cplane",
      "--endpoint",
      server.url,
    ]);
    expect(cli.stdout).toContain("Deep");
  });

  it("still checkpoints after all of it, and stops cleanly", async () => {
    await ok("AWSStepFunctions.StartExecution", {
      stateMachineArn: onboarding(),
      name: "after-hostile",
      input: JSON.stringify({ name: "After Corp", tier: "basic", adminEmail: "ops@after.example" }),
    });
    await runtime.checkpoints?.flush();
    const status = (await (await fetch(`${server.url}/_cplane/checkpoint`)).json()) as Record<
      string,
      unknown
    >;
    expect(status.lastError).toBeUndefined();
    expect(status.written).toBeGreaterThan(0);
    await runtime.close();
    closed = true;
    expect(existsSync(join(dataDir, "executions.json"))).toBe(true);
  });
});
