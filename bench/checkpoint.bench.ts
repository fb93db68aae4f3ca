/**
 * What checkpoints cost the local runtime, in the same process:
 *
 * 1. One checkpoint of the state `npm start` holds after a few onboardings (demo fleet, tenant
 *    databases, their executions): how long the state takes to take (the part the engine waits for),
 *    the longest the event loop is blocked while it is written, how long until it is on disk, and
 *    the bytes. Once with no database used since the last checkpoint, once with one.
 * 2. Throughput with checkpoints (default timing) against the same runtime without, in alternating
 *    rounds: state transitions of many small executions, and tenant onboardings end to end.
 *
 *   node bench/checkpoint.bench.ts          (or `npm run bench -- checkpoint`)
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// Quiet handlers, before any handler module loads.
process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
process.env.POWERTOOLS_METRICS_DISABLED = "true";
process.env.POWERTOOLS_TRACE_ENABLED = "false";
const { createRuntime } = await import("../local/runtime.ts");
type Runtime = Awaited<ReturnType<typeof createRuntime>>;

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const BUDGET_MS = Number(process.env.BENCH_BUDGET_MS ?? 3000);
const dirs: string[] = [];

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "cplane-bench-"));
  dirs.push(dir);
  return dir;
}

function sizeOf(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(path).reduce((sum, name) => sum + sizeOf(join(path, name)), 0);
}

/** The longest the event loop went without turning while `work` ran (1 ms probes). */
async function longestBlock<T>(work: () => Promise<T>): Promise<{ result: T; blockMs: number }> {
  let last = performance.now();
  let longest = 0;
  const probe = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 1);
  try {
    const result = await work();
    longest = Math.max(longest, performance.now() - last);
    return { result, blockMs: longest };
  } finally {
    clearInterval(probe);
  }
}

async function onboard(runtime: Runtime, names: readonly string[]): Promise<void> {
  const arns = names.map(
    (name) =>
      runtime.engine.startExecution({
        stateMachineArn: runtime.stateMachineArn("tenant-onboarding"),
        input: JSON.stringify({ name, tier: "basic", adminEmail: "ops@bench.example" }),
      }).executionArn,
  );
  for (const arn of arns) {
    const done = await runtime.engine.waitForExecution(arn);
    if (done.status !== "SUCCEEDED")
      throw new Error(`onboarding ${done.status}: ${done.error} ${done.cause}`);
  }
}

// ---------------------------------------------------------------- 1. one checkpoint

async function checkpointCost(): Promise<void> {
  const dir = dataDir();
  // `npm start`'s clock: an instant one would race through simulated days (and their backups) meanwhile.
  const runtime = await createRuntime({ speed: "60", dataDir: dir, demoFleet: true });
  const checkpoints = runtime.checkpoints;
  if (!checkpoints) throw new Error("no checkpoints");
  await onboard(runtime, ["Bench One", "Bench Two", "Bench Three", "Bench Four"]);
  await checkpoints.flush();

  const measureOne = async (label: string, change: () => Promise<void>) => {
    await change();
    const { blockMs } = await longestBlock(() => checkpoints.flush());
    const last = checkpoints.status.last;
    if (!last) throw new Error("no checkpoint written");
    console.log(
      `${label.padEnd(44)} take ${last.captureMs.toFixed(1).padStart(6)} ms  longest block ${blockMs
        .toFixed(0)
        .padStart(
          4,
        )} ms  on disk after ${String(last.ms).padStart(5)} ms  state files ${(last.bytes / 1024).toFixed(0)} KB`,
    );
  };
  // An execution changes (the engine's side only).
  await measureOne("no database used since the last checkpoint", async () => {
    runtime.engine.stopExecution(
      runtime.engine.startExecution({ stateMachineArn: runtime.stateMachineArn("tenant-offboarding") })
        .executionArn,
    );
  });
  // A tenant database used: its image is written again.
  await measureOne("one tenant database used since", async () => {
    const cluster = runtime.cloud.rds
      .describe()
      ["us-east-1"]?.clusters?.find((c) => String((c as { id: string }).id).startsWith("tenant-")) as
      | { id: string }
      | undefined;
    if (!cluster) throw new Error("no tenant cluster");
    const arn = `arn:aws:rds:us-east-1:${runtime.cloud.account}:cluster:${cluster.id}`;
    const db = await (
      runtime.cloud.rds as unknown as {
        databases: { get(key: string): Promise<{ query(sql: string): Promise<unknown> }> };
      }
    ).databases.get(arn);
    await db.query("select 1");
    // The Data API would say so through the cloud; used directly, the change is told here.
    checkpoints.changed();
  });
  const executions = statSync(join(dir, "executions.json")).size;
  const chunks = sizeOf(join(dir, "executions"));
  const cloud = statSync(join(dir, "cloud", "cloud.json")).size;
  const images = sizeOf(join(dir, "cloud", "rds"));
  const imageCount = readdirSync(join(dir, "cloud", "rds")).length;
  console.log(
    `on disk: executions.json ${(executions / 1024).toFixed(1)} KB (+ ${(chunks / 1024).toFixed(0)} KB of finished ones in chunks), cloud.json ${(cloud / 1024).toFixed(0)} KB, ${imageCount} database image(s) ${(images / 2 ** 20).toFixed(1)} MB`,
  );
  await runtime.close();
}

// ---------------------------------------------------------------- 2. throughput, with and without

const CHAIN = 40;
function chainDefinition() {
  const states: Record<string, unknown> = {};
  for (let i = 0; i < CHAIN; i++) {
    states[`S${i}`] = {
      Type: "Pass",
      Parameters: { "n.$": "$.n", step: i },
      ...(i + 1 < CHAIN ? { Next: `S${i + 1}` } : { End: true }),
    };
  }
  return { StartAt: "S0", States: states };
}

/** Transitions per second of batches of 50 concurrent executions, over the budget. */
async function transitions(runtime: Runtime): Promise<number> {
  const { stateMachineArn } = runtime.engine.createStateMachine({
    name: "bench-chain",
    definition: chainDefinition(),
  });
  const batch = async () => {
    const arns = Array.from(
      { length: 50 },
      () => runtime.engine.startExecution({ stateMachineArn, input: '{"n":1}' }).executionArn,
    );
    for (const arn of arns) await runtime.engine.waitForExecution(arn);
    // A serving runtime turns its event loop between requests (Pass states alone never would).
    await new Promise((resolve) => setImmediate(resolve));
  };
  await batch();
  const start = performance.now();
  let runs = 0;
  while (performance.now() - start < BUDGET_MS) {
    await batch();
    runs += 50;
  }
  return (runs * CHAIN) / ((performance.now() - start) / 1000);
}

/** Seconds for two onboardings end to end (PGlite, migrations, namespaces). */
async function onboardings(runtime: Runtime): Promise<number> {
  const start = performance.now();
  await onboard(runtime, [`Bench ${dirs.length}a`, `Bench ${dirs.length}b`]);
  return (performance.now() - start) / 1000;
}

async function compare(
  label: string,
  unit: string,
  work: (runtime: Runtime) => Promise<number>,
  better: "higher" | "lower",
): Promise<void> {
  const results: Record<"on" | "off", number[]> = { on: [], off: [] };
  let written = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of round % 2 === 0 ? (["off", "on"] as const) : (["on", "off"] as const)) {
      const runtime = await createRuntime({
        speed: "instant",
        dataDir: dataDir(),
        ...(mode === "off" ? { checkpoints: false as const } : {}),
      });
      results[mode].push(await work(runtime));
      await runtime.close();
      written += runtime.checkpoints?.status.written ?? 0;
    }
  }
  const best = (values: number[]) => (better === "higher" ? Math.max(...values) : Math.min(...values));
  const on = best(results.on);
  const off = best(results.off);
  const ratio = better === "higher" ? on / off : off / on;
  console.log(
    `${label.padEnd(44)} without ${off.toFixed(2).padStart(9)} ${unit}  with ${on.toFixed(2).padStart(9)} ${unit}  with/without ${ratio.toFixed(2)}  (${(written / ROUNDS).toFixed(1)} checkpoints a run)`,
  );
}

try {
  console.log("one checkpoint (demo fleet, 4 onboarded tenants):");
  await checkpointCost();
  console.log(`\nthroughput, best of ${ROUNDS} alternating rounds (ratio 1.00 = no cost):`);
  await compare(
    `${CHAIN}-state Pass chains, 50 at a time`,
    "ktr/s",
    async (r) => (await transitions(r)) / 1000,
    "higher",
  );
  await compare("2 onboardings end to end", "s", onboardings, "lower");
} finally {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}
