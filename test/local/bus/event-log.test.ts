import { describe, expect, it } from "vitest";
import { createLocalEventBridge, type TargetDispatcher } from "../../../local/bus/bus.ts";
import { EventLog, InvalidEventLogRetentionError, type LoggedEvent } from "../../../local/bus/event-log.ts";
import { createClock } from "../../../local/clock/clock.ts";

const START = Date.parse("2026-03-01T12:00:00Z");
const HOUR = 3_600_000;

function logged(id: string, ingestedAt: number): LoggedEvent {
  return {
    busName: "cplane",
    ingestedAt,
    event: {
      version: "0",
      id,
      "detail-type": "Thing Happened",
      source: "test",
      account: "000000000000",
      time: new Date(ingestedAt).toISOString(),
      region: "us-east-1",
      resources: [],
      detail: {},
    },
  };
}

describe("the event log", () => {
  it("keeps at most its count, the oldest dropped first", () => {
    const log = new EventLog(() => START, { count: 3 });
    for (const id of ["a", "b", "c", "d", "e"]) log.append(logged(id, START));
    expect(log.all().map((e) => e.event.id)).toEqual(["c", "d", "e"]);
    expect(log.size).toBe(3);
    expect(log.get("b")).toBeUndefined();
    expect(log.get("d")?.seq).toBe(4);
  });

  it("drops events older than its age on the simulated clock", () => {
    let now = START;
    const log = new EventLog(() => now, { maxAgeMs: 2 * HOUR });
    log.append(logged("old", START));
    now += HOUR;
    log.append(logged("newer", now));
    now += HOUR + 1;
    expect(log.all().map((e) => e.event.id)).toEqual(["newer"]);
    expect(log.firstSeq).toBe(2);
  });

  it("says what was logged since a sequence number, and continues numbering after a restore", () => {
    const log = new EventLog(() => START);
    for (const id of ["a", "b", "c"]) log.append(logged(id, START));
    expect(log.since(1).map((e) => e.event.id)).toEqual(["b", "c"]);
    const restored = new EventLog(() => START);
    restored.restore(log.all());
    expect(restored.append(logged("d", START)).seq).toBe(4);
    expect(restored.since(3).map((e) => e.event.id)).toEqual(["d"]);
  });

  it("refuses a retention that keeps nothing", () => {
    expect(() => new EventLog(() => START, { count: 0 })).toThrow(InvalidEventLogRetentionError);
    expect(() => new EventLog(() => START, { maxAgeMs: -1 })).toThrow(InvalidEventLogRetentionError);
  });
});

describe("deliveries and events taken back after a crash", () => {
  const SFN = "arn:aws:states:us-east-1:000000000000:stateMachine:tenant-onboarding";
  const ROLE = "arn:aws:iam::000000000000:role/start-tenant-onboarding";

  function setup() {
    const clock = createClock({ mode: { kind: "manual" }, start: START });
    const starts: { input: string; name: string | undefined }[] = [];
    let failures = 1;
    const dispatcher: TargetDispatcher = {
      startExecution: async (_arn, input, delivery) => {
        starts.push({ input, name: delivery?.id });
        if (failures-- > 0) throw Object.assign(new Error("slow down"), { name: "ThrottlingException" });
        return {};
      },
      invokeFunction: async () => ({}),
    };
    const bus = createLocalEventBridge({ clock, dispatcher, backoffMs: () => 1000 });
    bus.putRule({ Name: "onboard", EventBusName: "cplane", EventPattern: '{"source":["test"]}' });
    bus.putTargets({
      Rule: "onboard",
      EventBusName: "cplane",
      Targets: [{ Id: "sfn", Arn: SFN, RoleArn: ROLE }],
    });
    return { bus, clock, starts };
  }

  it("names a delivery the same on every attempt, and differently for another event or a replay", async () => {
    // Prepare
    const { bus, clock, starts } = setup();

    // Act: one event, delivered once (throttled) then retried; a second event; a replay of the first
    const [first] = bus.putEvents({
      Entries: [{ Source: "test", DetailType: "x", Detail: "{}", EventBusName: "cplane" }],
    }).Entries;
    await bus.drain();
    await clock.advance(1000);
    await bus.drain();
    bus.putEvents({ Entries: [{ Source: "test", DetailType: "x", Detail: "{}", EventBusName: "cplane" }] });
    bus.startReplay({
      ReplayName: "again",
      EventBusName: "cplane",
      EventStartTime: new Date(0),
      EventEndTime: new Date(START),
    });
    await bus.drain();

    // Assess
    const [attempt1, attempt2, other, replayed] = starts.map((s) => s.name);
    expect(first?.EventId).toBeDefined();
    expect(attempt1).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(attempt2).toBe(attempt1);
    expect(new Set([attempt1, other, replayed]).size).toBe(3);
  });

  it("logs and delivers an event the log lacks, with the name it had; one the log holds is left alone", async () => {
    // Prepare: an event ingested and delivered by one bus, as a journal keeps it
    const before = setup();
    const id =
      before.bus.putEvents({
        Entries: [{ Source: "test", DetailType: "x", Detail: "{}", EventBusName: "cplane" }],
      }).Entries[0]?.EventId ?? "";
    await before.bus.drain();
    const journaled = before.bus.eventLog.get(id) as LoggedEvent;
    const after = setup();

    // Act
    const first = after.bus.reingest(journaled);
    const second = after.bus.reingest(journaled);
    await after.bus.drain();

    // Assess
    expect([first, second]).toEqual([true, false]);
    expect(after.bus.events().map((e) => e.event.id)).toEqual([id]);
    expect(after.starts.map((s) => s.name)).toEqual([before.starts[0]?.name]);
  });
});
