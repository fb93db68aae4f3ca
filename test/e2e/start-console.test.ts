/**
 * `cplane start` as a user runs it, in a child process: its console shows the banner and what the
 * user asks for, not the handlers' JSON logs or EMF metric lines (those are for CloudWatch on AWS), nor
 * Powertools' warnings about metrics that are never published locally.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const exec = promisify(execFile);
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

describe("cplane start", () => {
  it("keeps its console to the banner while a workflow runs: no handler logs or metric lines", async () => {
    dataDir = await mkdtemp(join(tmpdir(), "cplane-start-"));
    const port = await freePort();
    let stdout = "";
    child = spawn(
      process.execPath,
      ["local/cli/bin.ts", "start", "--port", String(port), "--speed", "instant", "--data-dir", dataDir],
      {
        stdio: ["ignore", "pipe", "pipe"],
        // A user's shell, not the test's Lambda-like environment (which already silences Powertools).
        env: { PATH: process.env.PATH, HOME: process.env.HOME },
      },
    );
    let stderr = "";
    child.stdout?.on("data", (chunk) => {
      stdout += String(chunk);
    });
    child.stderr?.on("data", (chunk) => {
      stderr += String(chunk);
    });
    const deadline = Date.now() + 60_000;
    while (!stdout.includes("Ctrl-C stops it.") && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(stdout).toContain(`cplane local runtime on http://127.0.0.1:${port}`);

    const run = await exec(
      process.execPath,
      [
        "local/cli/bin.ts",
        "run",
        "tenant-onboarding",
        "--input",
        JSON.stringify({ name: "Quiet Co", tier: "basic", adminEmail: "ops@quiet.test" }),
        "--follow",
        "--endpoint",
        `http://127.0.0.1:${port}`,
      ],
      { timeout: 120_000 },
    );
    expect(run.stdout).toMatch(/SUCCEEDED/);

    const lines = stdout.split("\n").filter((line) => line.trim() !== "");
    expect(lines.filter((line) => line.trimStart().startsWith("{"))).toEqual([]);
    // Concurrent handlers share one Metrics instance locally, where nothing is published anyway.
    expect(stderr).not.toContain("No application metrics to publish");
  }, 180_000);
});
