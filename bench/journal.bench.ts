/**
 * What the journal of acknowledged requests costs and what it saves, in the same run:
 *
 * 1. Throughput of StartExecution (a one-state machine) and of PutEvents (one entry, no rule) over
 *    HTTP from concurrent clients, against a runtime with the journal and one without (both
 *    checkpointing with the default timing), in alternating rounds. Also the journal's group size:
 *    records per fdatasync.
 * 2. The loss window: a `cplane start` child under load from concurrent clients (starts of tenant
 *    offboarding and events), killed with SIGKILL; the next start on its directory is asked for every
 *    execution and event that was answered. Lost must be 0; what the journal gave back is what a
 *    runtime without it would have lost, and how far back the oldest of that reached is the window.
 *
 *   node bench/journal.bench.ts          (or `npm run bench -- journal`)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// Quiet handlers, before any handler module loads.
process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
process.env.POWERTOOLS_METRICS_DISABLED = "true";
process.env.POWERTOOLS_TRACE_ENABLED = "false";
const { createRuntime } = await import("../local/runtime.ts");
const { serve } = await import("../local/start.ts");
const { startChildRuntime } = await import("../test/support/child-runtime.ts");
type Runtime = Awaited<ReturnType<typeof createRuntime>>;

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const BUDGET_MS = Number(process.env.BENCH_BUDGET_MS ?? 2000);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 16);
const KILLS = Number(process.env.BENCH_KILLS ?? 3);
const dirs: string[] = [];

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "cplane-bench-journal-"));
  dirs.push(dir);
  return dir;
}

async function aws<T>(url: string, target: string, body: unknown): Promise<T> {
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "x-amz-target": target,
      "content-type": target.startsWith("AWSStepFunctions.")
        ? "application/x-amz-json-1.0"
        : "application/x-amz-json-1.1",
    },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${target} answered ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

// ---------------------------------------------------------------- 1. throughput, with and without

type Kind = "StartExecution" | "PutEvents";

interface Served {
  readonly runtime: Runtime;
  readonly url: string;
  readonly stateMachineArn: string;
  close(): Promise<void>;
}

async function served(journal: boolean): Promise<Served> {
  const runtime = await createRuntime({ speed: "instant", dataDir: dataDir(), journal });
  const server = await serve(runtime, 0);
  const { stateMachineArn } = runtime.engine.createStateMachine({
    name: "bench-one",
    definition: { StartAt: "Done", States: { Done: { Type: "Pass", End: true } } },
  });
  return {
    runtime,
    url: server.url,
    stateMachineArn,
    async close() {
      await server.close();
      await runtime.close();
    },
  };
}

let names = 0;
/** Requests per second answered to `clients` clients over the budget. */
async function throughput(target: Served, kind: Kind, clients: number): Promise<number> {
  const request = () =>
    kind === "StartExecution"
      ? aws(target.url, "AWSStepFunctions.StartExecution", {
          stateMachineArn: target.stateMachineArn,
          name: `bench-${++names}`,
          input: '{"n":1}',
        })
      : aws(target.url, "AWSEvents.PutEvents", {
          Entries: [{ Source: "bench", DetailType: "Measured", Detail: '{"n":1}', EventBusName: "cplane" }],
        });
  const until = performance.now() + BUDGET_MS;
  const start = performance.now();
  let answered = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < until) {
        await request();
        answered++;
      }
    }),
  );
  return answered / ((performance.now() - start) / 1000);
}

async function compareThroughput(): Promise<void> {
  const on = await served(true);
  const off = await served(false);
  try {
    for (const [kind, clients] of [
      ["StartExecution", 1],
      ["StartExecution", CLIENTS],
      ["PutEvents", 1],
      ["PutEvents", CLIENTS],
    ] as const) {
      const results: Record<"on" | "off", number[]> = { on: [], off: [] };
      await throughput(on, kind, clients);
      await throughput(off, kind, clients);
      const before = on.runtime.journal?.status ?? { appended: 0, syncs: 0 };
      for (let round = 0; round < ROUNDS; round++) {
        for (const mode of round % 2 === 0 ? (["off", "on"] as const) : (["on", "off"] as const)) {
          results[mode].push(await throughput(mode === "on" ? on : off, kind, clients));
        }
      }
      const after = on.runtime.journal?.status ?? { appended: 0, syncs: 0 };
      const best = (values: number[]) => Math.max(...values);
      const median = (values: number[]) =>
        [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
      const group = (after.appended - before.appended) / Math.max(1, after.syncs - before.syncs);
      const label = `${kind}, ${clients} client(s)`;
      const ratio = (pick: (values: number[]) => number) => (pick(results.on) / pick(results.off)).toFixed(2);
      console.log(
        `${label.padEnd(28)} best without ${best(results.off).toFixed(0)}/s, with ${best(results.on).toFixed(0)}/s: with/without ${ratio(best)} (median ${ratio(median)}); ${group.toFixed(1)} records per sync`,
      );
    }
  } finally {
    await on.close();
    await off.close();
  }
}

// ---------------------------------------------------------------- 2. the loss window

const OFFBOARDING = "arn:aws:states:us-east-1:000000000000:stateMachine:tenant-offboarding";

async function lossWindow(kill: number): Promise<void> {
  const dir = dataDir();
  const child = await startChildRuntime({ dataDir: dir, speed: "60" });
  const executions = new Map<string, number>();
  const events = new Map<string, number>();
  let stop = false;
  const client = async (id: number) => {
    for (let n = 0; !stop; n++) {
      try {
        if (n % 2 === 0) {
          const { executionArn } = await aws<{ executionArn: string }>(
            child.url,
            "AWSStepFunctions.StartExecution",
            {
              stateMachineArn: OFFBOARDING,
              name: `loss-${id}-${n}`,
              input: JSON.stringify({ tenantId: `nobody-${id}-${n}` }),
            },
          );
          executions.set(executionArn, performance.now());
        } else {
          const out = await aws<{ Entries: { EventId?: string }[] }>(child.url, "AWSEvents.PutEvents", {
            Entries: [
              {
                Source: "bench",
                DetailType: "Measured",
                Detail: JSON.stringify({ id, n }),
                EventBusName: "cplane",
              },
            ],
          });
          for (const entry of out.Entries) if (entry.EventId) events.set(entry.EventId, performance.now());
        }
      } catch {
        return;
      }
    }
  };
  const loading = Promise.all(Array.from({ length: CLIENTS }, (_, id) => client(id)));
  await new Promise((resolve) => setTimeout(resolve, BUDGET_MS));
  const killedAt = performance.now();
  await child.stop("SIGKILL");
  stop = true;
  await loading;

  const after = await createRuntime({ speed: "manual", dataDir: dir });
  try {
    const known = (arn: string) => {
      try {
        after.engine.describeExecution(arn);
        return true;
      } catch {
        return false;
      }
    };
    const logged = new Set(after.bus.events().map((e) => e.event.id));
    const lostExecutions = [...executions.keys()].filter((arn) => !known(arn)).length;
    const lostEvents = [...events.keys()].filter((id) => !logged.has(id)).length;
    const given = [
      ...after.replayed.started.map((arn) => executions.get(arn)),
      ...after.replayed.events.map((id) => events.get(id)),
    ].filter((at): at is number => at !== undefined);
    const window = given.length > 0 ? (killedAt - Math.min(...given)) / 1000 : 0;
    console.log(
      `kill ${kill}: answered ${executions.size} starts and ${events.size} events; lost ${lostExecutions} and ${lostEvents}; the journal gave back ${after.replayed.started.length} starts and ${after.replayed.events.length} events (answered up to ${window.toFixed(2)} s before the kill), which a runtime without it would have lost`,
    );
  } finally {
    await after.close();
  }
}

try {
  console.log(
    `throughput over HTTP, ${ROUNDS} alternating rounds of ${BUDGET_MS} ms each (best, and the ratio of medians):`,
  );
  await compareThroughput();
  console.log(`\nSIGKILL after ${BUDGET_MS} ms of load (${CLIENTS} clients, \`cplane start\` at 60x):`);
  for (let kill = 1; kill <= KILLS; kill++) await lossWindow(kill);
} finally {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}
