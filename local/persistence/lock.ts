/**
 * One runtime per data directory. A runtime holds `<dataDir>/runtime.lock` (its pid, when and where
 * it started) from its start to the end of its stop; a second runtime on the same directory is
 * refused with `DataDirLockedError` while the holder lives. A lock whose holder is gone (a crash, a
 * `kill -9`, a reboot) is stale and the next start takes it over, and knows that way that the last
 * run did not stop cleanly.
 *
 * This is what keeps an execution from being redriven twice: two runtimes never load, redrive and
 * checkpoint the same saved executions at once.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { link, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";

export const LOCK_FILE = "runtime.lock";

/** Who holds a data directory. */
export interface LockHolder {
  readonly pid: number;
  /** Wall-clock start of the holder, ISO 8601. */
  readonly startedAt: string;
  readonly hostname: string;
  /** Linux: the boot the holder ran in (a lock from an earlier boot is stale whatever its pid). */
  readonly bootId?: string;
  /** Linux: the holder's start time in clock ticks since boot (tells a reused pid from the holder). */
  readonly processStart?: string;
  /** Tells two holders in one process apart. */
  readonly token: string;
}

export class DataDirLockedError extends Error {
  override name = "DataDirLockedError";
  readonly holder: LockHolder | undefined;

  constructor(message: string, holder?: LockHolder) {
    super(message);
    this.holder = holder;
  }
}

export interface DataDirLock {
  readonly file: string;
  readonly holder: LockHolder;
  /** The holder of the stale lock this one replaced: a runtime that ended without a clean stop. */
  readonly tookOverFrom?: LockHolder;
  /** Removes the lock if it is still this one's. */
  release(): Promise<void>;
}

function readProc(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

function currentBootId(): string | undefined {
  return readProc("/proc/sys/kernel/random/boot_id")?.trim() || undefined;
}

/** Fields 3 on of /proc/<pid>/stat (after the command name, which may hold spaces and parentheses). */
function statFields(pid: number): string[] | undefined {
  const stat = readProc(`/proc/${pid}/stat`);
  return stat ? stat.slice(stat.lastIndexOf(")") + 2).split(" ") : undefined;
}

/** Field 22 of /proc/<pid>/stat: when the process started, in clock ticks since boot. */
function processStart(pid: number): string | undefined {
  return statFields(pid)?.at(19);
}

function me(): LockHolder {
  const bootId = currentBootId();
  const start = processStart(process.pid);
  return {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    hostname: hostname(),
    ...(bootId ? { bootId } : {}),
    ...(start ? { processStart: start } : {}),
    token: randomBytes(8).toString("hex"),
  };
}

/** Whether the holder may still run. A holder on another host cannot be checked, so it counts as alive. */
export function holderAlive(holder: LockHolder): boolean {
  if (holder.hostname !== hostname()) return true;
  const bootId = currentBootId();
  if (holder.bootId && bootId && holder.bootId !== bootId) return false;
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    // EPERM: the process exists and belongs to someone else.
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
  }
  const fields = statFields(holder.pid);
  // A killed process nobody has reaped yet (a zombie) still answers signal 0.
  if (fields?.[0] === "Z" || fields?.[0] === "X") return false;
  const start = fields?.at(19);
  if (holder.processStart && start && start !== holder.processStart) return false;
  return true;
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockHolder>;
    if (
      typeof value.pid === "number" &&
      typeof value.token === "string" &&
      typeof value.hostname === "string"
    ) {
      return value as LockHolder;
    }
  } catch {
    // answered below
  }
  return undefined;
}

/** The lock file as it is now: undefined when there is none. */
async function readLock(file: string): Promise<{ text: string; holder?: LockHolder } | undefined> {
  try {
    const text = await readFile(file, "utf8");
    const holder = parseHolder(text);
    return holder ? { text, holder } : { text };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

function describeHolder(holder: LockHolder): string {
  const where = holder.hostname === hostname() ? "" : ` on ${holder.hostname}`;
  return `pid ${holder.pid}${where}, started ${holder.startedAt}`;
}

function lockedError(dataDir: string, holder: LockHolder): DataDirLockedError {
  const elsewhere = holder.hostname !== hostname();
  return new DataDirLockedError(
    `${dataDir} is in use by another cplane runtime (${describeHolder(holder)}); ` +
      (elsewhere
        ? `stop it, or delete ${join(dataDir, LOCK_FILE)} if it no longer runs, or choose another --data-dir`
        : "stop it (Ctrl-C where it runs), or choose another --data-dir"),
    holder,
  );
}

/** Creates the lock file only if there is none, complete from its first moment (a link, not a write). */
async function createExclusive(file: string, text: string): Promise<boolean> {
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  await writeFile(temporary, text);
  try {
    await link(temporary, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    await rm(temporary, { force: true });
  }
}

/**
 * Moves a stale lock aside, provided it is still the one judged stale: if another runtime took the
 * lock in between, its lock is put back.
 */
async function removeStale(file: string, judged: string): Promise<void> {
  const aside = `${file}.stale-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    await rename(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  try {
    if ((await readFile(aside, "utf8")) !== judged) {
      await link(aside, file).catch(() => undefined);
    }
  } finally {
    await rm(aside, { force: true });
  }
}

/** The live holder of the data directory, if any (without taking the lock). */
export async function lockHolder(dataDir: string): Promise<LockHolder | undefined> {
  const current = await readLock(join(dataDir, LOCK_FILE));
  return current?.holder && holderAlive(current.holder) ? current.holder : undefined;
}

/** Throws `DataDirLockedError` when a live runtime holds the data directory. */
export async function assertDataDirFree(dataDir: string): Promise<void> {
  const holder = await lockHolder(dataDir);
  if (holder) throw lockedError(dataDir, holder);
}

/**
 * Takes the data directory for this runtime, taking over a stale lock; throws `DataDirLockedError`
 * when a live runtime (in this process or another) holds it.
 */
export async function acquireDataDirLock(dataDir: string): Promise<DataDirLock> {
  await mkdir(dataDir, { recursive: true });
  const file = join(dataDir, LOCK_FILE);
  const holder = me();
  const text = JSON.stringify(holder);
  let tookOverFrom: LockHolder | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    if (await createExclusive(file, text)) {
      return {
        file,
        holder,
        ...(tookOverFrom ? { tookOverFrom } : {}),
        async release() {
          const current = await readLock(file);
          if (current?.holder?.token === holder.token) await rm(file, { force: true });
        },
      };
    }
    const current = await readLock(file);
    if (!current) continue;
    // An unreadable lock was not written by a runtime (they appear whole): nobody can be said to hold it.
    if (current.holder && holderAlive(current.holder)) throw lockedError(dataDir, current.holder);
    await removeStale(file, current.text);
    if (current.holder) tookOverFrom = current.holder;
  }
  throw new DataDirLockedError(
    `could not take ${file}: other runtimes kept taking it; is more than one starting on ${dataDir}?`,
  );
}
