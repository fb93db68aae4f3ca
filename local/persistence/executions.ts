/**
 * Executions on disk, written often and cheaply: `executions.json` holds the running executions and
 * names the chunk files (`executions/`) that hold the finished ones. A finished execution does not
 * change (until a redrive), so it is serialized once and written once, into the open chunk; a chunk
 * that reaches `CHUNK_BYTES` is sealed and never written again. A checkpoint therefore costs the
 * running executions, the ones that finished since the last checkpoint and the open chunk, not the
 * whole retained history.
 *
 * An execution that leaves a sealed chunk (redriven, or forgotten beyond the engine's retention) is
 * listed as dead there; a chunk mostly dead is folded into the open chunk. Files are only ever
 * replaced under new names, so the `executions.json` on disk always names complete files, and files
 * it no longer names are removed after it is replaced.
 *
 * The older format (a bare array of executions) is read as well.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { SavedExecution } from "../engine/engine.ts";
import { ChunkedStore, chunkName } from "./chunked-store.ts";

/** A chunk is sealed at this size (bytes of JSON text). */
export const CHUNK_BYTES = 4 * 2 ** 20;

/** What the store needs of the engine. */
export interface ExecutionSource {
  executionStamps(): { arn: string; stamp: string; running: boolean }[];
  exportExecutionJson(executionArn: string): string;
}

interface SavedFile {
  readonly version: 2;
  readonly chunks: { readonly file: string; readonly dead: readonly string[] }[];
  readonly executions: SavedExecution[];
}

interface Chunk {
  file: string;
  readonly arns: Set<string>;
  readonly dead: Set<string>;
}

interface Entry {
  readonly stamp: string;
  readonly text: string;
}

const stampOf = (e: SavedExecution) => `${e.status}:${e.history.types.length}:${e.redriveCount}`;

export class ExecutionStore extends ChunkedStore {
  /** Sealed chunks, oldest first. */
  private sealed: Chunk[] = [];
  /** Finished executions in sealed chunks: their stamp and chunk. */
  private readonly located = new Map<string, { stamp: string; chunk: Chunk }>();
  /** The open chunk: finished executions written since the last seal, with their text. */
  private open = new Map<string, Entry>();
  private openBytes = 0;
  /** The open chunk's file as last written (undefined while it holds nothing on disk). */
  private openFile: string | undefined;
  /** The open chunk changed since its file was written. */
  private openChanged = false;

  constructor(dataDir: string) {
    super(dataDir, "executions");
  }

  /** What was saved, undefined when nothing was. Either format; the store learns where each finished one is. */
  async load(): Promise<SavedExecution[] | undefined> {
    let text: string;
    try {
      text = await readFile(this.file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
    const saved = JSON.parse(text) as SavedExecution[] | SavedFile;
    if (Array.isArray(saved)) return saved;
    const byArn = new Map<string, SavedExecution>();
    for (const { file, dead } of saved.chunks) {
      const entries = JSON.parse(await readFile(join(this.folder, file), "utf8")) as SavedExecution[];
      const chunk: Chunk = { file, arns: new Set(entries.map((e) => e.arn)), dead: new Set(dead) };
      this.sealed.push(chunk);
      for (const entry of entries) {
        if (chunk.dead.has(entry.arn)) continue;
        byArn.set(entry.arn, entry);
        this.located.set(entry.arn, { stamp: stampOf(entry), chunk });
      }
    }
    for (const entry of saved.executions) byArn.set(entry.arn, entry);
    return [...byArn.values()];
  }

  /**
   * Takes the executions now (synchronously) and returns the write to run after: new chunk files,
   * then `executions.json`, then the removal of files it no longer names. Resolves with the bytes
   * of `executions.json`. Captures run one at a time: the next one after the last write settled.
   */
  capture(source: ExecutionSource): () => Promise<number> {
    const running: string[] = [];
    const stamps = source.executionStamps();
    const present = new Set<string>();
    const fresh: [string, Entry][] = [];
    for (const { arn, stamp, running: isRunning } of stamps) {
      present.add(arn);
      if (isRunning) {
        this.leave(arn);
        running.push(source.exportExecutionJson(arn));
        continue;
      }
      if (this.located.get(arn)?.stamp === stamp || this.open.get(arn)?.stamp === stamp) continue;
      this.leave(arn);
      fresh.push([arn, { stamp, text: source.exportExecutionJson(arn) }]);
    }
    for (const arn of [...this.located.keys(), ...this.open.keys()]) if (!present.has(arn)) this.leave(arn);
    // A sealed chunk mostly dead is folded into the open one: its live executions are written again.
    for (const chunk of this.sealed) {
      if (chunk.dead.size * 2 <= chunk.arns.size) continue;
      for (const arn of chunk.arns) {
        if (chunk.dead.has(arn)) continue;
        const stamp = this.located.get(arn)?.stamp ?? "";
        this.located.delete(arn);
        fresh.push([arn, { stamp, text: source.exportExecutionJson(arn) }]);
      }
      chunk.dead.clear();
      chunk.arns.clear();
    }
    this.sealed = this.sealed.filter((chunk) => chunk.arns.size > 0);

    // The open chunk takes the fresh ones; each time it is full it is sealed.
    const toWrite: { chunk: Chunk; texts: string[] }[] = [];
    const seal = () => {
      const chunk: Chunk = { file: chunkName(), arns: new Set(this.open.keys()), dead: new Set() };
      toWrite.push({ chunk, texts: [...this.open.values()].map((e) => e.text) });
      for (const [arn, { stamp }] of this.open) this.located.set(arn, { stamp, chunk });
      this.sealed.push(chunk);
      this.open = new Map();
      this.openBytes = 0;
      this.openFile = undefined;
      this.openChanged = false;
    };
    for (const [arn, entry] of fresh) {
      this.open.set(arn, entry);
      this.openBytes += entry.text.length;
      this.openChanged = true;
      if (this.openBytes >= CHUNK_BYTES) seal();
    }
    if (this.open.size === 0) this.openFile = undefined;
    else if (this.openChanged || this.openFile === undefined) {
      this.openFile = chunkName();
      toWrite.push({
        chunk: { file: this.openFile, arns: new Set(this.open.keys()), dead: new Set() },
        texts: [...this.open.values()].map((e) => e.text),
      });
    }
    this.openChanged = false;
    const chunks = [
      ...this.sealed.map((c) => ({ file: c.file, dead: [...c.dead] })),
      ...(this.openFile ? [{ file: this.openFile, dead: [] }] : []),
    ];
    const document = `{"version":2,"chunks":${JSON.stringify(chunks)},"executions":[${running.join(",")}]}`;
    const named = new Set(chunks.map((c) => c.file));

    return this.commitLater(
      () => toWrite.map(({ chunk, texts }) => ({ file: chunk.file, text: `[${texts.join(",")}]` })),
      document,
      named,
    );
  }

  protected forget(): void {
    this.sealed = [];
    this.located.clear();
    this.open = new Map();
    this.openBytes = 0;
    this.openFile = undefined;
    this.openChanged = false;
  }

  /** The execution is no longer where it was written (it runs again, changed, or was forgotten). */
  private leave(arn: string): void {
    const at = this.located.get(arn);
    if (at) {
      at.chunk.dead.add(arn);
      this.located.delete(arn);
    }
    const open = this.open.get(arn);
    if (open) {
      this.open.delete(arn);
      this.openBytes -= open.text.length;
      this.openChanged = true;
    }
  }
}
