/**
 * The cloud's heartbeat: every `metricsTick` of virtual time (aligned to the minute) traffic publishes
 * its metrics, health checks probe their regions, and alarms are evaluated, in that order. It runs only
 * while something needs it, so that an instant clock with nothing to watch stays idle.
 */
import { inBackground } from "../clock/background.ts";
import type { TimerHandle } from "../clock/clock.ts";
import type { CloudContext } from "./context.ts";

/** On an instant clock, how long the heartbeat outlives the last use of the cloud when nothing else waits. */
const IDLE_AFTER_MS = 60 * 60_000;

export interface TickSubscriber {
  /** Lower runs first: traffic 10, health checks 20, alarms 30. */
  order: number;
  active(): boolean;
  tick(now: number): void | Promise<void>;
}

export class Ticker {
  private readonly ctx: CloudContext;
  private readonly subscribers: TickSubscriber[] = [];
  private timer: TimerHandle | undefined;
  private closed = false;
  private lastActivity = Number.NEGATIVE_INFINITY;

  constructor(ctx: CloudContext) {
    this.ctx = ctx;
  }

  subscribe(subscriber: TickSubscriber): void {
    this.subscribers.push(subscriber);
    this.subscribers.sort((a, b) => a.order - b.order);
  }

  /**
   * Something used the cloud (an API call, a Kubernetes request, a fault): keep ticking. A use by
   * background work (a scheduled run) does not count: it would keep an idle instant clock going.
   */
  poke(): void {
    if (inBackground()) return;
    this.lastActivity = this.ctx.clock.now();
    this.wake();
  }

  /** Starts ticking if anything is active (idempotent). */
  wake(): void {
    if (this.timer || this.closed || !this.subscribers.some((s) => s.active())) return;
    const period = this.ctx.durations.metricsTick;
    const next = (Math.floor(this.ctx.clock.now() / period) + 1) * period;
    this.timer = this.ctx.clock.setTimerAt(next, () => {
      this.timer = undefined;
      void this.ctx.track(this.run(next));
    });
  }

  private async run(now: number): Promise<void> {
    for (const subscriber of this.subscribers) {
      if (subscriber.active()) await subscriber.tick(now);
    }
    // On an instant clock the heartbeat alone must not keep time running forever: once nothing else
    // waits on the clock (a Wait state, a lifecycle, a schedule) and nobody has used the cloud for an
    // hour of virtual time, it pauses until the next call, Kubernetes request or fault change.
    if (this.ctx.clock.mode.kind === "instant") {
      // Let continuations of timers that fired at the same instant schedule their next timers first.
      await new Promise((resolve) => setImmediate(resolve));
      const idle = this.ctx.clock.now() - this.lastActivity > IDLE_AFTER_MS;
      // Background timers (daily backups, schedules) never count: they recur forever, and would keep
      // the heartbeat, and with it the clock, running through the days of an idle runtime.
      if (idle && this.ctx.clock.pendingForegroundTimers() === 0) return;
    }
    this.wake();
  }

  /** Runs one tick now (tests, `cplane cloud tick`). */
  async tickNow(): Promise<void> {
    await this.run(this.ctx.clock.now());
  }

  close(): void {
    this.closed = true;
    this.timer?.cancel();
    this.timer = undefined;
  }
}
