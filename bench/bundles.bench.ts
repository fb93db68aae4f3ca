/**
 * What each Lambda bundle weighs and what it costs to load on a cold start, minified (as stacks/
 * deploys it) against unminified (SST's default when `minify` is unset), measured in the same run.
 * Each function is bundled as `sst deploy` bundles it (scripts/lambda-bundle.ts); the import time is
 * that of a fresh Node 24 process importing the bundle (module evaluation included): wall time and the
 * process's CPU time over the import (less sensitive to a loaded machine), each the median of
 * BENCH_ROUNDS runs, the two variants interleaved so that machine load touches both alike.
 *
 *   node bench/bundles.bench.ts          (or `npm run bench -- bundles`)
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { functionCatalog } from "../functions/catalog.ts";
import { type BuildOutput, buildFunction } from "../scripts/lambda-bundle.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ONLY = process.env.BENCH_FUNCTIONS?.split(",");

/** A Lambda-like environment: the bundle's module scope may read these. */
const LAMBDA_ENV = {
  PATH: process.env.PATH ?? "",
  AWS_REGION: "eu-west-1",
  AWS_LAMBDA_FUNCTION_NAME: "bench",
  POWERTOOLS_SERVICE_NAME: "cplane-bench",
  POWERTOOLS_METRICS_NAMESPACE: "cplane",
};

/** Wall and CPU milliseconds of importing the bundle in a fresh process. */
function importMs(bundle: string): { wall: number; cpu: number } {
  const script = [
    "const t = performance.now(); const c = process.cpuUsage();",
    `await import(${JSON.stringify(pathToFileURL(bundle).href)});`,
    "const u = process.cpuUsage(c);",
    "console.log(JSON.stringify({ wall: performance.now() - t, cpu: (u.user + u.system) / 1000 }));",
  ].join(" ");
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { env: LAMBDA_ENV });
  return JSON.parse(out.toString()) as { wall: number; cpu: number };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;
/** The package (or project directory) an input file belongs to. */
const origin = (file: string) =>
  /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1] ?? file.split("/").slice(0, 2).join("/");

function heaviest(build: BuildOutput, count: number): string {
  const by = new Map<string, number>();
  for (const [file, bytes] of Object.entries(build.inputs))
    by.set(origin(file), (by.get(origin(file)) ?? 0) + bytes);
  return [...by]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, bytes]) => `${name} ${kb(bytes)}`)
    .join(", ");
}

const work = mkdtempSync(join(tmpdir(), "cplane-bundles-"));
const rows: string[][] = [];
const totals = { plain: 0, minified: 0, plainMs: 0, minifiedMs: 0, plainCpu: 0, minifiedCpu: 0 };
try {
  for (const spec of functionCatalog.values()) {
    if (ONLY && !ONLY.includes(spec.id)) continue;
    const input = (minify: boolean) => ({
      functionID: spec.id,
      handler: spec.handler.replace(/\.ts$/, ".handler"),
      runtime: "nodejs24.x",
      properties: { minify },
    });
    const plain = await buildFunction(input(false), join(work, spec.id, "plain"));
    const minified = await buildFunction(input(true), join(work, spec.id, "minified"));
    const times = {
      plain: [] as { wall: number; cpu: number }[],
      minified: [] as { wall: number; cpu: number }[],
    };
    for (let round = 0; round < ROUNDS; round++) {
      times.plain.push(importMs(join(plain.out, "bundle.mjs")));
      times.minified.push(importMs(join(minified.out, "bundle.mjs")));
    }
    const [plainMs, minifiedMs] = [
      median(times.plain.map((t) => t.wall)),
      median(times.minified.map((t) => t.wall)),
    ];
    const [plainCpu, minifiedCpu] = [
      median(times.plain.map((t) => t.cpu)),
      median(times.minified.map((t) => t.cpu)),
    ];
    totals.plainCpu += plainCpu;
    totals.minifiedCpu += minifiedCpu;
    totals.plain += plain.bytes;
    totals.minified += minified.bytes;
    totals.plainMs += plainMs;
    totals.minifiedMs += minifiedMs;
    rows.push([
      spec.id,
      kb(plain.bytes),
      kb(minified.bytes),
      `${plainMs.toFixed(0)} ms / ${plainCpu.toFixed(0)} ms`,
      `${minifiedMs.toFixed(0)} ms / ${minifiedCpu.toFixed(0)} ms`,
      heaviest(minified, 3),
    ]);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const header = [
  "function",
  "unminified",
  "minified",
  "import unmin. (wall / CPU)",
  "import min. (wall / CPU)",
  "heaviest in the minified bundle",
];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
for (const row of [header, ...rows])
  console.log(row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join("  "));
console.log(
  `\n${rows.length} functions, ${ROUNDS} rounds: ${kb(totals.plain)} unminified vs ${kb(totals.minified)} minified ` +
    `(${(totals.minified / totals.plain).toFixed(2)}x); summed median import ${totals.plainMs.toFixed(0)} ms vs ` +
    `${totals.minifiedMs.toFixed(0)} ms (${(totals.minifiedMs / totals.plainMs).toFixed(2)}x), CPU ${totals.plainCpu.toFixed(0)} ms vs ` +
    `${totals.minifiedCpu.toFixed(0)} ms (${(totals.minifiedCpu / totals.plainCpu).toFixed(2)}x); Node ${process.version}`,
);
