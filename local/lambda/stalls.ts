/**
 * Wall time during which this process's event loop could not run: the part of a local handler's
 * run time that belongs to someone else.
 *
 * On AWS each function has its own CPU; locally every handler, the engine and the tenant databases
 * share one thread. Fifty tenant databases starting at once block that thread for seconds, and a
 * handler awaiting a two-millisecond registry call would pass its 30 s timeout waiting for a turn
 * (bench/README.md, 50 onboardings: 41 of them failed with Sandbox.Timedout). A handler is charged the
 * wall time minus the stalls measured while it ran, as if it had had the machine to itself.
 *
 * Measured by a timer that should fire every `tickMs`: whatever it fires later than `toleranceMs`
 * is a stall. The timer runs only while someone measures (a running handler), so an idle runtime
 * has no timer at all.
 */
export interface StallMeterOptions {
  readonly tickMs?: number;
  readonly toleranceMs?: number;
  /** Wall-clock milliseconds (tests give their own). */
  readonly now?: () => number;
}

export class StallMeter {
  private readonly tickMs: number;
  private readonly toleranceMs: number;
  private readonly now: () => number;
  private stalled = 0;
  private users = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private expected = 0;

  constructor({ tickMs = 50, toleranceMs = 20, now = () => performance.now() }: StallMeterOptions = {}) {
    this.tickMs = tickMs;
    this.toleranceMs = toleranceMs;
    this.now = now;
  }

  /** Total stalled milliseconds measured so far (only while at least one measurement was open). */
  get stalledMs(): number {
    this.tick();
    return this.stalled;
  }

  /** Opens a measurement; the returned function tells the stalls since, and `end()` closes it. */
  begin(): { stalledSince: () => number; end: () => void } {
    if (this.users++ === 0) {
      this.expected = this.now() + this.tickMs;
      this.timer = setInterval(() => this.tick(), this.tickMs);
      this.timer.unref();
    }
    const from = this.stalledMs;
    let ended = false;
    return {
      stalledSince: () => this.stalledMs - from,
      end: () => {
        if (ended) return;
        ended = true;
        if (--this.users === 0) {
          clearInterval(this.timer);
          this.timer = undefined;
        }
      },
    };
  }

  private tick(): void {
    if (this.users === 0) return;
    const now = this.now();
    const late = now - this.expected;
    if (late > this.toleranceMs) this.stalled += late;
    // The next tick is due one interval after this one ran (setInterval does not catch up).
    if (late >= 0) this.expected = now + this.tickMs;
  }
}
