/**
 * The clock's speed across restarts of `cplane start`, as a user runs it in a child process: a speed
 * set while it runs (`cplane clock speed`) is checkpointed and found again by the next start without
 * --speed, even after a crash; an explicit --speed wins over the saved one, and is the one saved next.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.ts";

let child: ChildProcess | undefined;
let dataDir = "";

afterAll(async () => {
  child?.kill("SIGKILL");
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

interface Started {
  readonly url: string;
  readonly banner: string;
}

/** `cplane start` on the data directory, without CPLANE_SPEED in its environment; resolves at its banner. */
async function start(...extra: string[]): Promise<Started> {
  const port = await freePort();
  let stdout = "";
  let stderr = "";
  const started = spawn(
    process.execPath,
    ["local/cli/bin.ts", "start", "--port", String(port), "--data-dir", dataDir, ...extra],
    { stdio: ["ignore", "pipe", "pipe"], env: { PATH: process.env.PATH, HOME: process.env.HOME } },
  );
  child = started;
  started.stdout?.on("data", (chunk) => {
    stdout += String(chunk);
  });
  started.stderr?.on("data", (chunk) => {
    stderr += String(chunk);
  });
  const deadline = Date.now() + 120_000;
  while (!stdout.includes("Ctrl-C stops it.")) {
    if (started.exitCode !== null || Date.now() > deadline)
      throw new Error(`cplane start did not come up: ${stdout}\n${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { url: `http://127.0.0.1:${port}`, banner: stdout };
}

async function stop(signal: "SIGINT" | "SIGKILL"): Promise<void> {
  const running = child;
  if (!running || running.exitCode !== null) return;
  const exited = new Promise((resolve) => running.once("exit", resolve));
  running.kill(signal);
  await exited;
  child = undefined;
}

async function clockMode(url: string): Promise<string> {
  return ((await (await fetch(`${url}/_cplane/clock`)).json()) as { mode: string }).mode;
}

const clockLine = (banner: string) => banner.split("\n").find((line) => line.trimStart().startsWith("clock"));

describe("the clock's speed across restarts", () => {
  it("restores the speed the last run left unless --speed is given, even after a crash", async () => {
    dataDir = await mkdtemp(join(tmpdir(), "cplane-speed-"));

    // Prepare: a first start takes the default speed; the user stops the clock while it runs
    const first = await start();
    expect(await clockMode(first.url)).toBe("60x");
    const set = await runCli(first.url, "clock", "speed", "manual");
    expect(set.code, set.stderr).toBe(0);
    // The change reaches a checkpoint on its own (nothing else changes meanwhile); then the process dies.
    const saved = join(dataDir, "clock.json");
    await expect
      .poll(
        () => existsSync(saved) && (JSON.parse(readFileSync(saved, "utf8")) as { speed?: string }).speed,
        {
          timeout: 30_000,
        },
      )
      .toBe("manual");
    await stop("SIGKILL");

    // Act: started again with no --speed
    const second = await start();

    // Assess: the clock stands still as the user left it, and the banner says why
    expect(await clockMode(second.url)).toBe("manual");
    expect(clockLine(second.banner)).toContain("manual (as the last run left it; --speed to choose)");
    await stop("SIGINT");

    // An explicit --speed wins over the saved one, and is what the next start finds
    const third = await start("--speed", "10");
    expect(await clockMode(third.url)).toBe("10x");
    expect(clockLine(third.banner)).not.toContain("last run");
    await stop("SIGINT");
    const fourth = await start();
    expect(await clockMode(fourth.url)).toBe("10x");
    await stop("SIGINT");

    // --fresh starts from nothing: the default speed again
    const fresh = await start("--fresh");
    expect(await clockMode(fresh.url)).toBe("60x");
    await stop("SIGINT");
  }, 600_000);
});
