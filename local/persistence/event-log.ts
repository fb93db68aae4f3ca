/**
 * The bus's event log on disk, written at each checkpoint for the cost of what was logged since:
 * `events.json` names the chunk files (`events/`) that hold the events, oldest first, and the first
 * event still retained. Events never change, so each is serialized once; the open chunk (the newest
 * events) is written anew under a new name while it grows, then sealed at `EVENT_CHUNK_BYTES` and
 * never written again. A chunk whose events all fell out of the log's retention is no longer named,
 * and removed once the `events.json` that drops it is on disk.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { EventLog, SequencedEvent } from "../bus/event-log.ts";
import { ChunkedStore, chunkName } from "./chunked-store.ts";

/** A chunk is sealed at this size (bytes of JSON text). */
export const EVENT_CHUNK_BYTES = 512 * 1024;

interface SavedChunk {
  readonly file: string;
  readonly lastSeq: number;
}

interface SavedFile {
  readonly version: 1;
  /** Events with a lower sequence number are no longer retained (they may still be in a chunk). */
  readonly firstSeq: number;
  readonly chunks: readonly SavedChunk[];
}

export class EventLogStore extends ChunkedStore {
  private sealed: SavedChunk[] = [];
  /** The open chunk: serialized events not yet in a sealed chunk. */
  private open: string[] = [];
  private openBytes = 0;
  private openFile: string | undefined;
  /** The highest sequence number captured. */
  private lastSeq = 0;

  constructor(dataDir: string) {
    super(dataDir, "events");
  }

  /** What was saved, oldest first; undefined when nothing was. */
  async load(): Promise<SequencedEvent[] | undefined> {
    let text: string;
    try {
      text = await readFile(this.file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
    const saved = JSON.parse(text) as SavedFile;
    const events: SequencedEvent[] = [];
    for (const chunk of saved.chunks) {
      const entries = JSON.parse(await readFile(join(this.folder, chunk.file), "utf8")) as SequencedEvent[];
      for (const entry of entries) if (entry.seq >= saved.firstSeq) events.push(entry);
    }
    // What was open is sealed now: this store appends to a new chunk.
    this.sealed = [...saved.chunks];
    this.lastSeq = Math.max(0, ...saved.chunks.map((c) => c.lastSeq));
    return events;
  }

  /**
   * Takes what the log gained since the last capture (synchronously) and returns the write to run
   * after: new chunk files, then `events.json`, then the removal of files it no longer names.
   * Resolves with the bytes written.
   */
  capture(log: EventLog): () => Promise<number> {
    const fresh = log.since(this.lastSeq);
    const firstSeq = log.firstSeq;
    const toWrite: { file: string; text: string }[] = [];
    for (const entry of fresh) {
      const text = JSON.stringify(entry);
      this.open.push(text);
      this.openBytes += text.length;
      this.lastSeq = entry.seq;
      if (this.openBytes >= EVENT_CHUNK_BYTES) {
        const file = chunkName();
        toWrite.push({ file, text: `[${this.open.join(",")}]` });
        this.sealed.push({ file, lastSeq: this.lastSeq });
        this.open = [];
        this.openBytes = 0;
        this.openFile = undefined;
      }
    }
    if (this.open.length > 0 && (fresh.length > 0 || this.openFile === undefined)) {
      this.openFile = chunkName();
      toWrite.push({ file: this.openFile, text: `[${this.open.join(",")}]` });
    }
    // Chunks whose every event left the log.
    this.sealed = this.sealed.filter((chunk) => chunk.lastSeq >= firstSeq);
    if (this.open.length === 0) this.openFile = undefined;
    const chunks = [
      ...this.sealed,
      ...(this.openFile ? [{ file: this.openFile, lastSeq: this.lastSeq }] : []),
    ];
    const document: SavedFile = { version: 1, firstSeq, chunks };
    const named = new Set(chunks.map((c) => c.file));
    return this.commitLater(() => toWrite, JSON.stringify(document), named);
  }

  protected forget(): void {
    this.sealed = [];
    this.open = [];
    this.openBytes = 0;
    this.openFile = undefined;
    this.lastSeq = 0;
  }
}
