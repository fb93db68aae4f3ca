/**
 * Engine benchmark: the same JSONPath definitions on our engine (recording the full history) and on
 * aws-local-stepfunctions 3.0.0, in the same process. Per workload it prints run-only throughput
 * (transitions per second on a machine created once) and create-and-run time (CreateStateMachine, with
 * its definition checks, then one execution: what a test that builds its machine pays), each with the
 * ratio, and the peak memory of the Map workload.
 *
 *   npm run bench -- engine     (installs aws-local-stepfunctions into the bench cache first)
 */
import { createRequire } from "node:module";
import { createClock } from "../local/clock/clock.ts";
import { Engine } from "../local/engine/engine.ts";
import type { Json } from "../local/engine/json.ts";

const FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:double";
const BUDGET_MS = Number(process.env.BENCH_BUDGET_MS ?? 3000);
const ROUNDS = 3;

/** The part of aws-local-stepfunctions this uses; bench/run.ts installs it (NODE_PATH). */
interface AlsStateMachine {
  run(input: unknown, options: unknown): { result: Promise<unknown> };
}
type AlsStateMachineClass = new (definition: unknown, options: unknown) => AlsStateMachine;

function loadAls(): AlsStateMachineClass {
  try {
    const require = createRequire(import.meta.url);
    return (require("aws-local-stepfunctions") as { StateMachine: AlsStateMachineClass }).StateMachine;
  } catch (error) {
    console.error("aws-local-stepfunctions is not installed: run this with `npm run bench -- engine`");
    throw error;
  }
}
const StateMachine = loadAls();
const ALS_OPTIONS = { validationOptions: { checkArn: false, checkPaths: false } };

type Definition = Record<string, unknown>;

interface Workload {
  name: string;
  definition: Definition;
  input: Json;
  /** States entered by one execution. */
  transitions: number;
}

/** A chain of alternating Pass (with Parameters) and Choice states. */
function chain(length: number): Workload {
  const states: Record<string, unknown> = {};
  for (let i = 0; i < length; i++) {
    const next = i + 1 < length ? `S${i + 1}` : "Done";
    states[`S${i}`] =
      i % 2 === 0
        ? { Type: "Pass", Parameters: { "n.$": "$.n", step: i, "tag.$": "$.tag" }, Next: next }
        : {
            Type: "Choice",
            Choices: [
              { Variable: "$.n", NumericGreaterThanEquals: 0, Next: next },
              { Variable: "$.tag", StringEquals: "never", Next: "Done" },
            ],
            Default: "Done",
          };
  }
  states.Done = { Type: "Succeed" };
  return {
    name: `chain of ${length} Pass/Choice states`,
    definition: { StartAt: "S0", States: states },
    input: { n: 1, tag: "bench" },
    transitions: length + 1,
  };
}

/** A counter loop: Choice on the counter, Pass with States.MathAdd. */
function counter(iterations: number): Workload {
  return {
    name: `counter loop x${iterations} (States.MathAdd)`,
    definition: {
      StartAt: "Init",
      States: {
        Init: { Type: "Pass", Result: { count: 0 }, Next: "Check" },
        Check: {
          Type: "Choice",
          Choices: [{ Variable: "$.count", NumericLessThan: iterations, Next: "Increment" }],
          Default: "Done",
        },
        Increment: { Type: "Pass", Parameters: { "count.$": "States.MathAdd($.count, 1)" }, Next: "Check" },
        Done: { Type: "Succeed" },
      },
    },
    input: {},
    transitions: 1 + iterations * 2 + 1 + 1,
  };
}

/** A Map over `items` items with a Lambda Task per item. */
function map(items: number): Workload {
  return {
    name: `Map of ${items} items, a Task each`,
    definition: {
      StartAt: "Fan",
      States: {
        Fan: {
          Type: "Map",
          ItemsPath: "$.items",
          MaxConcurrency: 0,
          ItemProcessor: {
            StartAt: "Work",
            States: { Work: { Type: "Task", Resource: FUNCTION_ARN, End: true } },
          },
          End: true,
        },
      },
    },
    input: { items: Array.from({ length: items }, (_, i) => ({ id: i, value: i * 2 })) },
    transitions: 1 + items,
  };
}

async function handler(input: unknown): Promise<Json> {
  const v = input as { id: number; value: number };
  return { id: v.id, doubled: v.value * 2 };
}

function ourEngine(): Engine {
  return new Engine({
    clock: createClock({ mode: { kind: "instant" } }),
    runtime: { invokeFunction: (_name, payload) => handler(payload) },
    // Every execution records its full history; only the last few are kept, as a long-running
    // local runtime would (aws-local-stepfunctions keeps nothing).
    retainExecutions: 20,
  });
}

async function runOurs(engine: Engine, arn: string, input: string): Promise<void> {
  const { executionArn } = engine.startExecution({ stateMachineArn: arn, input });
  const d = await engine.waitForExecution(executionArn);
  if (d.status !== "SUCCEEDED") throw new Error(`our engine: ${d.status} ${d.error} ${d.cause}`);
}

/** Runs/second over a time budget, after a warm-up. */
async function measure(run: () => Promise<void>, budgetMs: number): Promise<number> {
  for (let i = 0; i < 2; i++) await run(); // warm-up
  const start = performance.now();
  let runs = 0;
  while (performance.now() - start < budgetMs) {
    await run();
    runs++;
  }
  return runs / ((performance.now() - start) / 1000);
}

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) g();
}

/**
 * Both engines in alternating rounds, keeping each one's best round: the machines this runs on are
 * shared, and the best round is the least disturbed one.
 */
async function best(
  ours: () => Promise<void>,
  theirs: () => Promise<void>,
): Promise<{ ours: number; theirs: number }> {
  let a = 0;
  let b = 0;
  for (let round = 0; round < ROUNDS; round++) {
    a = Math.max(a, await measure(ours, BUDGET_MS / ROUNDS));
    b = Math.max(b, await measure(theirs, BUDGET_MS / ROUNDS));
  }
  return { ours: a, theirs: b };
}

const overrides = { taskResourceLocalHandlers: { Work: (input: unknown) => handler(input) } };

/** Transitions per second, on a machine each engine created once. */
async function runOnly(w: Workload): Promise<{ ours: number; theirs: number }> {
  const engine = ourEngine();
  const { stateMachineArn } = engine.createStateMachine({ name: "bench", definition: w.definition });
  const inputText = JSON.stringify(w.input);
  const machine = new StateMachine(w.definition, ALS_OPTIONS);
  const r = await best(
    () => runOurs(engine, stateMachineArn, inputText),
    async () => {
      await machine.run(w.input, { overrides }).result;
    },
  );
  return { ours: r.ours * w.transitions, theirs: r.theirs * w.transitions };
}

/** Milliseconds to create a machine from its definition (text, as CreateStateMachine takes it) and run it once. */
async function createAndRun(w: Workload): Promise<{ ours: number; theirs: number }> {
  const engine = ourEngine();
  const definition = JSON.stringify(w.definition);
  const inputText = JSON.stringify(w.input);
  let n = 0;
  const r = await best(
    async () => {
      const { stateMachineArn } = engine.createStateMachine({ name: `bench-${n++}`, definition });
      await runOurs(engine, stateMachineArn, inputText);
      engine.deleteStateMachine(stateMachineArn);
    },
    async () => {
      await new StateMachine(JSON.parse(definition), ALS_OPTIONS).run(w.input, { overrides }).result;
    },
  );
  return { ours: 1000 / r.ours, theirs: 1000 / r.theirs };
}

async function mapMemory(w: Workload): Promise<{ heapMb: number; rssMb: number }> {
  gc();
  const before = process.memoryUsage();
  let peakHeap = before.heapUsed;
  let peakRss = before.rss;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peakHeap = Math.max(peakHeap, m.heapUsed);
    peakRss = Math.max(peakRss, m.rss);
  }, 5);
  const engine = ourEngine();
  const { stateMachineArn } = engine.createStateMachine({ name: "bench-mem", definition: w.definition });
  await runOurs(engine, stateMachineArn, JSON.stringify(w.input));
  const after = process.memoryUsage();
  clearInterval(sampler);
  peakHeap = Math.max(peakHeap, after.heapUsed);
  peakRss = Math.max(peakRss, after.rss);
  return { heapMb: (peakHeap - before.heapUsed) / 2 ** 20, rssMb: peakRss / 2 ** 20 };
}

/** One Pass state: what creation costs when the execution costs next to nothing. */
function onePass(): Workload {
  return {
    name: "one Pass state",
    definition: { StartAt: "P", States: { P: { Type: "Pass", End: true } } },
    input: {},
    transitions: 1,
  };
}

// Memory first, on a fresh heap, so that earlier workloads' executions do not colour it.
const mem = await mapMemory(map(1000));
const workloads = [onePass(), chain(200), counter(500), map(1000)];
const fmt = (n: number, digits = 0) =>
  n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits }).padStart(10);
console.log(
  `${"workload".padEnd(36)} ${"run-only tr/s: ours".padStart(20)} ${"ALS".padStart(10)} ${"ratio".padStart(6)}   ${"create+run ms: ours".padStart(20)} ${"ALS".padStart(10)} ${"ratio".padStart(6)}`,
);
let worstRun = Number.POSITIVE_INFINITY;
let worstCreate = Number.POSITIVE_INFINITY;
for (const w of workloads) {
  const run = await runOnly(w);
  const created = await createAndRun(w);
  const runRatio = run.ours / run.theirs;
  // Time: lower is better, so ours is ahead when theirs takes longer.
  const createRatio = created.theirs / created.ours;
  // One Pass state is there for what creation costs; throughput is judged on real workloads.
  if (w.transitions > 1) worstRun = Math.min(worstRun, runRatio);
  worstCreate = Math.min(worstCreate, createRatio);
  console.log(
    `${w.name.padEnd(36)} ${fmt(run.ours).padStart(20)} ${fmt(run.theirs)} ${`${runRatio.toFixed(1)}x`.padStart(6)}   ${fmt(created.ours, 2).padStart(20)} ${fmt(created.theirs, 2)} ${`${createRatio.toFixed(1)}x`.padStart(6)}`,
  );
}
console.log(
  `Map of 1000 items (ours, full history): peak heap growth ${mem.heapMb.toFixed(1)} MB, peak RSS ${mem.rssMb.toFixed(0)} MB`,
);
console.log(
  `worst ratio (ours vs ALS, higher is better): run-only ${worstRun.toFixed(1)}x (goal >= 3x), create-and-run ${worstCreate.toFixed(1)}x`,
);
