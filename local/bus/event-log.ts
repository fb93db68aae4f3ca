/**
 * The bus's event log: every event the local EventBridge ingested, oldest first, within a stated
 * retention (a count and an age on the virtual clock; the older go first). Each event carries a
 * sequence number that only grows, so that a store can ask for what was logged since it last looked,
 * and by which the log is saved and restored across restarts.
 */
import type { EventEnvelope } from "./bus.ts";

export interface LoggedEvent {
  readonly busName: string;
  readonly ingestedAt: number;
  readonly event: EventEnvelope;
}

/** A logged event and its place in the log. */
export interface SequencedEvent extends LoggedEvent {
  readonly seq: number;
}

export interface EventLogRetention {
  /** Events kept at most (the oldest dropped first). */
  readonly count: number;
  /** Simulated milliseconds an event is kept after its ingestion. */
  readonly maxAgeMs: number;
}

export const DEFAULT_EVENT_LOG_RETENTION: EventLogRetention = {
  count: 10_000,
  maxAgeMs: 7 * 24 * 3_600_000,
};

export class InvalidEventLogRetentionError extends Error {
  override name = "InvalidEventLogRetentionError";
}

export class EventLog {
  readonly retention: EventLogRetention;
  private readonly now: () => number;
  private entries: SequencedEvent[] = [];
  /** Index of the first retained entry (entries before it are dropped lazily, in bulk). */
  private head = 0;
  private readonly byId = new Map<string, SequencedEvent>();
  private nextSeq = 1;

  constructor(now: () => number, retention: Partial<EventLogRetention> = {}) {
    const full = { ...DEFAULT_EVENT_LOG_RETENTION, ...retention };
    if (!Number.isInteger(full.count) || full.count < 1) {
      throw new InvalidEventLogRetentionError(
        `event log count must be a positive integer; got ${full.count}`,
      );
    }
    if (!(full.maxAgeMs > 0)) {
      throw new InvalidEventLogRetentionError(`event log maxAgeMs must be positive; got ${full.maxAgeMs}`);
    }
    this.retention = full;
    this.now = now;
  }

  /** Logs an event (a new sequence number); drops what falls out of the retention. */
  append(logged: LoggedEvent): SequencedEvent {
    const entry: SequencedEvent = { ...logged, seq: this.nextSeq++ };
    this.entries.push(entry);
    this.byId.set(entry.event.id, entry);
    this.trim();
    return entry;
  }

  /** The retained events, oldest first. */
  all(): readonly SequencedEvent[] {
    this.trim();
    return this.head === 0 ? this.entries : this.entries.slice(this.head);
  }

  /** How many events are retained. */
  get size(): number {
    this.trim();
    return this.entries.length - this.head;
  }

  /** The retained event with this id, if any. */
  get(id: string): SequencedEvent | undefined {
    return this.byId.get(id);
  }

  /** Retained events logged after `seq`, oldest first. */
  since(seq: number): SequencedEvent[] {
    this.trim();
    // Sequence numbers grow by one, except across a restore; search from the end.
    let i = this.entries.length;
    while (i > this.head && (this.entries[i - 1] as SequencedEvent).seq > seq) i--;
    return this.entries.slice(i);
  }

  /** The sequence number of the oldest retained event (the next one's when the log is empty). */
  get firstSeq(): number {
    this.trim();
    return (this.entries[this.head] as SequencedEvent | undefined)?.seq ?? this.nextSeq;
  }

  /** Takes back saved events (oldest first), replacing what the log holds; numbering continues after them. */
  restore(saved: readonly SequencedEvent[]): void {
    this.entries = [...saved];
    this.head = 0;
    this.byId.clear();
    for (const entry of this.entries) this.byId.set(entry.event.id, entry);
    this.nextSeq = Math.max(1, ...saved.map((e) => e.seq + 1));
    this.trim();
  }

  private trim(): void {
    const oldest = this.now() - this.retention.maxAgeMs;
    const end = this.entries.length;
    let head = this.head;
    while (
      head < end &&
      (end - head > this.retention.count || (this.entries[head] as SequencedEvent).ingestedAt < oldest)
    ) {
      this.byId.delete((this.entries[head] as SequencedEvent).event.id);
      head++;
    }
    this.head = head;
    // Dropped entries are released in bulk, so that a full log costs O(1) per event.
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }
}
