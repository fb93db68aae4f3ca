/**
 * `npm run typecheck`: type-checks the code (tsconfig.json) and the infrastructure (sst.config.ts and
 * stacks/, against SST's platform types). SST writes those types into .sst/platform with
 * `sst install`, which works offline from the npm registry alone; it runs here when they are missing.
 */
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureSstPlatform } from "./sst-platform.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name: string) => join(root, "node_modules", ".bin", name);

function run(label: string, command: string, args: string[], env: NodeJS.ProcessEnv = process.env): void {
  const started = Date.now();
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit", env });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.status !== 0) {
    console.error(`typecheck: ${label} failed after ${seconds}s`);
    process.exit(result.status ?? 1);
  }
  console.log(`typecheck: ${label} ok (${seconds}s)`);
}

const started = Date.now();
ensureSstPlatform();
console.log(`typecheck: SST platform ready (${((Date.now() - started) / 1000).toFixed(1)}s)`);
run("code (tsconfig.json)", bin("tsc"), ["-p", "tsconfig.json"]);
run("infrastructure (tsconfig.stacks.json)", bin("tsc"), ["-p", "tsconfig.stacks.json"]);
