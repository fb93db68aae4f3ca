/**
 * Files the runtime keeps under its data directory are replaced whole: written to a temporary file,
 * flushed to disk, renamed over the old one. A crash (of the process or of the machine) leaves the
 * old file or the new one, never half of either.
 */
import { mkdir, open, readdir, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";

/** `<file>.<pid>.tmp`, or `<file>.<pid>.<random>.tmp` (the lock's). */
const TEMPORARY = /\.(\d+)(?:\.[0-9a-f]+)?\.tmp$/;

/** Writes `data` to `file` atomically; returns the bytes written. */
export async function writeAtomically(
  file: string,
  data: string | Uint8Array | readonly (string | Uint8Array)[],
): Promise<number> {
  const dir = dirname(file);
  await mkdir(dir, { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  // Pieces are written one after another, never joined into one copy of the whole.
  const pieces = typeof data === "string" ? [Buffer.from(data)] : data instanceof Uint8Array ? [data] : data;
  let written = 0;
  const handle = await open(temporary, "w");
  try {
    for (const piece of pieces) {
      const bytes = typeof piece === "string" ? Buffer.from(piece) : piece;
      await handle.writeFile(bytes);
      written += bytes.byteLength;
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, file);
  await syncDirectory(dir);
  return written;
}

/** Makes a rename in `dir` durable; file systems that cannot sync a directory are left as they are. */
export async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Not every platform opens or syncs directories; the rename itself is atomic either way.
  }
}

/**
 * Deletes temporary files that a process other than this one left in `dir` (one that crashed
 * mid-write). Only for a directory this process holds the lock of.
 */
export async function removeLeftoverTemporaries(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = TEMPORARY.exec(name)?.[1];
    if (pid === undefined || Number(pid) === process.pid) continue;
    await rm(join(dir, name), { force: true });
    removed.push(name);
  }
  return removed;
}

/**
 * Removes the files of `folder` not in `keep` (a saved state no longer names them), leaving this process's
 * writes in flight alone. A missing folder has nothing to remove. `keep` may be asked for once the
 * folder is listed, so that a file written meanwhile by something that refers to it is kept.
 */
export async function removeUnreferenced(
  folder: string,
  keep: ReadonlySet<string> | (() => ReadonlySet<string> | Promise<ReadonlySet<string>>),
): Promise<void> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch {
    return;
  }
  const kept = typeof keep === "function" ? await keep() : keep;
  for (const name of names) {
    if (kept.has(name) || name.endsWith(`.${process.pid}.tmp`)) continue;
    await rm(join(folder, name), { force: true });
  }
}

/**
 * Commits a store kept as chunk files plus an index that names them: the new chunks first, then the
 * index (atomically), then the removal of chunks it no longer names. A crash at any point leaves an
 * index whose chunks all exist. Resolves with the bytes written.
 */
export async function commitChunked(
  folder: string,
  index: string,
  chunks: readonly { readonly file: string; readonly text: string }[],
  document: string,
  named: ReadonlySet<string>,
): Promise<number> {
  let bytes = 0;
  if (chunks.length > 0) await mkdir(folder, { recursive: true });
  for (const { file, text } of chunks) bytes += await writeAtomically(join(folder, file), text);
  bytes += await writeAtomically(index, document);
  await removeUnreferenced(folder, named);
  return bytes;
}
