/**
 * The one virtual clock of the local runtime. Wait states, retry back-off, task timeouts, schedules
 * and the local cloud's resource lifecycles all read time and set timers through it, so that a
 * ten-minute cluster creation takes milliseconds in a test yet is reported as ten simulated minutes.
 *
 * Modes:
 * - `real`: virtual time is wall time (from the start instant on).
 * - `scaled`: virtual time runs `factor` times faster than wall time.
 * - `instant`: discrete-event simulation. Time stands still while work is in flight; when nothing
 *   tracked is running, it jumps to the next timer.
 * - `manual`: time moves only when `advance()` is called (tests, `cplane clock advance`).
 *
 * The mode can change while the runtime runs (`setMode`, `cplane clock speed`): time goes on from
 * where it is, and timers keep their virtual due times, so a Wait that had ten simulated minutes left
 * still has ten, now at the new rate.
 */

import { asItsCaller } from "./background.ts";

export type ClockMode =
  | { readonly kind: "real" }
  | { readonly kind: "scaled"; readonly factor: number }
  | { readonly kind: "instant" }
  | { readonly kind: "manual" };

export interface TimerHandle {
  /** Virtual epoch milliseconds at which the timer fires. */
  readonly due: number;
  cancel(): void;
}

export interface TimerOptions {
  /**
   * A background timer (a daily automated backup, a metrics heartbeat) fires when time reaches it,
   * but never makes an instant clock jump on its own: like an unref'd Node timer, it does not keep
   * the simulation going when nothing else waits.
   */
  readonly background?: boolean;
}

export interface Clock {
  /** The current mode; `setMode` changes it. */
  readonly mode: ClockMode;
  /**
   * Changes how time moves from now on. `now()` is continuous across the change, and pending timers
   * keep their virtual due times: a flowing clock re-arms its wall-clock timer for the new rate, an
   * instant one jumps to the next timer when at rest, a manual one waits for `advance()`.
   */
  setMode(mode: ClockMode, options?: { readonly transient?: boolean }): void;
  /**
   * The mode last chosen: what `setMode` set without `transient` (a start's mode, `cplane clock speed`).
   * A transient mode (the instant clock a demo fleet is built on) runs the clock but is not saved.
   */
  readonly chosenMode: ClockMode;
  /**
   * Calls `listener` after each `setMode` that is not transient (the runtime checkpoints the speed);
   * returns the unsubscribe.
   */
  onModeChange(listener: (mode: ClockMode) => void): () => void;
  /** Virtual epoch milliseconds. */
  now(): number;
  date(): Date;
  setTimer(delayMs: number, fn: () => void, options?: TimerOptions): TimerHandle;
  setTimerAt(epochMs: number, fn: () => void, options?: TimerOptions): TimerHandle;
  /** Resolves after `delayMs` of virtual time; rejects with the signal's reason when aborted. */
  sleep(delayMs: number, signal?: AbortSignal): Promise<void>;
  /** Marks real work in flight: an instant clock never jumps while tracked work runs. */
  track<T>(work: Promise<T>): Promise<T>;
  /** Moves virtual time forward by `ms`, firing due timers in order. */
  advance(ms: number): Promise<void>;
  /** Timers not yet fired. */
  pendingTimers(): number;
  /**
   * Timers not yet fired that are not background timers: what something waits on (a Wait state, a
   * lifecycle, a retry). Zero means only background timers remain and an instant clock is at rest.
   */
  pendingForegroundTimers(): number;
  /** Cancels every timer; the clock stays readable. */
  dispose(): void;
}

export class InvalidClockOptionError extends Error {
  override name = "InvalidClockOptionError";
}

export interface ClockOptions {
  mode?: ClockMode;
  /** Virtual time at creation, epoch ms. Default: wall time. */
  start?: number;
}

interface Timer {
  due: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
  background: boolean;
}

/** Parses `real`, `instant`, `manual` or a speed factor such as `60` or `60x`. */
export function parseClockMode(text: string): ClockMode {
  const value = text.trim().toLowerCase();
  if (value === "real") return { kind: "real" };
  if (value === "instant") return { kind: "instant" };
  if (value === "manual") return { kind: "manual" };
  const factor = Number(value.endsWith("x") ? value.slice(0, -1) : value);
  if (!Number.isFinite(factor) || factor <= 0) {
    throw new InvalidClockOptionError(
      `clock speed must be real, instant, manual or a positive factor such as 60; got "${text}"`,
    );
  }
  return factor === 1 ? { kind: "real" } : { kind: "scaled", factor };
}

/** A mode as `parseClockMode` reads it back: `real`, `instant`, `manual` or `60x`. */
export function formatClockMode(mode: ClockMode): string {
  return mode.kind === "scaled" ? `${mode.factor}x` : mode.kind;
}

export function createClock(options: ClockOptions = {}): Clock {
  return new VirtualClock(options.mode ?? { kind: "real" }, options.start ?? Date.now());
}

class VirtualClock implements Clock {
  private current: ClockMode;
  private chosen: ClockMode;
  private factor: number;
  /** Virtual time at `realBase` (for real/scaled) or the current virtual time (instant/manual). */
  private virtualBase: number;
  private realBase: number;
  private readonly heap: Timer[] = [];
  private seq = 0;
  private inFlight = 0;
  /** Pending timers that are neither cancelled nor background: what lets an instant clock jump. */
  private foreground = 0;
  private realTimer: ReturnType<typeof setTimeout> | undefined;
  private realTimerDue = Number.POSITIVE_INFINITY;
  private stepScheduled = false;
  private readonly modeListeners = new Set<(mode: ClockMode) => void>();
  private advancing = false;

  constructor(mode: ClockMode, start: number) {
    checkMode(mode);
    if (!Number.isFinite(start)) throw new InvalidClockOptionError(`clock start must be a finite epoch ms`);
    this.current = mode;
    this.chosen = mode;
    this.factor = mode.kind === "scaled" ? mode.factor : 1;
    this.virtualBase = start;
    this.realBase = Date.now();
  }

  get mode(): ClockMode {
    return this.current;
  }

  get chosenMode(): ClockMode {
    return this.chosen;
  }

  setMode(mode: ClockMode, options: { readonly transient?: boolean } = {}): void {
    checkMode(mode);
    // Rebase first, at the old rate: the new rate applies only to time from here on.
    this.moveTo(this.now());
    this.current = mode;
    this.factor = mode.kind === "scaled" ? mode.factor : 1;
    // The wall-clock timer was armed for the old rate (or for a mode that no longer flows).
    if (this.realTimer) clearTimeout(this.realTimer);
    this.realTimer = undefined;
    this.realTimerDue = Number.POSITIVE_INFINITY;
    this.reschedule();
    if (options.transient) return;
    this.chosen = mode;
    for (const listener of [...this.modeListeners]) listener(mode);
  }

  onModeChange(listener: (mode: ClockMode) => void): () => void {
    this.modeListeners.add(listener);
    return () => this.modeListeners.delete(listener);
  }

  private get flows(): boolean {
    return this.current.kind === "real" || this.current.kind === "scaled";
  }

  now(): number {
    if (!this.flows) return this.virtualBase;
    return Math.floor(this.virtualBase + (Date.now() - this.realBase) * this.factor);
  }

  date(): Date {
    return new Date(this.now());
  }

  setTimer(delayMs: number, fn: () => void, options?: TimerOptions): TimerHandle {
    const delay = Number.isFinite(delayMs) ? Math.max(0, delayMs) : 0;
    return this.setTimerAt(this.now() + delay, fn, options);
  }

  setTimerAt(epochMs: number, fn: () => void, options: TimerOptions = {}): TimerHandle {
    const background = options.background === true;
    const timer: Timer = { due: epochMs, seq: this.seq++, fn, cancelled: false, background };
    if (!background) this.foreground++;
    this.push(timer);
    this.reschedule();
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      if (!background) this.foreground--;
    };
    // Runs as the work that set it (background or not), not as whoever armed the real timer.
    const run = asItsCaller(fn);
    timer.fn = () => {
      settle();
      run();
    };
    return {
      due: timer.due,
      cancel: () => {
        if (timer.cancelled) return;
        timer.cancelled = true;
        settle();
      },
    };
  }

  sleep(delayMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const handle = this.setTimer(delayMs, () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      });
      const onAbort = () => {
        handle.cancel();
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  track<T>(work: Promise<T>): Promise<T> {
    this.inFlight++;
    return work.finally(() => {
      this.inFlight--;
      this.reschedule();
    });
  }

  async advance(ms: number): Promise<void> {
    if (!(Number.isFinite(ms) && ms >= 0)) {
      throw new InvalidClockOptionError(`advance takes a non-negative number of ms; got ${ms}`);
    }
    const target = this.now() + ms;
    this.advancing = true;
    try {
      for (;;) {
        const next = this.peek();
        if (!next || next.due > target) break;
        this.moveTo(Math.max(next.due, this.now()));
        this.fireDue();
        // Let the callbacks' continuations run, and schedule timers of their own, before moving on.
        await macrotask();
      }
      this.moveTo(Math.max(target, this.now()));
    } finally {
      this.advancing = false;
      this.reschedule();
    }
  }

  pendingTimers(): number {
    return this.heap.filter((t) => !t.cancelled).length;
  }

  pendingForegroundTimers(): number {
    return this.foreground;
  }

  dispose(): void {
    for (const timer of this.heap) timer.cancelled = true;
    this.heap.length = 0;
    this.foreground = 0;
    if (this.realTimer) clearTimeout(this.realTimer);
    this.realTimer = undefined;
    this.realTimerDue = Number.POSITIVE_INFINITY;
  }

  /** Sets virtual time to `epochMs`, keeping the flow rate of real/scaled clocks. */
  private moveTo(epochMs: number): void {
    this.virtualBase = epochMs;
    this.realBase = Date.now();
  }

  private fireDue(): void {
    const now = this.now();
    for (;;) {
      const next = this.peek();
      if (!next || next.due > now) return;
      this.pop();
      try {
        next.fn();
      } catch (error) {
        // One failing timer must not stop the clock, nor keep the others due now from firing.
        console.error("cplane clock: a timer callback threw", error);
      }
    }
  }

  private reschedule(): void {
    if (this.advancing) return;
    const next = this.peek();
    if (this.flows) {
      if (!next) return;
      const delay = Math.max(0, (next.due - this.now()) / this.factor);
      if (this.realTimer && this.realTimerDue <= next.due) return;
      if (this.realTimer) clearTimeout(this.realTimer);
      this.realTimerDue = next.due;
      this.realTimer = setTimeout(
        () => {
          this.realTimer = undefined;
          this.realTimerDue = Number.POSITIVE_INFINITY;
          this.fireDue();
          this.reschedule();
        },
        Math.min(delay, 2 ** 31 - 1),
      );
      return;
    }
    if (
      this.current.kind === "instant" &&
      next &&
      this.foreground > 0 &&
      this.inFlight === 0 &&
      !this.stepScheduled
    ) {
      this.stepScheduled = true;
      // Two turns of the event loop let I/O callbacks and promise chains settle before time jumps.
      setImmediate(() =>
        setImmediate(() => {
          this.stepScheduled = false;
          // The mode may have changed in between (`setMode`): only an instant clock jumps.
          if (this.current.kind !== "instant" || this.inFlight > 0 || this.advancing || this.foreground === 0)
            return;
          const due = this.peek();
          if (!due) return;
          if (due.due > this.virtualBase) this.virtualBase = due.due;
          this.fireDue();
          this.reschedule();
        }),
      );
    }
  }

  // A binary min-heap on (due, seq); cancelled timers are dropped lazily.
  private peek(): Timer | undefined {
    while (this.heap.length > 0 && this.heap[0]?.cancelled) this.pop();
    return this.heap[0];
  }

  private push(timer: Timer): void {
    const heap = this.heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i] as Timer, heap[parent] as Timer)) break;
      [heap[i], heap[parent]] = [heap[parent] as Timer, heap[i] as Timer];
      i = parent;
    }
  }

  private pop(): Timer | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && before(heap[l] as Timer, heap[m] as Timer)) m = l;
        if (r < heap.length && before(heap[r] as Timer, heap[m] as Timer)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m] as Timer, heap[i] as Timer];
        i = m;
      }
    }
    return top;
  }
}

function checkMode(mode: ClockMode): void {
  if (mode.kind === "scaled" && !(Number.isFinite(mode.factor) && mode.factor > 0)) {
    throw new InvalidClockOptionError(`scaled clock factor must be a positive number; got ${mode.factor}`);
  }
}

function before(a: Timer, b: Timer): boolean {
  return a.due < b.due || (a.due === b.due && a.seq < b.seq);
}

function macrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
