/**
 * When the running runtime writes its state (a checkpoint), so that a crash loses at most the last
 * moments: after changes pause for `quietMs`, and never later than `maxDelayMs` after the first
 * change not yet written, however busy the runtime is. At most one write is in flight; changes made
 * during it are written by the next one. An idle runtime writes nothing.
 *
 * Changes made by background work (the upkeep schedules' own runs: local/clock/background.ts) wait
 * up to `backgroundDelayMs` instead, so that one checkpoint takes several of them: at speed 60 a DR
 * copy round runs every 2.5 s of wall time, and each was written on its own (12 checkpoints in 30 s
 * of an idle runtime at 200 tenants). A crash loses at most that much background work, which the
 * redrive of its execution from the last checkpoint does again (each step is safe to run twice); a
 * change someone asked for keeps the short schedule, and takes the background changes with it.
 *
 * The schedule runs on wall time (a checkpoint protects against crashes, which happen in real time,
 * whatever the simulated clock does) and keeps no timer alive on its own.
 */

export interface CheckpointTiming {
  /** Changes must pause this long (wall ms) before a checkpoint is written. */
  readonly quietMs: number;
  /** ...but a change waits no longer than this (wall ms) for its checkpoint to start. */
  readonly maxDelayMs: number;
  /** A change made by background work waits no longer than this (wall ms); at least `maxDelayMs`. */
  readonly backgroundDelayMs: number;
}

export const DEFAULT_CHECKPOINT_TIMING: CheckpointTiming = {
  quietMs: 200,
  maxDelayMs: 1_000,
  backgroundDelayMs: 10_000,
};

/** What one checkpoint wrote, as the writer reports it. */
export interface CheckpointReport {
  /** Virtual time of the state written (epoch ms). */
  readonly clock: number;
  /** Wall milliseconds the state took to take (the engine and the cloud wait for this part). */
  readonly captureMs: number;
  /** Bytes of the state files written (database images written anew not included). */
  readonly bytes: number;
}

export interface CheckpointStatus {
  /** Checkpoints written since the runtime started. */
  readonly written: number;
  /** Changes not yet in a checkpoint. */
  readonly pending: boolean;
  readonly writing: boolean;
  readonly last?: CheckpointReport & {
    /** Wall time the checkpoint was on disk, ISO 8601. */
    readonly at: string;
    /** Wall milliseconds from its start to its last file on disk. */
    readonly ms: number;
  };
  readonly lastError?: { readonly at: string; readonly message: string; readonly failures: number };
}

export class InvalidCheckpointTimingError extends Error {
  override name = "InvalidCheckpointTimingError";
}

export interface CheckpointsOptions {
  /** Writes one checkpoint; never called while an earlier call is still running. */
  readonly write: () => Promise<CheckpointReport>;
  readonly timing?: Partial<CheckpointTiming>;
  /** Told of a failed write (the next one is retried with back-off, up to a minute apart). */
  readonly onError?: (error: unknown) => void;
}

const MAX_RETRY_MS = 60_000;

export class Checkpoints {
  readonly timing: CheckpointTiming;
  private readonly write: () => Promise<CheckpointReport>;
  private readonly onError: (error: unknown) => void;
  /** Wall time of the first and the last change not yet written; undefined when all are written. */
  private firstChange: number | undefined;
  private lastChange = 0;
  /** Wall time of the first background change not yet written (see the module's comment). */
  private firstBackground: number | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerDue = 0;
  private running: Promise<void> | undefined;
  private closed = false;
  private written = 0;
  private failures = 0;
  private notBefore = 0;
  private last: CheckpointStatus["last"];
  private lastError: CheckpointStatus["lastError"];

  constructor(options: CheckpointsOptions) {
    const given = options.timing ?? {};
    const timing = {
      ...DEFAULT_CHECKPOINT_TIMING,
      // Background changes never wait less than others: by default at least `maxDelayMs`.
      backgroundDelayMs: Math.max(DEFAULT_CHECKPOINT_TIMING.backgroundDelayMs, given.maxDelayMs ?? 0),
      ...given,
    };
    for (const [name, value] of Object.entries(timing)) {
      if (!Number.isFinite(value) || value < 0) {
        throw new InvalidCheckpointTimingError(
          `checkpoint ${name} must be a non-negative number of ms; got ${value}`,
        );
      }
    }
    if (timing.maxDelayMs < timing.quietMs) {
      throw new InvalidCheckpointTimingError(
        `checkpoint maxDelayMs (${timing.maxDelayMs}) must be at least quietMs (${timing.quietMs})`,
      );
    }
    if (timing.backgroundDelayMs < timing.maxDelayMs) {
      throw new InvalidCheckpointTimingError(
        `checkpoint backgroundDelayMs (${timing.backgroundDelayMs}) must be at least maxDelayMs (${timing.maxDelayMs})`,
      );
    }
    this.timing = timing;
    this.write = options.write;
    this.onError = options.onError ?? (() => undefined);
  }

  /**
   * Something changed: a checkpoint will follow, within `backgroundDelayMs` when background work made
   * the change, else on the short schedule. Cheap enough to call on every change.
   */
  changed(by: "request" | "background" = "request"): void {
    if (this.closed) return;
    const now = Date.now();
    if (by === "background") this.firstBackground ??= now;
    else {
      this.lastChange = now;
      this.firstChange ??= now;
    }
    if (this.running) return;
    const wait = this.wait(now);
    // Armed anew only when this change is due sooner than the timer set for the others.
    if (this.timer && this.timerDue <= now + wait) return;
    this.disarm();
    this.arm(wait);
  }

  /** Writes what is pending now (after a write in flight), and resolves once it is on disk. */
  async flush(): Promise<void> {
    while (this.running) await this.running;
    if (!this.pending || this.closed) return;
    this.disarm();
    await this.run(true);
  }

  /** No more checkpoints: cancels what is pending, waits for a write in flight. */
  async close(): Promise<void> {
    this.closed = true;
    this.disarm();
    await this.running;
  }

  get status(): CheckpointStatus {
    return {
      written: this.written,
      pending: this.pending,
      writing: this.running !== undefined,
      ...(this.last ? { last: this.last } : {}),
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }

  private get pending(): boolean {
    return this.firstChange !== undefined || this.firstBackground !== undefined;
  }

  /** Wall ms from `now` until the pending changes are due to be written (0: now). */
  private wait(now: number): number {
    const due = Math.min(
      this.firstChange === undefined
        ? Number.POSITIVE_INFINITY
        : Math.min(this.lastChange + this.timing.quietMs, this.firstChange + this.timing.maxDelayMs),
      this.firstBackground === undefined
        ? Number.POSITIVE_INFINITY
        : this.firstBackground + this.timing.backgroundDelayMs,
    );
    return Math.max(due - now, this.notBefore - now, 0);
  }

  private arm(delayMs: number): void {
    this.timerDue = Date.now() + Math.max(0, delayMs);
    this.timer = setTimeout(() => this.due(), Math.max(0, delayMs));
    this.timer.unref();
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private due(): void {
    this.timer = undefined;
    if (!this.pending || this.closed || this.running) return;
    const wait = this.wait(Date.now());
    if (wait > 0) this.arm(wait);
    else void this.run(false);
  }

  private run(rethrow: boolean): Promise<void> {
    const started = Date.now();
    // Changes from here on belong to the next checkpoint.
    this.firstChange = undefined;
    this.firstBackground = undefined;
    const running = this.write().then(
      (report) => {
        this.written++;
        this.failures = 0;
        this.notBefore = 0;
        this.last = { ...report, at: new Date().toISOString(), ms: Date.now() - started };
      },
      (error: unknown) => {
        this.failures++;
        this.notBefore = Date.now() + Math.min(MAX_RETRY_MS, this.timing.maxDelayMs * 2 ** this.failures);
        this.lastError = {
          at: new Date().toISOString(),
          message: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
          failures: this.failures,
        };
        // What failed is still to be written.
        this.firstChange ??= started;
        this.onError(error);
        if (rethrow) throw error;
      },
    );
    this.running = running.finally(() => {
      this.running = undefined;
      // Changes made meanwhile: at once if someone asked for them, else on the background schedule.
      if (this.closed) return;
      if (this.firstChange !== undefined) this.arm(0);
      else if (this.firstBackground !== undefined) this.arm(this.wait(Date.now()));
    });
    // `running` rejects only for `flush`, whose caller handles it; the schedule never waits on it.
    this.running = this.running.catch(() => undefined);
    return running;
  }
}
