import { describe, expect, it } from "vitest";
import {
  createLocalEventBridge,
  EventBridgeApiError,
  type LocalEventBridge,
  type TargetDispatcher,
} from "../../../local/bus/bus.ts";
import { InvalidEventPatternException } from "../../../local/bus/pattern.ts";
import { type Clock, createClock } from "../../../local/clock/clock.ts";

const START = Date.parse("2026-03-01T12:00:00Z");
const SFN = "arn:aws:states:us-east-1:000000000000:stateMachine:tenant-onboarding";
const ROLE = "arn:aws:iam::000000000000:role/start-tenant-onboarding";
const FN = "arn:aws:lambda:us-east-1:000000000000:function:notify";

interface Recorded {
  kind: "sfn" | "lambda";
  arn: string;
  input: string;
}

function setup(failures = 0): { bus: LocalEventBridge; clock: Clock; calls: Recorded[] } {
  const clock = createClock({ mode: { kind: "manual" }, start: START });
  const calls: Recorded[] = [];
  let left = failures;
  const dispatcher: TargetDispatcher = {
    startExecution: async (arn, input) => {
      calls.push({ kind: "sfn", arn, input });
      if (left-- > 0) throw Object.assign(new Error("slow down"), { name: "ThrottlingException" });
      return { executionArn: `${arn}:x` };
    },
    invokeFunction: async (arn, input) => {
      calls.push({ kind: "lambda", arn, input });
      return {};
    },
  };
  return { bus: createLocalEventBridge({ clock, dispatcher }), clock, calls };
}

const tenantRequested = {
  Source: "cplane.tenants",
  DetailType: "Tenant Requested",
  Detail: JSON.stringify({ tenantId: "acme", tier: "premium" }),
  EventBusName: "cplane",
};

describe("PutEvents", () => {
  it("accepts valid entries and reports each failed entry with AWS's error codes", () => {
    const { bus } = setup();
    const result = bus.putEvents({
      Entries: [
        tenantRequested,
        { Source: "a", DetailType: "b" },
        { Source: "a", DetailType: "b", Detail: "[1]" },
        { Source: "a", DetailType: "b", Detail: "{}", EventBusName: "nope" },
      ],
    });
    expect(result.FailedEntryCount).toBe(3);
    expect(result.Entries[0]?.EventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(result.Entries[1]).toEqual({
      ErrorCode: "InvalidArgument",
      ErrorMessage: "Parameter(s) Detail is(are) required.",
    });
    expect(result.Entries[2]).toEqual({ ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." });
    expect(result.Entries[3]?.ErrorCode).toBe("ResourceNotFoundException");
  });

  it("refuses more than 10 entries and more than 256 KiB per request", () => {
    const { bus } = setup();
    expect(() => bus.putEvents({ Entries: new Array(11).fill(tenantRequested) })).toThrow(
      /length less than or equal to 10/,
    );
    const big = { ...tenantRequested, Detail: JSON.stringify({ blob: "x".repeat(130 * 1024) }) };
    expect(() => bus.putEvents({ Entries: [big, big] })).toThrow(
      "Total size of the entries in the request is over the limit.",
    );
  });

  it("builds the event envelope on the virtual clock and logs it", () => {
    const { bus } = setup();
    bus.putEvents({ Entries: [{ ...tenantRequested, Resources: ["arn:x"] }] });
    const [logged] = bus.events({ busName: "cplane" });
    expect(logged?.event).toMatchObject({
      version: "0",
      source: "cplane.tenants",
      "detail-type": "Tenant Requested",
      account: "000000000000",
      region: "us-east-1",
      time: "2026-03-01T12:00:00Z",
      resources: ["arn:x"],
      detail: { tenantId: "acme", tier: "premium" },
    });
  });
});

describe("rules and targets", () => {
  it("delivers matching events to each target of enabled rules with its input transformer", async () => {
    const { bus, calls } = setup();
    bus.putRule({
      Name: "onboard",
      EventBusName: "cplane",
      EventPattern: JSON.stringify({ source: ["cplane.tenants"], "detail-type": ["Tenant Requested"] }),
    });
    bus.putTargets({
      Rule: "onboard",
      EventBusName: "cplane",
      Targets: [
        {
          Id: "sfn",
          Arn: SFN,
          RoleArn: ROLE,
          InputTransformer: {
            InputPathsMap: { tenant: "$.detail.tenantId", detail: "$.detail" },
            InputTemplate: '{"tenantId": "<tenant>", "request": <detail>, "rule": "<aws.events.rule-name>"}',
          },
        },
        { Id: "fn", Arn: FN, InputPath: "$.detail.tier" },
      ],
    });
    bus.putEvents({ Entries: [tenantRequested, { ...tenantRequested, DetailType: "Other" }] });
    await bus.drain();
    expect(calls).toEqual([
      {
        kind: "sfn",
        arn: SFN,
        input: '{"tenantId":"acme","request":{"tenantId":"acme","tier":"premium"},"rule":"onboard"}',
      },
      { kind: "lambda", arn: FN, input: '"premium"' },
    ]);
  });

  it("does not deliver to disabled rules, nor to rules of another bus", async () => {
    const { bus, calls } = setup();
    bus.putRule({
      Name: "r",
      EventBusName: "cplane",
      EventPattern: '{"source":["cplane.tenants"]}',
      State: "DISABLED",
    });
    bus.putTargets({ Rule: "r", EventBusName: "cplane", Targets: [{ Id: "t", Arn: FN }] });
    bus.putRule({ Name: "r", EventPattern: '{"source":["cplane.tenants"]}' });
    bus.putEvents({ Entries: [tenantRequested] });
    await bus.drain();
    expect(calls).toEqual([]);
    bus.enableRule({ Name: "r", EventBusName: "cplane" });
    bus.putEvents({ Entries: [tenantRequested] });
    await bus.drain();
    expect(calls.map((c) => c.arn)).toEqual([FN]);
  });

  it("answers the management API with AWS's shapes and error names", () => {
    const { bus } = setup();
    expect(bus.putRule({ Name: "a", EventBusName: "cplane", EventPattern: '{"source":["x"]}' })).toEqual({
      RuleArn: "arn:aws:events:us-east-1:000000000000:rule/cplane/a",
    });
    expect(() => bus.putRule({ Name: "b", EventPattern: '{"source":[]}' })).toThrow(
      InvalidEventPatternException,
    );
    expect(() => bus.describeRule({ Name: "zz" })).toThrow(
      expect.objectContaining({ name: "ResourceNotFoundException" }),
    );
    expect(() => bus.putRule({ Name: "c", EventBusName: "nope", EventPattern: "{}" })).toThrow(
      expect.objectContaining({ name: "ResourceNotFoundException" }),
    );
    bus.putTargets({ Rule: "a", EventBusName: "cplane", Targets: [{ Id: "t", Arn: FN, Input: '{"k":1}' }] });
    expect(() =>
      bus.putTargets({
        Rule: "a",
        EventBusName: "cplane",
        Targets: [{ Id: "u", Arn: FN, Input: "{}", InputPath: "$.detail" }],
      }),
    ).toThrow(EventBridgeApiError);
    expect(() => bus.deleteRule({ Name: "a", EventBusName: "cplane" })).toThrow(
      "Rule can't be deleted since it has targets.",
    );
    expect(bus.listTargetsByRule({ Rule: "a", EventBusName: "cplane" }).Targets).toEqual([
      { Id: "t", Arn: FN, Input: '{"k":1}' },
    ]);
    expect(bus.describeRule({ Name: "a", EventBusName: "cplane" })).toMatchObject({
      State: "ENABLED",
      EventBusName: "cplane",
    });
    bus.removeTargets({ Rule: "a", EventBusName: "cplane", Ids: ["t"] });
    bus.deleteRule({ Name: "a", EventBusName: "cplane" });
    expect(bus.listRules({ EventBusName: "cplane" }).Rules).toEqual([]);
    expect(
      bus.testEventPattern({
        EventPattern: '{"source":["x"]}',
        Event: JSON.stringify({
          id: "1",
          source: "x",
          "detail-type": "d",
          account: "1",
          region: "r",
          time: "t",
        }),
      }),
    ).toEqual({ Result: true });
  });

  it("refuses a state-machine target without a RoleArn as AWS does, changing nothing; one with a role is put", () => {
    const { bus } = setup();
    bus.putRule({ Name: "a", EventBusName: "cplane", EventPattern: '{"source":["x"]}' });
    // Prepare: a Lambda target alongside, so that the refusal is seen to take the whole request
    const request = {
      Rule: "a",
      EventBusName: "cplane",
      Targets: [
        { Id: "fn", Arn: FN },
        { Id: "sfn", Arn: SFN },
      ],
    };
    // Act + Assess: AWS's answer to PutTargets (400 ValidationException), nothing stored
    expect(() => bus.putTargets(request)).toThrow(
      expect.objectContaining({
        name: "ValidationException",
        message: `RoleArn is required for target ${SFN}.`,
      }),
    );
    expect(bus.listTargetsByRule({ Rule: "a", EventBusName: "cplane" }).Targets).toEqual([]);
    expect(() =>
      bus.putTargets({
        Rule: "a",
        EventBusName: "cplane",
        Targets: [{ Id: "k", Arn: "arn:aws:kinesis:us-east-1:000000000000:stream/s" }],
      }),
    ).toThrow("RoleArn is required for target arn:aws:kinesis:us-east-1:000000000000:stream/s.");
    // with its role, the same target is put
    bus.putTargets({ ...request, Targets: [{ Id: "sfn", Arn: SFN, RoleArn: ROLE }] });
    expect(bus.listTargetsByRule({ Rule: "a", EventBusName: "cplane" }).Targets).toEqual([
      { Id: "sfn", Arn: SFN, RoleArn: ROLE },
    ]);
  });

  it("pages ListRules and filters by name prefix", () => {
    const { bus } = setup();
    for (const name of ["t-1", "t-2", "t-3", "x"])
      bus.putRule({ Name: name, EventPattern: '{"source":["s"]}' });
    const first = bus.listRules({ NamePrefix: "t-", Limit: 2 });
    expect(first.Rules.map((r) => r.Name)).toEqual(["t-1", "t-2"]);
    expect(
      bus.listRules({ NamePrefix: "t-", Limit: 2, NextToken: first.NextToken }).Rules.map((r) => r.Name),
    ).toEqual(["t-3"]);
  });

  it("pages ListRules stably while rules are put and deleted between pages: none repeated, none skipped", () => {
    // Prepare: 30 rules r-10 .. r-39
    const { bus } = setup();
    const pattern = '{"source":["s"]}';
    for (let i = 10; i < 40; i++) bus.putRule({ Name: `r-${i}`, EventPattern: pattern });
    // Act: page by 7; before each next page, put a rule that sorts first and delete one already seen
    const seen: string[] = [];
    let token: string | undefined;
    let round = 0;
    do {
      const page = bus.listRules({ Limit: 7, ...(token ? { NextToken: token } : {}) });
      seen.push(...page.Rules.map((r) => r.Name));
      token = page.NextToken;
      bus.putRule({ Name: `a-${round++}`, EventPattern: pattern });
      bus.deleteRule({ Name: seen[0] as string });
    } while (token);
    // Assess: every original rule exactly once, in name order
    expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => `r-${i + 10}`));
    expect(() => bus.listRules({ NextToken: "7" })).toThrow(EventBridgeApiError);
  });
});

describe("retries and dead letters", () => {
  it("retries a failing target with back-off on the virtual clock until it succeeds", async () => {
    const { bus, clock, calls } = setup(2);
    bus.putRule({ Name: "r", EventBusName: "cplane", EventPattern: '{"source":["cplane.tenants"]}' });
    bus.putTargets({ Rule: "r", EventBusName: "cplane", Targets: [{ Id: "t", Arn: SFN, RoleArn: ROLE }] });
    bus.putEvents({ Entries: [tenantRequested] });
    await bus.drain();
    expect(calls).toHaveLength(1);
    await clock.advance(1000);
    await bus.drain();
    expect(calls).toHaveLength(2);
    await clock.advance(2000);
    await bus.drain();
    expect(calls).toHaveLength(3);
    expect(bus.deliveries().map((d) => d.ok)).toEqual([false, false, true]);
    expect(bus.deadLetters()).toEqual([]);
  });

  it("dead-letters the event once MaximumRetryAttempts is spent", async () => {
    const { bus, clock } = setup(10);
    bus.putRule({ Name: "r", EventBusName: "cplane", EventPattern: '{"source":["cplane.tenants"]}' });
    bus.putTargets({
      Rule: "r",
      EventBusName: "cplane",
      Targets: [
        {
          Id: "t",
          Arn: SFN,
          RoleArn: ROLE,
          RetryPolicy: { MaximumRetryAttempts: 1 },
          DeadLetterConfig: { Arn: "arn:aws:sqs:us-east-1:000000000000:dlq" },
        },
      ],
    });
    bus.putEvents({ Entries: [tenantRequested] });
    await bus.drain();
    await clock.advance(60_000);
    await bus.drain();
    expect(bus.deadLetters()).toEqual([
      expect.objectContaining({
        targetId: "t",
        attempts: 2,
        errorCode: "ThrottlingException",
        deadLetterArn: "arn:aws:sqs:us-east-1:000000000000:dlq",
      }),
    ]);
    expect(bus.ruleMetrics({ Name: "r", EventBusName: "cplane" })).toEqual({
      MatchedEvents: 1,
      Invocations: 1,
      FailedInvocations: 1,
      InvocationsSentToDlq: 1,
    });
  });

  it("fails an invocation whose transformed input is not JSON at once: no retry, dead-lettered, counted", async () => {
    const { bus, clock, calls } = setup();
    bus.putRule({ Name: "r", EventBusName: "cplane", EventPattern: '{"source":["cplane.tenants"]}' });
    bus.putTargets({
      Rule: "r",
      EventBusName: "cplane",
      Targets: [
        {
          Id: "t",
          Arn: SFN,
          RoleArn: ROLE,
          // A path that matches nothing, outside quotes, leaves `{"plan": }`.
          InputTransformer: { InputPathsMap: { plan: "$.detail.plan" }, InputTemplate: '{"plan": <plan>}' },
          DeadLetterConfig: { Arn: "arn:aws:sqs:us-east-1:000000000000:dlq" },
        },
        { Id: "ok", Arn: FN, InputPath: "$.detail.tenantId" },
      ],
    });
    bus.putEvents({ Entries: [tenantRequested] });
    await bus.drain();
    await clock.advance(3_600_000);
    await bus.drain();
    expect(calls.map((c) => c.arn)).toEqual([FN]);
    expect(bus.pendingRetries()).toBe(0);
    expect(bus.deadLetters()).toEqual([
      expect.objectContaining({
        targetId: "t",
        attempts: 1,
        errorCode: "INVALID_JSON",
        deadLetterArn: "arn:aws:sqs:us-east-1:000000000000:dlq",
      }),
    ]);
    expect(bus.ruleMetrics({ Name: "r", EventBusName: "cplane" })).toEqual({
      MatchedEvents: 1,
      Invocations: 2,
      FailedInvocations: 1,
      InvocationsSentToDlq: 1,
    });
  });

  it("gives <aws.events.event.ingestion-time> as when the bus received the event, on every retry", async () => {
    const { bus, clock, calls } = setup(1);
    bus.putRule({ Name: "r", EventBusName: "cplane", EventPattern: '{"source":["cplane.tenants"]}' });
    bus.putTargets({
      Rule: "r",
      EventBusName: "cplane",
      Targets: [
        {
          Id: "t",
          Arn: SFN,
          RoleArn: ROLE,
          InputTransformer: { InputTemplate: '{"at": <aws.events.event.ingestion-time>}' },
        },
      ],
    });
    await clock.advance(1500);
    bus.putEvents({ Entries: [{ ...tenantRequested, Time: new Date(START) }] });
    await bus.drain();
    await clock.advance(60_000);
    await bus.drain();
    expect(calls.map((c) => c.input)).toEqual([
      '{"at":"2026-03-01T12:00:01Z"}',
      '{"at":"2026-03-01T12:00:01Z"}',
    ]);
  });

  it("dead-letters the event once it is older than MaximumEventAgeInSeconds", async () => {
    const { bus, clock } = setup(100);
    bus.putRule({ Name: "r", EventBusName: "cplane", EventPattern: '{"source":["cplane.tenants"]}' });
    bus.putTargets({
      Rule: "r",
      EventBusName: "cplane",
      Targets: [{ Id: "t", Arn: SFN, RoleArn: ROLE, RetryPolicy: { MaximumEventAgeInSeconds: 60 } }],
    });
    bus.putEvents({ Entries: [tenantRequested] });
    for (let i = 0; i < 8; i++) {
      await bus.drain();
      await clock.advance(70_000);
    }
    expect(bus.deadLetters()).toHaveLength(1);
    expect(bus.deadLetters()[0]?.errorMessage).toMatch(/older than 60 s/);
    expect(bus.pendingRetries()).toBe(0);
  });

  it("dead-letters targets the dispatcher cannot reach", async () => {
    const { bus } = setup();
    bus.putRule({ Name: "r", EventBusName: "cplane", EventPattern: '{"source":["cplane.tenants"]}' });
    bus.putTargets({
      Rule: "r",
      EventBusName: "cplane",
      Targets: [{ Id: "q", Arn: "arn:aws:sqs:us-east-1:0:q", RetryPolicy: { MaximumRetryAttempts: 0 } }],
    });
    bus.putEvents({ Entries: [tenantRequested] });
    await bus.drain();
    expect(bus.deadLetters()[0]?.errorMessage).toMatch(/No local dispatcher/);
  });
});

describe("event log and replay", () => {
  it("replays logged events of a time window through the current rules, marked with replay-name", async () => {
    const { bus, clock, calls } = setup();
    bus.putEvents({ Entries: [tenantRequested] });
    await clock.advance(60_000);
    bus.putEvents({ Entries: [{ ...tenantRequested, Detail: '{"tenantId":"late"}' }] });
    bus.putRule({ Name: "r", EventBusName: "cplane", EventPattern: '{"source":["cplane.tenants"]}' });
    bus.putTargets({ Rule: "r", EventBusName: "cplane", Targets: [{ Id: "t", Arn: FN }] });
    const result = bus.startReplay({
      ReplayName: "again",
      EventBusName: "cplane",
      EventStartTime: new Date(START),
      EventEndTime: new Date(START + 1000),
    });
    await bus.drain();
    expect(result).toEqual({ ReplayedCount: 1 });
    expect(calls).toHaveLength(1);
    expect(JSON.parse(calls[0]?.input ?? "{}")).toMatchObject({
      "replay-name": "again",
      detail: { tenantId: "acme" },
    });
  });
});
