import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  type CheckpointReport,
  Checkpoints,
  InvalidCheckpointTimingError,
} from "../../../local/persistence/checkpoints.ts";

const REPORT: CheckpointReport = { clock: 0, captureMs: 0, bytes: 1 };

/** A writer that records when it was called and, when `hold` is set, finishes only when released. */
function recordingWriter(options: { hold?: boolean; failures?: number } = {}) {
  const calls: number[] = [];
  const releases: (() => void)[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let failures = options.failures ?? 0;
  const write = async (): Promise<CheckpointReport> => {
    calls.push(Date.now());
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      if (options.hold) await new Promise<void>((resolve) => releases.push(resolve));
      if (failures > 0) {
        failures--;
        throw new Error("disk full");
      }
      return REPORT;
    } finally {
      inFlight--;
    }
  };
  return { write, calls, releases, maxInFlight: () => maxInFlight };
}

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe("checkpoint schedule", () => {
  it("writes once after a burst of changes has been quiet for quietMs", async () => {
    const writer = recordingWriter();
    const checkpoints = new Checkpoints({ write: writer.write, timing: { quietMs: 100, maxDelayMs: 1_000 } });

    for (let i = 0; i < 5; i++) {
      checkpoints.changed();
      await vi.advanceTimersByTimeAsync(20);
    }
    expect(writer.calls).toEqual([]);
    await vi.advanceTimersByTimeAsync(100);

    expect(writer.calls).toEqual([180]);
    expect(checkpoints.status).toMatchObject({ written: 1, pending: false, writing: false });
  });

  it("writes no later than maxDelayMs after the first unwritten change while changes keep coming", async () => {
    const writer = recordingWriter();
    const checkpoints = new Checkpoints({ write: writer.write, timing: { quietMs: 100, maxDelayMs: 1_000 } });

    for (let t = 0; t < 2_500; t += 50) {
      checkpoints.changed();
      await vi.advanceTimersByTimeAsync(50);
    }

    expect(writer.calls).toEqual([1_000, 2_000]);
  });

  it("writes nothing while nothing changes", async () => {
    const writer = recordingWriter();
    new Checkpoints({ write: writer.write });

    await vi.advanceTimersByTimeAsync(60_000);

    expect(writer.calls).toEqual([]);
  });

  it("never runs two writes at once: changes made during a write go into the next one", async () => {
    const writer = recordingWriter({ hold: true });
    const checkpoints = new Checkpoints({ write: writer.write, timing: { quietMs: 10, maxDelayMs: 10 } });
    checkpoints.changed();
    await vi.advanceTimersByTimeAsync(10);
    expect(writer.calls).toHaveLength(1);

    for (let i = 0; i < 10; i++) {
      checkpoints.changed();
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(writer.calls).toHaveLength(1);
    expect(checkpoints.status).toMatchObject({ writing: true, pending: true });
    writer.releases.shift()?.();
    await vi.advanceTimersByTimeAsync(10);

    expect(writer.calls).toHaveLength(2);
    expect(writer.maxInFlight()).toBe(1);
    writer.releases.shift()?.();
    await vi.advanceTimersByTimeAsync(10);
    expect(checkpoints.status).toMatchObject({ written: 2, writing: false, pending: false });
  });

  it("flush writes pending changes at once and resolves when they are written", async () => {
    const writer = recordingWriter();
    const checkpoints = new Checkpoints({
      write: writer.write,
      timing: { quietMs: 5_000, maxDelayMs: 5_000 },
    });
    checkpoints.changed();

    await checkpoints.flush();

    expect(writer.calls).toEqual([0]);
    expect(checkpoints.status.last).toMatchObject({ bytes: 1 });
    await checkpoints.flush();
    expect(writer.calls).toHaveLength(1);
  });

  it("reports a failed write and retries it later, backing off", async () => {
    const writer = recordingWriter({ failures: 2 });
    const errors: unknown[] = [];
    const checkpoints = new Checkpoints({
      write: writer.write,
      timing: { quietMs: 10, maxDelayMs: 100 },
      onError: (error) => errors.push(error),
    });

    checkpoints.changed();
    await vi.advanceTimersByTimeAsync(10);
    expect(errors).toHaveLength(1);
    expect(checkpoints.status).toMatchObject({
      written: 0,
      pending: true,
      lastError: { message: "Error: disk full", failures: 1 },
    });
    await vi.advanceTimersByTimeAsync(1_000);

    // Retried after 200 ms, then after 400 ms more: the third attempt succeeds.
    expect(writer.calls).toEqual([10, 210, 610]);
    expect(checkpoints.status).toMatchObject({ written: 1, pending: false });
  });

  it("flush rejects with the writer's error", async () => {
    const checkpoints = new Checkpoints({ write: recordingWriter({ failures: 1 }).write });
    checkpoints.changed();

    await expect(checkpoints.flush()).rejects.toThrow("disk full");
  });

  it("close drops pending changes, waits for the write in flight, and ignores later changes", async () => {
    const writer = recordingWriter({ hold: true });
    const checkpoints = new Checkpoints({ write: writer.write, timing: { quietMs: 10, maxDelayMs: 10 } });
    checkpoints.changed();
    await vi.advanceTimersByTimeAsync(10);
    checkpoints.changed();

    let closed = false;
    const closing = checkpoints.close().then(() => {
      closed = true;
    });
    await vi.advanceTimersByTimeAsync(100);
    expect(closed).toBe(false);
    writer.releases.shift()?.();
    await closing;
    checkpoints.changed();
    await vi.advanceTimersByTimeAsync(1_000);

    expect(writer.calls).toHaveLength(1);
  });

  it("refuses timing that cannot work", () => {
    const write = recordingWriter().write;
    expect(() => new Checkpoints({ write, timing: { quietMs: -1 } })).toThrow(InvalidCheckpointTimingError);
    expect(() => new Checkpoints({ write, timing: { quietMs: 500, maxDelayMs: 100 } })).toThrow(
      /maxDelayMs \(100\) must be at least quietMs \(500\)/,
    );
    expect(() => new Checkpoints({ write, timing: { maxDelayMs: 1_000, backgroundDelayMs: 500 } })).toThrow(
      /backgroundDelayMs \(500\) must be at least maxDelayMs \(1000\)/,
    );
  });
});

describe("checkpoint schedule of background work", () => {
  const timing = { quietMs: 100, maxDelayMs: 1_000, backgroundDelayMs: 10_000 };

  it("writes the changes of background work together, backgroundDelayMs after the first", async () => {
    // Prepare
    const writer = recordingWriter();
    const checkpoints = new Checkpoints({ write: writer.write, timing });

    // Act: a round of background work every 2.5 s (a DR copy round at speed 60), for 30 s.
    for (let t = 0; t < 30_000; t += 2_500) {
      checkpoints.changed("background");
      await vi.advanceTimersByTimeAsync(2_500);
    }

    // Assess: three checkpoints, not twelve; each within 10 s of the first change it holds.
    expect(writer.calls).toEqual([10_000, 20_000, 30_000]);
  });

  it("writes on the short schedule as soon as someone's change joins, taking the background ones with it", async () => {
    // Prepare
    const writer = recordingWriter();
    const checkpoints = new Checkpoints({ write: writer.write, timing });
    checkpoints.changed("background");
    await vi.advanceTimersByTimeAsync(3_000);

    // Act
    checkpoints.changed("request");
    await vi.advanceTimersByTimeAsync(200);

    // Assess: written 100 ms after the request's change; nothing is left pending for 10 s later.
    expect(writer.calls).toEqual([3_100]);
    expect(checkpoints.status.pending).toBe(false);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(writer.calls).toEqual([3_100]);
  });

  it("a background change made during a write waits for its own delay, a request's does not", async () => {
    // Prepare: a write in flight.
    const writer = recordingWriter({ hold: true });
    const checkpoints = new Checkpoints({ write: writer.write, timing });
    checkpoints.changed("request");
    await vi.advanceTimersByTimeAsync(100);
    expect(writer.calls).toEqual([100]);

    // Act: background work changes something meanwhile; the write ends at 500.
    await vi.advanceTimersByTimeAsync(200);
    checkpoints.changed("background");
    await vi.advanceTimersByTimeAsync(200);
    writer.releases.shift()?.();
    await vi.advanceTimersByTimeAsync(5_000);

    // Assess: not yet written 5 s later; written 10 s after that change.
    expect(writer.calls).toEqual([100]);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(writer.calls).toEqual([100, 10_300]);
  });

  it("flush writes background changes at once", async () => {
    const writer = recordingWriter();
    const checkpoints = new Checkpoints({ write: writer.write, timing });
    checkpoints.changed("background");

    await checkpoints.flush();

    expect(writer.calls).toEqual([0]);
  });
});
