/**
 * The cloud's heartbeat: every `metricsTick` of virtual time (aligned to the minute) traffic publishes
 * its metrics, health checks probe their regions, and alarms are evaluated, in that order. It runs only
 * while something needs it, so that an instant clock with nothing to watch stays idle.
 */
import type { TimerHandle } from "../clock/clock.ts";
import type { CloudContext } from "./context.ts";

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

  constructor(ctx: CloudContext) {
    this.ctx = ctx;
  }

  subscribe(subscriber: TickSubscriber): void {
    this.subscribers.push(subscriber);
    this.subscribers.sort((a, b) => a.order - b.order);
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
