/**
 * The local runtime at fleet scale: N tenants onboarded at once on `npm start`'s runtime (speed 60,
 * demo fleet, checkpoints in a data directory), then left idle. Per N it reports the wall time of
 * the onboardings, peak and settled resident memory, the CPU the idle runtime uses, the size of the
 * data directory, and what a checkpoint of that state costs. Each N runs in a process of its own,
 * so that one fleet's heap never colours the next.
 *
 *   node bench/fleet.bench.ts             (or `npm run bench -- fleet`; N = 10 and 50)
 *   BENCH_FLEET=10,50,200 node bench/fleet.bench.ts
 *   BENCH_IDLE_MS=20000 BENCH_SETTLE_MS=15000 BENCH_SPEED=60 ...
 *   BENCH_START=2026-06-02T09:00:00Z   (the simulated time the runtime starts at)
 *   BENCH_SMAPS=1   (where the settled resident memory lives, from /proc/self/smaps)
 *
 * Simulated time starts at a fixed weekday morning, not at today's wall time: the nightly schedules
 * (backup verification at 03:00 UTC, weekly snapshots, drills) then never fall in the idle window,
 * and two runs an hour apart measure the same simulated day. What did run while idle is listed.
 *
 * The machine is shared: CPU figures are noisy, compare them within one run (see bench/README.md).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PerformanceObserver } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

const child = process.env.FLEET_CHILD_N;

if (child === undefined) {
  const sizes = (process.env.BENCH_FLEET ?? "10,50").split(",").map((n) => Number(n.trim()));
  let failed = 0;
  for (const n of sizes) {
    const flags = (process.env.BENCH_NODE_FLAGS ?? "").split(" ").filter(Boolean);
    const run = spawnSync(process.execPath, ["--expose-gc", ...flags, fileURLToPath(import.meta.url)], {
      stdio: "inherit",
      // As `npm start` runs the runtime (package.json): glibc's fixed mmap threshold returns the
      // buffers of closed databases to the system instead of keeping them in its heaps.
      env: { MALLOC_MMAP_THRESHOLD_: "16384", ...process.env, FLEET_CHILD_N: String(n) },
    });
    if (run.status !== 0) failed++;
  }
  process.exit(failed === 0 ? 0 : 1);
}

// Quiet handlers, before any handler module loads.
process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
process.env.POWERTOOLS_METRICS_DISABLED = "true";
process.env.POWERTOOLS_TRACE_ENABLED = "false";
const { createRuntime } = await import("../local/runtime.ts");
const { onboardFleet } = await import("../local/start.ts");
const { createClock, parseClockMode } = await import("../local/clock/clock.ts");

const N = Number(child);
const SPEED = process.env.BENCH_SPEED ?? "60";
// Longer than the 15 s after which idle databases close: the idle window measures a runtime at rest.
const SETTLE_MS = Number(process.env.BENCH_SETTLE_MS ?? 25_000);
// One period of the slowest upkeep schedule (dr-readiness, every 30 simulated minutes: 30 s at speed
// 60): a shorter window counts that run's cost once or not at all, by chance.
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 30_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? child);
const START = Date.parse(process.env.BENCH_START ?? "2026-06-02T09:00:00Z");
if (!Number.isFinite(START)) throw new Error(`BENCH_START is not a time: ${process.env.BENCH_START}`);
const MB = 2 ** 20;

function sizeOf(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(path).reduce((sum, name) => sum + sizeOf(join(path, name)), 0);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const gc = (globalThis as { gc?: () => void }).gc;

/**
 * CPU of this process (all threads) over `ms` of wall time, in % of one core. With BENCH_PROFILE set
 * to a file name, the window's CPU profile is written there (open it in Chrome's DevTools).
 */
/** CPU time (ms) of each thread of this process now, by thread name (Linux only; summed per name). */
function threadCpu(): Map<string, number> {
  const byName = new Map<string, number>();
  const tick = 1000 / 100; // USER_HZ is 100 on Linux
  for (const task of readdirSync("/proc/self/task")) {
    try {
      const stat = readFileSync(`/proc/self/task/${task}/stat`, "utf8");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const ms = (Number(fields[11]) + Number(fields[12])) * tick;
      byName.set(name, (byName.get(name) ?? 0) + ms);
    } catch {
      // The thread ended between the listing and the read: its time is gone with it.
    }
  }
  return byName;
}

/** What each thread (by name) used between two `threadCpu` readings, in % of one core, largest first. */
function threadShares(before: Map<string, number>, after: Map<string, number>, wallMs: number): string {
  return [...after]
    .map(([name, ms]) => [name, ((ms - (before.get(name) ?? 0)) / wallMs) * 100] as const)
    .filter(([, percent]) => percent >= 0.05)
    .sort((a, b) => b[1] - a[1])
    .map(([name, percent]) => `${name} ${percent.toFixed(1)} %`)
    .join(", ");
}

let idleThreads = "";

async function cpuOver(ms: number): Promise<number> {
  const profile = process.env.BENCH_PROFILE;
  const session = profile ? new Session() : undefined;
  const post = (method: string) =>
    new Promise<unknown>((resolve, reject) =>
      session?.post(method, (error, result) => (error ? reject(error) : resolve(result))),
    );
  if (session) {
    session.connect();
    await post("Profiler.enable");
    await post("Profiler.start");
  }
  const before = process.cpuUsage();
  const threadsBefore = threadCpu();
  const start = performance.now();
  await sleep(ms);
  const used = process.cpuUsage(before);
  idleThreads = threadShares(threadsBefore, threadCpu(), performance.now() - start);
  const percent = ((used.user + used.system) / 1000 / (performance.now() - start)) * 100;
  if (session && profile) {
    const { profile: data } = (await post("Profiler.stop")) as { profile: unknown };
    writeFileSync(profile, JSON.stringify(data));
    session.disconnect();
  }
  return percent;
}

/**
 * Where resident memory lives, by kind of mapping (Linux only): what `process.memoryUsage()` cannot
 * say, since V8 knows its own heaps and buffers but not glibc's arenas nor a WASM instance's memory.
 * Anonymous mappings are told apart by their reserved size: a WASM memory reserves several GB (its
 * guard regions), a glibc thread arena 64 MB, V8's pages less.
 */
function residentByKind(): string {
  const kinds = new Map<string, { kb: number; count: number }>();
  let kind = "";
  let sizeKb = 0;
  for (const line of readFileSync("/proc/self/smaps", "utf8").split("\n")) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      kind = head[1] ?? "";
      continue;
    }
    if (line.startsWith("Size:")) sizeKb = Number(line.split(/\s+/)[1]);
    if (!line.startsWith("Rss:")) continue;
    const rssKb = Number(line.split(/\s+/)[1]);
    const name =
      kind === ""
        ? sizeKb >= 4 * 1024 * 1024
          ? "anonymous, reserved ≥ 4 GB (WASM memories)"
          : sizeKb >= 32 * 1024
            ? "anonymous, 32 MB–4 GB (glibc arenas, large buffers)"
            : "anonymous, < 32 MB (V8 pages, buffers)"
        : kind.startsWith("/")
          ? "files"
          : kind;
    const entry = kinds.get(name) ?? { kb: 0, count: 0 };
    entry.kb += rssKb;
    entry.count += rssKb > 0 ? 1 : 0;
    kinds.set(name, entry);
  }
  return [...kinds]
    .sort((a, b) => b[1].kb - a[1].kb)
    .filter(([, e]) => e.kb >= 1024)
    .map(([name, e]) => `${name} ${(e.kb / 1024).toFixed(0)} MB in ${e.count}`)
    .join("; ");
}

const dir = mkdtempSync(join(tmpdir(), "cplane-fleet-"));
try {
  const startedAt = performance.now();
  const clock = createClock({ mode: parseClockMode(SPEED), start: START });
  const runtime = await createRuntime({ clock, dataDir: dir, demoFleet: true });
  const startMs = performance.now() - startedAt;
  const baseRss = process.memoryUsage().rss;

  // Why a task failed, said once per distinct error (a bench that fails must say why).
  const failures = new Set<string>();
  runtime.engine.subscribe((event) => {
    if (event.kind !== "history" || event.event.type !== "TaskFailed") return;
    const detail = JSON.stringify(event.event).slice(0, 600);
    const key = detail.replace(/arn:[^"]*/g, "");
    if (failures.has(key)) return;
    failures.add(key);
    console.error(`task failed: ${detail}`);
  });

  const onboardStart = performance.now();
  // All N at once unless BENCH_CONCURRENCY says how many at a time (as `cplane start --fleet` does).
  const failed = await onboardFleet(runtime, N, undefined, CONCURRENCY);
  const wallS = (performance.now() - onboardStart) / 1000;
  // Onboardings that fail (on a starved machine, executions can outlive their 3 h of simulated time)
  // are counted, and the rest is still measured.
  if (failed.length > 0) process.exitCode = 1;
  const reasons = [...new Set(failed.map((r) => r.error ?? ""))].join(", ");

  await sleep(SETTLE_MS);
  const checkpoints = runtime.checkpoints;
  if (!checkpoints) throw new Error("no checkpoints");
  // What asks for checkpoints while idle (BENCH_WHY=1): each caller's stack, counted.
  const why = new Map<string, number>();
  if (process.env.BENCH_WHY) {
    const changed = checkpoints.changed.bind(checkpoints);
    // (Each change's stack is taken: the window's CPU figure is not comparable with runs without it.)
    checkpoints.changed = (by) => {
      const stack = (new Error().stack ?? "").split("\n").slice(2, 9).join(" < ");
      const key = `${by ?? "request"}: ${stack}`;
      why.set(key, (why.get(key) ?? 0) + 1);
      changed(by);
    };
  }
  // What the idle window ran: each execution that started or ended in it, by workflow.
  const ran = new Map<string, number>();
  const stopWatching = runtime.engine.subscribe((event) => {
    if (event.kind !== "status") return;
    const workflow = event.execution.stateMachineArn.split(":").pop() ?? "";
    ran.set(workflow, (ran.get(workflow) ?? 0) + 1);
  });
  const idleFrom = clock.now();
  const writtenBefore = checkpoints.status.written;
  // The main isolate's collections in the window, by kind (V8's concurrent marking runs in its workers).
  const collections = new Map<string, { count: number; ms: number }>();
  const gcKinds: Record<number, string> = {
    1: "minor",
    2: "major",
    4: "incremental",
    8: "weak callbacks",
    16: "minor",
  };
  const gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const detail = (entry as unknown as { detail?: { kind?: number } }).detail;
      const kind = gcKinds[detail?.kind ?? 0] ?? "other";
      const seen = collections.get(kind) ?? { count: 0, ms: 0 };
      seen.count++;
      seen.ms += entry.duration;
      collections.set(kind, seen);
    }
  });
  gcObserver.observe({ entryTypes: ["gc"] });
  const idleCpu = await cpuOver(IDLE_MS);
  gcObserver.disconnect();
  const idleTo = clock.now();
  stopWatching();
  const idleCheckpoints = checkpoints.status.written - writtenBefore;
  for (const [stack, count] of why) console.error(`changed ${count}x: ${stack}`);
  if (process.env.BENCH_WHY) {
    // The cloud calls of the window (`at` is simulated time), by service and operation.
    const byOperation = new Map<string, number>();
    for (const call of runtime.cloud.calls) {
      if (call.at < idleFrom || call.at > idleTo) continue;
      const key = `${call.service}:${call.operation}`;
      byOperation.set(key, (byOperation.get(key) ?? 0) + 1);
    }
    const listed = [...byOperation].sort((a, b) => b[1] - a[1]).map(([key, n]) => `${key} ${n}`);
    console.error(`cloud calls in the window: ${listed.join(", ")}`);
  }
  gc?.();
  await sleep(500);
  gc?.();
  const settled = process.memoryUsage();
  const settledRss = settled.rss;
  const peakRss = process.resourceUsage().maxRSS * 1024;
  const smaps = process.env.BENCH_SMAPS ? residentByKind() : undefined;

  await checkpoints.flush();
  const last = checkpoints.status.last;
  const dataBytes = sizeOf(dir);
  const images = readdirSync(join(dir, "cloud", "rds")).length;
  const engines = runtime.cloud.describe().RDSData?.local?.engines?.[0];

  const closeStart = performance.now();
  await runtime.close();
  const closeS = (performance.now() - closeStart) / 1000;

  console.log(
    [
      `N=${String(N).padStart(3)} (speed ${SPEED}, ${Math.min(CONCURRENCY, N)} at a time)`,
      `start ${(startMs / 1000).toFixed(1)} s`,
      `onboard wall ${wallS.toFixed(1)} s, ${N - failed.length} of ${N} succeeded${failed.length > 0 ? ` (${reasons})` : ""}`,
      `RSS base ${(baseRss / MB).toFixed(0)} MB, peak ${(peakRss / MB).toFixed(0)} MB, settled ${(settledRss / MB).toFixed(0)} MB (JS heap ${(settled.heapUsed / MB).toFixed(0)} MB of ${(settled.heapTotal / MB).toFixed(0)}, external ${(settled.external / MB).toFixed(0)} MB, array buffers ${(settled.arrayBuffers / MB).toFixed(0)} MB)`,
      `idle CPU ${idleCpu.toFixed(1)} % of a core (${IDLE_MS / 1000} s, after ${SETTLE_MS / 1000} s; ${idleCheckpoints} checkpoints meanwhile)`,
      `idle CPU by thread (threads that ended meanwhile are not counted): ${idleThreads}`,
      `idle GC in the main thread: ${[...collections].map(([kind, c]) => `${kind} ${c.count} (${c.ms.toFixed(0)} ms)`).join(", ") || "none"}`,
      `idle window ${new Date(idleFrom).toISOString().slice(11, 16)}–${new Date(idleTo).toISOString().slice(11, 16)} simulated UTC; executions started or ended: ${[...ran].map(([w, n]) => `${w} ${n}`).join(", ") || "none"}`,
      `data dir ${(dataBytes / MB).toFixed(0)} MB (${images} image files)`,
      `checkpoint ${last ? `${last.ms} ms (take ${last.captureMs.toFixed(0)} ms)` : "none"}, ${checkpoints.status.written} written`,
      `stop ${closeS.toFixed(1)} s`,
      ...(engines ? [`databases ${JSON.stringify(engines)}`] : []),
      ...(smaps ? [`resident by mapping: ${smaps}`] : []),
    ].join("\n  "),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
