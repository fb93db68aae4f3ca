/**
 * What every emulated service shares: the clock, the two regions, the account, default durations,
 * the event sink, and the job table through which lifecycles are scheduled on the clock. Jobs are
 * data (kind, due time, JSON arguments), so that pending lifecycles survive `save()`/`load()`.
 */

import { randomBytes } from "node:crypto";
import type { EventEnvelope } from "../bus/bus.ts";
import type { Clock, TimerHandle } from "../clock/clock.ts";
import type { ChangeTokens } from "./changes.ts";

export interface Regions {
  readonly primary: string;
  readonly secondary: string;
}

/** Simulated durations in milliseconds of virtual time; every one can be overridden. */
export interface Durations {
  auroraClusterCreate: number;
  auroraInitialBackup: number;
  auroraInstanceCreate: number;
  auroraClusterDelete: number;
  auroraInstanceDelete: number;
  auroraModify: number;
  clusterSnapshot: number;
  snapshotCopy: number;
  restoreFromSnapshot: number;
  globalSwitchover: number;
  globalFailover: number;
  /** Lag with which a global database's secondary applies the primary's writes. */
  replicationLag: number;
  /** Interval between automated snapshots (AWS: daily). */
  automatedBackupInterval: number;
  secretDeletionCheck: number;
  eksClusterCreate: number;
  eksClusterDelete: number;
  nodegroupCreate: number;
  nodegroupDelete: number;
  /** Time for one node to join (or leave) while a node group scales. */
  nodeScaleStep: number;
  /** Time for one pod of a Deployment to become ready during a rollout. */
  podReady: number;
  namespaceTermination: number;
  route53Propagation: number;
  /** Period of alarm evaluation, health checks and traffic metrics. */
  metricsTick: number;
}

export const DEFAULT_DURATIONS: Durations = {
  auroraClusterCreate: 8 * 60_000,
  auroraInitialBackup: 2 * 60_000,
  auroraInstanceCreate: 7 * 60_000,
  auroraClusterDelete: 3 * 60_000,
  auroraInstanceDelete: 4 * 60_000,
  auroraModify: 60_000,
  clusterSnapshot: 4 * 60_000,
  snapshotCopy: 6 * 60_000,
  restoreFromSnapshot: 12 * 60_000,
  globalSwitchover: 2 * 60_000,
  globalFailover: 90_000,
  replicationLag: 1_000,
  automatedBackupInterval: 24 * 60 * 60_000,
  secretDeletionCheck: 60 * 60_000,
  eksClusterCreate: 10 * 60_000,
  eksClusterDelete: 6 * 60_000,
  nodegroupCreate: 4 * 60_000,
  nodegroupDelete: 3 * 60_000,
  nodeScaleStep: 90_000,
  podReady: 15_000,
  namespaceTermination: 5_000,
  route53Propagation: 60_000,
  metricsTick: 60_000,
};

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface Job {
  id: string;
  kind: string;
  due: number;
  args: Json;
}

export type JobHandler = (args: Json) => void | Promise<void>;

/** Cloud-wide event sink: receives full EventBridge envelopes (`source`, `detail-type`, `detail`, ...). */
export type EmitEvent = (event: CloudEvent) => void | Promise<void>;

/** An event the cloud emits, in EventBridge's envelope (the bus's own type: one shape on both sides). */
export type CloudEvent = Omit<EventEnvelope, "replay-name">;

export class Jobs {
  private readonly clock: Clock;
  private readonly track: <T>(work: Promise<T>) => Promise<T>;
  private readonly handlers = new Map<string, JobHandler>();
  private readonly pending = new Map<string, { job: Job; timer: TimerHandle }>();
  private readonly background = new Set<string>();
  private seq = 0;
  /** Errors thrown by job handlers (kept for inspection; a job failing never stops the clock). */
  readonly errors: { job: Job; error: unknown }[] = [];

  /** Told after a job ran (and again when an async one settles): lifecycles are changes worth saving. */
  private readonly ran: () => void;
  /** Runs a job's handler (the cloud marks the services its kind may change around it). */
  private readonly around: (job: Job, run: () => void | Promise<void>) => void | Promise<void>;

  constructor(
    clock: Clock,
    track: <T>(work: Promise<T>) => Promise<T>,
    ran: () => void = () => undefined,
    around: (job: Job, run: () => void | Promise<void>) => void | Promise<void> = (_job, run) => run(),
  ) {
    this.clock = clock;
    this.track = track;
    this.ran = ran;
    this.around = around;
  }

  on(kind: string, handler: JobHandler): void {
    this.handlers.set(kind, handler);
  }

  /**
   * Jobs of this kind recur forever (daily automated backups): they run when time reaches them but
   * never make an instant clock jump on their own, or an idle runtime would spin through the days.
   */
  runInBackground(kind: string): void {
    this.background.add(kind);
  }

  schedule(kind: string, delayMs: number, args: Json = null): string {
    const id = `job-${++this.seq}-${randomBytes(3).toString("hex")}`;
    this.arm({ id, kind, due: this.clock.now() + Math.max(0, delayMs), args });
    return id;
  }

  cancel(id: string): void {
    const entry = this.pending.get(id);
    entry?.timer.cancel();
    this.pending.delete(id);
  }

  /** Cancels every pending job whose kind matches and whose args satisfy `match`. */
  cancelWhere(kind: string, match: (args: Json) => boolean): void {
    for (const [id, { job }] of this.pending) if (job.kind === kind && match(job.args)) this.cancel(id);
  }

  list(): Job[] {
    return [...this.pending.values()].map((entry) => entry.job).sort((a, b) => a.due - b.due);
  }

  /** Re-arms jobs saved by `list()` (after a restart); jobs already due run at once. */
  restore(jobs: readonly Job[]): void {
    for (const job of jobs) this.arm(job);
  }

  clear(): void {
    for (const { timer } of this.pending.values()) timer.cancel();
    this.pending.clear();
  }

  private arm(job: Job): void {
    const options = { background: this.background.has(job.kind) };
    const timer = this.clock.setTimerAt(
      Math.max(job.due, this.clock.now()),
      () => {
        this.pending.delete(job.id);
        const handler = this.handlers.get(job.kind);
        if (!handler) {
          this.errors.push({ job, error: new Error(`no handler for job kind ${job.kind}`) });
          return;
        }
        try {
          const result = this.around(job, () => handler(job.args));
          if (result instanceof Promise) {
            void this.track(result)
              .catch((error: unknown) => this.errors.push({ job, error }))
              .finally(this.ran);
          }
        } catch (error) {
          this.errors.push({ job, error });
        }
        this.ran();
      },
      options,
    );
    this.pending.set(job.id, { job, timer });
  }
}

export interface CloudContext {
  readonly clock: Clock;
  readonly regions: Regions;
  readonly account: string;
  readonly durations: Durations;
  readonly jobs: Jobs;
  emit(event: Omit<CloudEvent, "version" | "id" | "account" | "time"> & { time?: string }): void;
  track<T>(work: Promise<T>): Promise<T>;
  isRegionDown(region: string): boolean;
  regionList(): string[];
  /** Marks use of the cloud (keeps the minute heartbeat going on an instant clock). */
  activity(): void;
  /**
   * Marks a change of state worth saving (a resource created, a Kubernetes object written) where no
   * API call through `send` shows it; the runtime checkpoints soon after.
   */
  changed?(): void;
  /** Change tokens per service, for checkpoints that serialize only what changed (none: always serialize). */
  readonly changes?: ChangeTokens;
}

export function randomId(length: number, alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"): string {
  const bytes = randomBytes(length);
  let out = "";
  for (const byte of bytes) out += alphabet[byte % alphabet.length];
  return out;
}

/** AWS's `YYYY-MM-DDTHH:MM:SSZ` without milliseconds. */
export function isoSeconds(epochMs: number): string {
  return new Date(Math.floor(epochMs / 1000) * 1000).toISOString().replace(".000Z", "Z");
}
