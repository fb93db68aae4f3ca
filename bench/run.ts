/**
 * `npm run bench`: runs every bench/*.bench.ts in its own Node process, one after another, so that
 * one benchmark's heap and JIT state never colour another's. Pass names to run a subset:
 * `npm run bench -- engine`.
 *
 * The packages a benchmark compares against are not the project's dependencies (`npm install` does
 * not fetch them): they are installed here, on first use, into node_modules/.cache/cplane-bench, at
 * the exact versions below, and the benchmark finds them through NODE_PATH.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** What each benchmark measures against. */
const COMPARATORS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  "engine.bench.ts": { "aws-local-stepfunctions": "3.0.0" },
  "bus.bench.ts": { "serverless-offline-aws-eventbridge": "2.2.4" },
};

const here = dirname(fileURLToPath(import.meta.url));
const cache = join(here, "..", "node_modules", ".cache", "cplane-bench");

function installedVersion(name: string): string | undefined {
  const manifest = join(cache, "node_modules", name, "package.json");
  if (!existsSync(manifest)) return undefined;
  return (JSON.parse(readFileSync(manifest, "utf8")) as { version?: string }).version;
}

/** Installs what `files` compare against into the cache, unless it is there at the right version. */
function installComparators(files: readonly string[]): void {
  const wanted = Object.assign({}, ...files.map((file) => COMPARATORS[file] ?? {})) as Record<string, string>;
  const missing = Object.entries(wanted).filter(([name, version]) => installedVersion(name) !== version);
  if (missing.length === 0) return;
  mkdirSync(cache, { recursive: true });
  // Every comparator the benchmarks know, so that installing one never prunes another.
  const all = Object.assign({}, ...Object.values(COMPARATORS)) as Record<string, string>;
  writeFileSync(
    join(cache, "package.json"),
    `${JSON.stringify({ private: true, description: "bench comparators", dependencies: all }, null, 2)}\n`,
  );
  console.log(`installing comparators into ${cache}: ${missing.map(([n, v]) => `${n}@${v}`).join(", ")}`);
  const npm = spawnSync(
    "npm",
    ["install", "--prefix", cache, "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
    { stdio: "inherit" },
  );
  if (npm.status !== 0) {
    console.error("could not install the comparators; nothing was measured");
    process.exit(1);
  }
}

const wanted = process.argv.slice(2);
const files = readdirSync(here)
  .filter((file) => file.endsWith(".bench.ts"))
  .filter((file) => wanted.length === 0 || wanted.some((name) => file.startsWith(name)))
  .sort();

if (files.length === 0) {
  console.error(`no benchmark matches ${wanted.join(", ") || "bench/*.bench.ts"}`);
  process.exit(1);
}

installComparators(files);
const env = {
  ...process.env,
  NODE_PATH: [join(cache, "node_modules"), process.env.NODE_PATH].filter(Boolean).join(":"),
};
let failed = 0;
for (const file of files) {
  console.log(`\n== ${file}`);
  const run = spawnSync(process.execPath, ["--expose-gc", join(here, file)], { stdio: "inherit", env });
  if (run.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
