/**
 * An append-only journal of what the runtime acknowledged between two checkpoints, so that a crash
 * loses nothing it answered: a record is on disk (its write data-synchronous) before `append` resolves,
 * and the caller answers only then.
 *
 * Group commit: one synchronous write carries every record appended while the previous one was
 * in flight, so concurrent requests share the cost of a sync instead of queueing one sync each.
 *
 * Records go to segment files `journal/<first lsn>.log`, one JSON object a line, each with a log
 * sequence number (`lsn`) that only grows, across restarts too. A checkpoint `rotate`s (later records
 * go to a new segment) when it takes the state, and `cover`s once that state is on disk: `covered.json`
 * then says which records the saved state includes, and the segments it includes whole are deleted.
 * `open` gives back the records the saved state does not include, oldest first, to be applied again.
 */
import { constants } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { mkdir, open, readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { syncDirectory, writeAtomically } from "./files.ts";

export class CorruptJournalError extends Error {
  override name = "CorruptJournalError";
}

export class JournalClosedError extends Error {
  override name = "JournalClosedError";
}

/** A record as `open` gives it back. */
export type Journaled<T> = T & { readonly lsn: number };

export interface JournalStatus {
  /** Records appended since this journal opened. */
  readonly appended: number;
  /** Writes (each with its sync) since this journal opened: `appended / syncs` is the group size. */
  readonly syncs: number;
  /** The highest lsn the saved state includes. */
  readonly covered: number;
  /** Segment files on disk or being written. */
  readonly segments: number;
}

interface Segment {
  readonly file: string;
  lastLsn: number;
  /** Records queued for or being written to this segment. */
  pending: number;
  handle?: Promise<FileHandle>;
  /** No more records go here (rotated, or a write to it failed). */
  sealed: boolean;
  retired: boolean;
}

interface Queued {
  readonly segment: Segment;
  readonly line: string;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

const SEGMENT = /^(\d{16})\.log$/;
/**
 * Segments are opened for data-synchronous appends where the platform has them: each write returns
 * once its data is on disk, one call instead of a write and an fdatasync.
 */
const DSYNC = constants.O_DSYNC;
const APPEND_FLAGS =
  DSYNC === undefined ? "a" : constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | DSYNC;
const segmentName = (firstLsn: number) => `${String(firstLsn).padStart(16, "0")}.log`;

export class Journal<T extends object> {
  readonly dir: string;
  private readonly segments: Segment[] = [];
  private current: Segment | undefined;
  private lastLsn: number;
  private covered: number;
  private queue: Queued[] = [];
  private flushing: Promise<void> | undefined;
  private retiring: Promise<void> = Promise.resolve();
  private closed = false;
  private appended = 0;
  private syncs = 0;

  private constructor(dir: string, lastLsn: number, covered: number) {
    this.dir = dir;
    this.lastLsn = lastLsn;
    this.covered = covered;
  }

  /**
   * Opens the journal in `dir` (created when missing): the records after the last `cover`, oldest
   * first, and the journal to append to. Appends go to new segments; the old ones go once covered.
   * A line cut short at the end of a segment (a crash during its write, never acknowledged) is
   * ignored; any other line that cannot be read is a `CorruptJournalError`.
   */
  static async open<T extends object>(
    dir: string,
  ): Promise<{ journal: Journal<T>; records: Journaled<T>[] }> {
    await mkdir(dir, { recursive: true });
    const covered = await readCovered(join(dir, "covered.json"));
    const names = (await readdir(dir)).filter((name) => SEGMENT.test(name)).sort();
    const records: Journaled<T>[] = [];
    const segments: Segment[] = [];
    let lastLsn = covered;
    for (const name of names) {
      const file = join(dir, name);
      const lines = (await readFile(file, "utf8")).split("\n");
      // The text after the last newline is a line cut short, or nothing.
      lines.pop();
      let segmentLast = 0;
      for (const [index, line] of lines.entries()) {
        let record: Journaled<T>;
        try {
          record = JSON.parse(line) as Journaled<T>;
        } catch (error) {
          throw new CorruptJournalError(
            `journal segment ${file} line ${index + 1} cannot be read (${(error as Error).message}); start with --fresh or run cplane reset`,
            { cause: error },
          );
        }
        if (typeof record.lsn !== "number") {
          throw new CorruptJournalError(`journal segment ${file} line ${index + 1} has no lsn`);
        }
        segmentLast = Math.max(segmentLast, record.lsn);
        if (record.lsn > covered) records.push(record);
      }
      lastLsn = Math.max(lastLsn, segmentLast);
      segments.push({ file, lastLsn: segmentLast, pending: 0, sealed: true, retired: false });
    }
    records.sort((a, b) => a.lsn - b.lsn);
    const journal = new Journal<T>(dir, lastLsn, covered);
    journal.segments.push(...segments);
    journal.retire();
    return { journal, records };
  }

  /** Appends a record; resolves once it is on disk. Its lsn is taken now, in call order. */
  append(record: T): Promise<void> {
    if (this.closed) return Promise.reject(new JournalClosedError("the journal is closed"));
    const lsn = ++this.lastLsn;
    let segment = this.current;
    if (!segment) {
      segment = {
        file: join(this.dir, segmentName(lsn)),
        lastLsn: lsn,
        pending: 0,
        sealed: false,
        retired: false,
      };
      this.segments.push(segment);
      this.current = segment;
    }
    segment.lastLsn = lsn;
    segment.pending++;
    this.appended++;
    const line = `${JSON.stringify({ lsn, ...record })}\n`;
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ segment, line, resolve, reject });
      this.kick();
    });
  }

  private kick(): void {
    if (this.flushing) return;
    this.flushing = this.flush().finally(() => {
      this.flushing = undefined;
      // Appended after the last batch was taken but before this flush returned.
      if (this.queue.length > 0) this.kick();
    });
  }

  /**
   * The state is being taken now: returns the lsn of the last record appended (the state includes
   * what it records, since a record is appended after what it records was done), and sends later
   * records to a new segment. Give it to `cover` once that state is on disk.
   */
  rotate(): number {
    if (this.current) this.current.sealed = true;
    this.current = undefined;
    return this.lastLsn;
  }

  /** The state that includes every record up to `lsn` is on disk: those records are no longer needed. */
  async cover(lsn: number): Promise<void> {
    if (lsn > this.covered) {
      await writeAtomically(join(this.dir, "covered.json"), JSON.stringify({ lsn }));
      this.covered = lsn;
    }
    await this.retire();
  }

  /** Waits for the writes in flight; appends after this fail with `JournalClosedError`. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.flushing) await this.flushing;
    await this.retire();
    for (const segment of this.segments) {
      const handle = segment.handle;
      segment.handle = undefined;
      if (handle) await closeIfOpened(handle);
    }
  }

  get status(): JournalStatus {
    return {
      appended: this.appended,
      syncs: this.syncs,
      covered: this.covered,
      segments: this.segments.filter((s) => !s.retired).length,
    };
  }

  /** Writes what is queued, a batch at a time (one write and one sync per segment in the batch). */
  private async flush(): Promise<void> {
    // Records appended in the same turn of the event loop join the first batch.
    await Promise.resolve();
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      const bySegment = new Map<Segment, Queued[]>();
      for (const item of batch) {
        const group = bySegment.get(item.segment);
        if (group) group.push(item);
        else bySegment.set(item.segment, [item]);
      }
      for (const [segment, items] of bySegment) {
        try {
          const handle = await this.handleOf(segment);
          await handle.write(items.map((item) => item.line).join(""));
          if (DSYNC === undefined) await handle.datasync();
          this.syncs++;
          for (const item of items) item.resolve();
        } catch (error) {
          // What reached the file may end in half a line: later records go to a new segment, so
          // that such a line can only be the last of its file (which `open` ignores).
          segment.sealed = true;
          if (this.current === segment) this.current = undefined;
          for (const item of items) item.reject(error);
        } finally {
          segment.pending -= items.length;
        }
      }
      void this.retire();
    }
  }

  private handleOf(segment: Segment): Promise<FileHandle> {
    segment.handle ??= (async () => {
      const handle = await open(segment.file, APPEND_FLAGS);
      // The new file's name must survive a crash of the machine, not only its content.
      await syncDirectory(this.dir);
      return handle;
    })();
    return segment.handle;
  }

  /** Deletes the segments the saved state includes whole and nothing still writes to. */
  private retire(): Promise<void> {
    const done = this.segments.filter(
      (s) => s.sealed && !s.retired && s.pending === 0 && s.lastLsn <= this.covered,
    );
    for (const segment of done) segment.retired = true;
    if (done.length === 0) return this.retiring;
    this.retiring = this.retiring.then(async () => {
      for (const segment of done) {
        const handle = segment.handle;
        segment.handle = undefined;
        if (handle) await closeIfOpened(handle);
        await rm(segment.file, { force: true });
      }
      const index = this.segments.findIndex((s) => !s.retired);
      this.segments.splice(0, index === -1 ? this.segments.length : index);
    });
    return this.retiring;
  }
}

async function readCovered(file: string): Promise<number> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw error;
  }
  try {
    const { lsn } = JSON.parse(text) as { lsn: unknown };
    if (typeof lsn === "number" && Number.isInteger(lsn) && lsn >= 0) return lsn;
    throw new Error(`lsn is ${JSON.stringify(lsn)}`);
  } catch (error) {
    throw new CorruptJournalError(`${file} cannot be read (${(error as Error).message})`, { cause: error });
  }
}

/**
 * Closes a segment's file if it was opened. A failed open has nothing to close, and its error is not
 * lost here: every append that waited on the handle was refused with it, and answered as refused.
 */
async function closeIfOpened(handle: Promise<{ close(): Promise<void> }>): Promise<void> {
  const opened = await handle.catch(() => undefined);
  await opened?.close();
}
