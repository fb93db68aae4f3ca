/**
 * What the saved event log and the saved executions share: an index file (`<name>.json`) naming chunk
 * files under `<name>/`, committed by `commitChunked` (chunks first, then the index, then the removal
 * of chunks it no longer names), and a store that, when a commit fails, forgets what it believed was
 * on disk so that its next capture writes everything anew.
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { commitChunked } from "./files.ts";

let names = 0;
/** A chunk file name no other chunk of this process or another has. */
export const chunkName = () => `${Date.now().toString(36)}-${process.pid}-${(++names).toString(36)}.json`;

export interface ChunkText {
  readonly file: string;
  readonly text: string;
}

export abstract class ChunkedStore {
  readonly file: string;
  protected readonly folder: string;

  constructor(dataDir: string, name: string) {
    this.file = join(dataDir, `${name}.json`);
    this.folder = join(dataDir, name);
  }

  /** Removes everything saved (a fresh start). */
  async remove(): Promise<void> {
    this.forget();
    await rm(this.file, { force: true });
    await rm(this.folder, { recursive: true, force: true });
  }

  /** The write of a capture, to run later (off the capture's moment); resolves with the bytes written. */
  protected commitLater(
    chunks: () => readonly ChunkText[],
    document: string,
    named: ReadonlySet<string>,
  ): () => Promise<number> {
    return async () => {
      try {
        return await commitChunked(this.folder, this.file, chunks(), document, named);
      } catch (error) {
        // What this store believes is on disk may not be: the next capture writes everything anew
        // (the files the index last written names stay until one replaces it).
        this.forget();
        throw error;
      }
    };
  }

  /** Drops what the store believes is on disk. */
  protected abstract forget(): void;
}
