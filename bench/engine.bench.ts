/**
 * Engine benchmark: the same JSONPath definitions on our engine (recording the full history) and on
 * aws-local-stepfunctions 3.0.0, in the same process. Prints transitions per second and the ratio per
 * workload, and the peak memory of the Map workload.
 *
 *   node bench/engine.bench.ts            (or `npm run bench -- engine`)
 */
import { StateMachine } from "aws-local-stepfunctions";
import { createClock } from "../local/clock/clock.ts";
import { Engine } from "../local/engine/engine.ts";
import type { Json } from "../local/engine/json.ts";

const FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:double";
const BUDGET_MS = Number(process.env.BENCH_BUDGET_MS ?? 3000);
const ROUNDS = 3;

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
async function bench(w: Workload): Promise<{ ours: number; theirs: number }> {
  const engine = ourEngine();
  const { stateMachineArn } = engine.createStateMachine({ name: "bench", definition: w.definition });
  const inputText = JSON.stringify(w.input);
  const machine = new StateMachine(w.definition as never, {
    validationOptions: { checkArn: false, checkPaths: false },
  });
  const overrides = { taskResourceLocalHandlers: { Work: (input: unknown) => handler(input) as never } };
  let ours = 0;
  let theirs = 0;
  for (let round = 0; round < ROUNDS; round++) {
    ours = Math.max(
      ours,
      await measure(() => runOurs(engine, stateMachineArn, inputText), BUDGET_MS / ROUNDS),
    );
    theirs = Math.max(
      theirs,
      await measure(async () => {
        await machine.run(w.input as never, { overrides }).result;
      }, BUDGET_MS / ROUNDS),
    );
  }
  return { ours: ours * w.transitions, theirs: theirs * w.transitions };
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

// Memory first, on a fresh heap, so that earlier workloads' executions do not colour it.
const mem = await mapMemory(map(1000));
const workloads = [chain(200), counter(500), map(1000)];
const fmt = (n: number) => Math.round(n).toLocaleString("en-US").padStart(12);
console.log(`${"workload".padEnd(40)} ${"ours tr/s".padStart(12)} ${"ALS tr/s".padStart(12)}  ratio`);
let worst = Number.POSITIVE_INFINITY;
for (const w of workloads) {
  const r = await bench(w);
  const ratio = r.ours / r.theirs;
  worst = Math.min(worst, ratio);
  console.log(`${w.name.padEnd(40)} ${fmt(r.ours)} ${fmt(r.theirs)}  ${ratio.toFixed(1)}x`);
}
console.log(
  `Map of 1000 items (ours, full history): peak heap growth ${mem.heapMb.toFixed(1)} MB, peak RSS ${mem.rssMb.toFixed(0)} MB`,
);
console.log(`worst ratio ${worst.toFixed(1)}x (goal >= 3x)`);
