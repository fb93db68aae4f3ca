/**
 * A database image: one cluster's data directory as `dumpDataDir("gzip")` wrote it, immutable once
 * made. Snapshots, their copies, restores and closed databases hold images by reference, so that
 * data that is the same is stored once (copy-on-write: a database that changes gets a new image, the
 * old one is left to whoever still refers to it). An image lives in memory until it is stored in a
 * file, which frees the memory; it is read back only when a database opens from it.
 */
import { readFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { writeAtomically } from "../persistence/files.ts";
import { randomId } from "./context.ts";

export class Image {
  private blob: Blob | undefined;
  private path: string | undefined;
  private writing: Promise<string> | undefined;
  /** The file being written, while it is. */
  storing: string | undefined;
  /** Bytes of the gzip'd data directory. */
  readonly size: number;

  private constructor(blob: Blob | undefined, path: string | undefined, size: number) {
    this.blob = blob;
    this.path = path;
    this.size = size;
  }

  static inMemory(blob: Blob): Image {
    return new Image(blob, undefined, blob.size);
  }

  /** An image already on disk (a saved state's), read only when needed. */
  static inFile(path: string, size = 0): Image {
    return new Image(undefined, path, size);
  }

  /** The file holding the image, once stored. */
  get file(): string | undefined {
    return this.path;
  }

  async data(): Promise<Blob> {
    if (this.blob) return this.blob;
    if (!this.path) throw new Error("a database image has neither data nor a file");
    return new Blob([await readFile(this.path)]);
  }

  /**
   * Makes sure the image is in a file of `folder` and frees its memory; returns the file's name.
   * Stored once: an image already there is not written again, whoever asks.
   */
  storeIn(folder: string): Promise<string> {
    if (this.path && dirname(this.path) === folder) return Promise.resolve(basename(this.path));
    if (!this.writing) {
      const name = `${randomId(16)}.tar.gz`;
      const path = join(folder, name);
      this.storing = path;
      this.writing = this.data()
        .then(async (data) => writeAtomically(path, new Uint8Array(await data.arrayBuffer())))
        .then(() => {
          this.path = path;
          this.blob = undefined;
          return name;
        })
        .finally(() => {
          this.writing = undefined;
          this.storing = undefined;
        });
    }
    return this.writing;
  }
}
