/**
 * SST's platform (`.sst/platform`: its component sources, Pulumi and the AWS provider, esbuild), which
 * `sst install` writes offline from the npm registry alone. The typecheck needs its types; the stacks
 * test runs the SST program on it (test/stacks/program.test.ts); the bundle bench builds with its esbuild.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..");
export const platformDir = join(root, ".sst", "platform");

export class SstPlatformError extends Error {
  override name = "SstPlatformError";
}

/** Runs `sst install` when `.sst/platform` is missing (35-100 s); a no-op otherwise. */
export function ensureSstPlatform(stage = process.env.CPLANE_STAGE ?? "dev"): void {
  if (existsSync(join(platformDir, "config.d.ts")) && existsSync(join(platformDir, "node_modules"))) return;
  const result = spawnSync(join(root, "node_modules", ".bin", "sst"), ["install", "--stage", stage], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, SST_SKIP_DEPENDENCY_CHECK: "1", SST_NO_BUN: "1", SST_TELEMETRY_DISABLED: "1" },
  });
  if (result.status !== 0)
    throw new SstPlatformError(`sst install failed (exit ${result.status}); if it was cut off, rm -rf .sst`);
}

/** A package of SST's platform (`@pulumi/pulumi`, `esbuild`...), as the program bundle resolves it. */
export function platformRequire(name: string): unknown {
  return createRequire(join(platformDir, "package.json"))(name);
}
