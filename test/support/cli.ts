/** Driving the `cplane` CLI from tests: as a child process against a server, or in-process with stdout captured. */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { vi } from "vitest";

const exec = promisify(execFile);

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `cplane <args> --endpoint <url>` in a child process; resolves with its exit code and output. */
export function runCli(url: string, ...args: string[]): Promise<CliResult> {
  return exec(process.execPath, ["local/cli/bin.ts", ...args, "--endpoint", url], { timeout: 120_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({
      code: error.code,
      stdout: error.stdout,
      stderr: error.stderr,
    }),
  );
}

/** Captures what a command run in-process writes to stdout, until the test's mocks are restored. */
export function captureStdout(): { text(): string } {
  let printed = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    printed += String(chunk);
    return true;
  });
  return { text: () => printed };
}
