import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  acquireDataDirLock,
  assertDataDirFree,
  DataDirLockedError,
  LOCK_FILE,
  type LockHolder,
} from "../../../local/persistence/lock.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "cplane-lock-"));
  dirs.push(dir);
  return dir;
}

/** The pid of a process that has exited (and been reaped). */
function deadPid(): number {
  const run = spawnSync(process.execPath, ["-e", ""]);
  if (run.pid === undefined) throw new Error("could not start a process");
  return run.pid;
}

function writeLock(dir: string, holder: Partial<LockHolder>): void {
  const full: LockHolder = {
    pid: process.pid,
    startedAt: "2026-01-01T00:00:00.000Z",
    hostname: hostname(),
    token: "someone-else",
    ...holder,
  };
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify(full));
}

const linux = process.platform === "linux";

describe("the data directory lock", () => {
  it("refuses a second runtime while the first holds the directory, naming the holder", async () => {
    const dir = dataDir();
    const first = await acquireDataDirLock(dir);

    const refused = await acquireDataDirLock(dir).catch((error: unknown) => error);

    expect(refused).toBeInstanceOf(DataDirLockedError);
    expect((refused as DataDirLockedError).name).toBe("DataDirLockedError");
    expect((refused as DataDirLockedError).message).toContain(`pid ${process.pid}`);
    expect((refused as DataDirLockedError).holder?.token).toBe(first.holder.token);
    await expect(assertDataDirFree(dir)).rejects.toThrow(DataDirLockedError);
    await first.release();
  });

  it("is free after release, and a release never removes a lock someone else holds", async () => {
    const dir = dataDir();
    const first = await acquireDataDirLock(dir);
    await first.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);

    const second = await acquireDataDirLock(dir);
    await first.release();

    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), "utf8")).token).toBe(second.holder.token);
    await second.release();
  });

  it("takes over a lock whose process is gone, and says whose it was", async () => {
    const dir = dataDir();
    const pid = deadPid();
    writeLock(dir, { pid });
    await assertDataDirFree(dir);

    const lock = await acquireDataDirLock(dir);

    expect(lock.tookOverFrom).toMatchObject({ pid, token: "someone-else" });
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), "utf8")).token).toBe(lock.holder.token);
    expect(readdirSync(dir)).toEqual([LOCK_FILE]);
    await lock.release();
  });

  it.runIf(linux)("takes over a lock from an earlier boot, even when its pid runs now", async () => {
    const dir = dataDir();
    writeLock(dir, { pid: process.ppid, bootId: "an-earlier-boot" });

    const lock = await acquireDataDirLock(dir);

    expect(lock.tookOverFrom?.pid).toBe(process.ppid);
    await lock.release();
  });

  it.runIf(linux)("takes over a lock whose pid now belongs to another process", async () => {
    const dir = dataDir();
    writeLock(dir, { pid: process.ppid, processStart: "1" });

    const lock = await acquireDataDirLock(dir);

    expect(lock.tookOverFrom?.pid).toBe(process.ppid);
    await lock.release();
  });

  it("takes over a lock file no runtime wrote", async () => {
    const dir = dataDir();
    writeFileSync(join(dir, LOCK_FILE), "not a lock");

    const lock = await acquireDataDirLock(dir);

    expect(lock.tookOverFrom).toBeUndefined();
    await lock.release();
  });

  it("counts a holder on another host as alive: it cannot be checked from here", async () => {
    const dir = dataDir();
    writeLock(dir, { pid: deadPid(), hostname: "elsewhere.example" });

    await expect(acquireDataDirLock(dir)).rejects.toThrow(/on elsewhere\.example.*delete .*runtime\.lock/);
  });
});
