/**
 * `cplane start` in a child process, for tests that need a runtime they can kill (SIGKILL is what a
 * crash looks like from the data directory) or a second process on the same data directory.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";

export interface ChildRuntime {
  readonly pid: number;
  readonly url: string;
  stdout(): string;
  stderr(): string;
  /** Resolves with how the process ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends `signal` (default SIGTERM, a clean stop) and waits for the process to end. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** A TCP port nothing listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function spawnStart(dataDir: string, port: number, speed: string): ChildProcess {
  return spawn(
    process.execPath,
    ["local/cli/bin.ts", "start", "--data-dir", dataDir, "--port", String(port), "--speed", speed],
    { cwd: process.cwd(), env: process.env, stdio: ["ignore", "pipe", "pipe"] },
  );
}

/**
 * Starts a runtime and resolves once it serves (its banner is out); rejects with its output if it
 * ends first or does not serve within `withinMs`.
 */
export async function startChildRuntime(options: {
  dataDir: string;
  speed?: string;
  withinMs?: number;
}): Promise<ChildRuntime> {
  const port = await freePort();
  const child = spawnStart(options.dataDir, port, options.speed ?? "manual");
  let out = "";
  let err = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString("utf8");
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    err += chunk.toString("utf8");
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
  });
  const runtime: ChildRuntime = {
    pid: child.pid ?? -1,
    url: `http://127.0.0.1:${port}`,
    stdout: () => out,
    stderr: () => err,
    exited,
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  const withinMs = options.withinMs ?? 60_000;
  await new Promise<void>((resolve, reject) => {
    const deadline = setTimeout(() => {
      void runtime.stop("SIGKILL");
      reject(new Error(`the runtime did not serve within ${withinMs} ms\nstdout:\n${out}\nstderr:\n${err}`));
    }, withinMs);
    const check = () => {
      if (!out.includes("Ctrl-C stops it.")) return;
      clearTimeout(deadline);
      resolve();
    };
    child.stdout?.on("data", check);
    void exited.then(({ code, signal }) => {
      clearTimeout(deadline);
      reject(new Error(`the runtime ended (code ${code}, signal ${signal}) before serving\nstderr:\n${err}`));
    });
  });
  return runtime;
}

/** Runs `cplane start` to its end (for a start that must be refused); kills it if it serves after all. */
export async function runChildStart(options: {
  dataDir: string;
  withinMs?: number;
}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnStart(options.dataDir, await freePort(), "manual");
  let out = "";
  let err = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString("utf8");
    // It serves after all: the test fails on its exit code, now rather than at the deadline.
    if (out.includes("Ctrl-C stops it.")) child.kill("SIGTERM");
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    err += chunk.toString("utf8");
  });
  const deadline = setTimeout(() => child.kill("SIGKILL"), options.withinMs ?? 60_000);
  const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
  clearTimeout(deadline);
  return { code, stdout: out, stderr: err };
}
