import { describe, expect, it } from "vitest";
import { inBackground, runInBackground } from "../../../local/clock/background.ts";
import {
  createClock,
  formatClockMode,
  InvalidClockOptionError,
  parseClockMode,
} from "../../../local/clock/clock.ts";

const START = Date.parse("2026-01-01T00:00:00Z");

describe("instant clock", () => {
  it("jumps to the next timer when nothing is in flight, reporting simulated time", async () => {
    const clock = createClock({ mode: { kind: "instant" }, start: START });
    const wallStart = Date.now();
    await clock.sleep(10 * 60_000);
    expect(clock.now()).toBe(START + 10 * 60_000);
    expect(Date.now() - wallStart).toBeLessThan(5_000);
  });

  it("fires timers in due order, ties in creation order", async () => {
    const clock = createClock({ mode: { kind: "instant" }, start: START });
    const fired: string[] = [];
    clock.setTimer(300, () => fired.push("c"));
    clock.setTimer(100, () => fired.push("a"));
    clock.setTimer(100, () => fired.push("b"));
    await clock.sleep(1_000);
    expect(fired).toEqual(["a", "b", "c"]);
  });

  it("does not jump while tracked work is in flight", async () => {
    const clock = createClock({ mode: { kind: "instant" }, start: START });
    let release: () => void = () => undefined;
    const work = clock.track(new Promise<void>((resolve) => (release = resolve)));
    let slept = false;
    void clock.sleep(60_000).then(() => (slept = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(slept).toBe(false);
    expect(clock.now()).toBe(START);
    release();
    await work;
    await new Promise((r) => setTimeout(r, 20));
    expect(slept).toBe(true);
    expect(clock.now()).toBe(START + 60_000);
  });

  it("cancelled timers never fire", async () => {
    const clock = createClock({ mode: { kind: "instant" }, start: START });
    let fired = false;
    clock.setTimer(50, () => (fired = true)).cancel();
    await clock.sleep(100);
    expect(fired).toBe(false);
  });

  it("rejects a sleep when its signal aborts", async () => {
    const clock = createClock({ mode: { kind: "manual" }, start: START });
    const controller = new AbortController();
    const sleeping = clock.sleep(1_000, controller.signal);
    controller.abort(new Error("stopped"));
    await expect(sleeping).rejects.toThrow("stopped");
    expect(clock.pendingTimers()).toBe(0);
  });
});

describe("manual clock", () => {
  it("moves only on advance, firing timers set by earlier timers within the window", async () => {
    const clock = createClock({ mode: { kind: "manual" }, start: START });
    const seen: number[] = [];
    clock.setTimer(1_000, () => {
      seen.push(clock.now());
      clock.setTimer(500, () => seen.push(clock.now()));
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(seen).toEqual([]);
    await clock.advance(2_000);
    expect(seen).toEqual([START + 1_000, START + 1_500]);
    expect(clock.now()).toBe(START + 2_000);
  });

  it("refuses a negative advance", async () => {
    const clock = createClock({ mode: { kind: "manual" }, start: START });
    await expect(clock.advance(-1)).rejects.toBeInstanceOf(InvalidClockOptionError);
  });
});

describe("scaled clock", () => {
  it("runs virtual time faster than wall time", async () => {
    const clock = createClock({ mode: { kind: "scaled", factor: 1_000 }, start: START });
    await clock.sleep(20_000);
    expect(clock.now()).toBeGreaterThanOrEqual(START + 20_000);
  });
});

describe("parseClockMode", () => {
  it.each([
    ["real", { kind: "real" }],
    ["instant", { kind: "instant" }],
    ["manual", { kind: "manual" }],
    ["60", { kind: "scaled", factor: 60 }],
    ["60x", { kind: "scaled", factor: 60 }],
    ["1", { kind: "real" }],
  ])("parses %s", (text, mode) => {
    expect(parseClockMode(text)).toEqual(mode);
  });

  it.each(["0", "-2", "fast", ""])("refuses %j", (text) => {
    expect(() => parseClockMode(text)).toThrow(InvalidClockOptionError);
  });
});

describe("background timers", () => {
  it("never make an instant clock jump on their own, but fire when time passes them", async () => {
    const clock = createClock({ mode: { kind: "instant" }, start: START });
    const fired: string[] = [];
    clock.setTimer(86_400_000, () => fired.push("daily backup"), { background: true });
    await new Promise((r) => setTimeout(r, 20));
    expect(fired).toEqual([]);
    expect(clock.now()).toBe(START);

    await clock.sleep(2 * 86_400_000);

    expect(fired).toEqual(["daily backup"]);
    expect(clock.now()).toBe(START + 2 * 86_400_000);
  });

  it("let the clock rest once only background timers remain", async () => {
    const clock = createClock({ mode: { kind: "instant" }, start: START });
    let ticks = 0;
    const tick = () => {
      ticks++;
      clock.setTimer(60_000, tick, { background: true });
    };
    clock.setTimer(60_000, tick, { background: true });
    await clock.sleep(5 * 60_000);
    const after = ticks;
    await new Promise((r) => setTimeout(r, 30));
    expect(after).toBe(5);
    expect(ticks).toBe(5);
  });
});

describe("background work (local/clock/background.ts)", () => {
  it("a timer fires as the work that set it, whoever armed the clock's real timer", async () => {
    // Prepare: background work sets the first timer (it arms the one real timer), a request's timer
    // falls due at the same instant, and the other way round.
    const clock = createClock({ mode: { kind: "scaled", factor: 1_000 }, start: START });
    const seen: Record<string, boolean> = {};
    runInBackground(() => clock.setTimer(1_000, () => (seen["background, first"] = inBackground())));
    clock.setTimer(1_000, () => (seen["request, second"] = inBackground()));
    clock.setTimer(2_000, () => (seen["request, first"] = inBackground()));
    runInBackground(() => clock.setTimer(2_000, () => (seen["background, second"] = inBackground())));

    // Act
    await clock.sleep(3_000);

    // Assess
    expect(seen).toEqual({
      "background, first": true,
      "request, second": false,
      "request, first": false,
      "background, second": true,
    });
  });
});

describe("a failing timer", () => {
  it("does not keep the other timers due at the same instant from firing", async () => {
    const clock = createClock({ mode: { kind: "manual" }, start: START });
    const fired: string[] = [];
    const errors: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => errors.push(args[1]);
    try {
      clock.setTimer(100, () => {
        throw new Error("boom");
      });
      clock.setTimer(100, () => fired.push("second"));
      await clock.advance(100);
    } finally {
      console.error = original;
    }
    expect(fired).toEqual(["second"]);
    expect(errors).toEqual([expect.objectContaining({ message: "boom" })]);
  });
});

describe("changing the speed while running", () => {
  const wallWait = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it("keeps now() continuous: time goes on from where it was, at the new rate", async () => {
    const clock = createClock({ mode: { kind: "scaled", factor: 1_000 }, start: START });
    await wallWait(20);
    const wallBefore = Date.now();
    const before = clock.now();
    clock.setMode({ kind: "manual" });
    const after = clock.now();
    // No jump back, and no more than the wall time between the two reads at the old rate.
    expect(after).toBeGreaterThanOrEqual(before);
    expect(after - before).toBeLessThanOrEqual((Date.now() - wallBefore) * 1_000 + 1);
    await wallWait(20);
    expect(clock.now()).toBe(after);

    const armedFrom = Date.now();
    clock.setMode({ kind: "scaled", factor: 10 });
    const armed = Date.now();
    await wallWait(50);
    const readAt = Date.now();
    const moved = clock.now() - after;
    const readDone = Date.now();
    expect(clock.mode).toEqual({ kind: "scaled", factor: 10 });
    expect(moved).toBeGreaterThanOrEqual((readAt - armed) * 10 - 1);
    expect(moved).toBeLessThanOrEqual((readDone - armedFrom) * 10 + 1);
  });

  it("re-arms a pending sleep for a faster rate instead of waiting out the old one", async () => {
    const clock = createClock({ mode: { kind: "real" }, start: START });
    // A minute of real time at the old rate: the test would time out if the old timer still held it.
    const slept = clock.sleep(60_000);
    clock.setMode({ kind: "scaled", factor: 1_000_000 });
    await slept;
    expect(clock.now()).toBeGreaterThanOrEqual(START + 60_000);
    expect(clock.pendingTimers()).toBe(0);
  });

  it("holds a pending timer to its virtual due time when the rate slows", async () => {
    const clock = createClock({ mode: { kind: "scaled", factor: 1_000 }, start: START });
    let fired = false;
    // Sixty virtual seconds: 60 ms of wall time at the old rate, a minute at the new one.
    clock.setTimer(60_000, () => (fired = true));
    clock.setMode({ kind: "real" });
    await wallWait(150);
    expect(fired).toBe(false);
    expect(clock.now()).toBeLessThan(START + 60_000);
    clock.dispose();
  });

  it("fires timers at their due time when a manual clock turns instant, and stops jumping when it turns manual", async () => {
    const clock = createClock({ mode: { kind: "manual" }, start: START });
    const fired: number[] = [];
    clock.setTimer(10 * 60_000, () => fired.push(clock.now()));
    await wallWait(20);
    expect(fired).toEqual([]);
    clock.setMode({ kind: "instant" });
    await clock.sleep(10 * 60_000 + 1);
    expect(fired).toEqual([START + 10 * 60_000]);

    // An instant clock schedules its jump a few event-loop turns ahead; turned manual in between, it stays.
    const at = clock.now();
    let late = false;
    clock.setTimer(60_000, () => (late = true));
    clock.setMode({ kind: "manual" });
    await wallWait(30);
    expect(late).toBe(false);
    expect(clock.now()).toBe(at);
    await clock.advance(60_000);
    expect(late).toBe(true);
  });

  it("tells its listeners of each new mode, in the form parseClockMode reads back, until they leave", () => {
    const clock = createClock({ mode: { kind: "manual" }, start: START });
    const told: string[] = [];
    const leave = clock.onModeChange((mode) => told.push(formatClockMode(mode)));
    clock.setMode({ kind: "scaled", factor: 60 });
    clock.setMode({ kind: "instant" });
    leave();
    clock.setMode({ kind: "real" });
    expect(told).toEqual(["60x", "instant"]);
    expect(told.map((t) => parseClockMode(t))).toEqual([{ kind: "scaled", factor: 60 }, { kind: "instant" }]);
    // A refused mode is no change.
    clock.onModeChange((mode) => told.push(formatClockMode(mode)));
    expect(() => clock.setMode({ kind: "scaled", factor: -1 })).toThrow(InvalidClockOptionError);
    expect(told).toHaveLength(2);
    clock.dispose();
  });

  it("refuses a factor that is not a positive number and keeps its mode", () => {
    const clock = createClock({ mode: { kind: "manual" }, start: START });
    expect(() => clock.setMode({ kind: "scaled", factor: 0 })).toThrow(InvalidClockOptionError);
    expect(() => clock.setMode({ kind: "scaled", factor: Number.NaN })).toThrow(InvalidClockOptionError);
    expect(clock.mode).toEqual({ kind: "manual" });
    expect(clock.now()).toBe(START);
  });
});
