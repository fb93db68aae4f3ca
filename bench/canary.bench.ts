/**
 * What a canary promotion costs on the local runtime at `--speed instant` (demo fleet, no data
 * directory): the default rollout of api (10/25/50 %, then 100 % while stable still runs, an hour's bake
 * each, an analysis a minute, each step's pods ready before its traffic moves) against the same rollout with 10-minute bakes in the same run, in wall time, simulated time
 * and state transitions (what Step Functions bills); and, for a release failing 5 % of its requests,
 * the simulated seconds from the breach becoming visible in the metrics to every request on stable.
 *
 *   node bench/canary.bench.ts          (or `npm run bench -- canary`)
 */
import { createClock } from "../local/clock/clock.ts";
import { createRuntime, type Runtime } from "../local/runtime.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

function start(runtime: Runtime, input: unknown): string {
  return runtime.engine.startExecution({
    stateMachineArn: runtime.stateMachineArn("canary-promotion"),
    input: JSON.stringify(input),
  }).executionArn;
}

function history(runtime: Runtime, arn: string) {
  const all = [];
  let nextToken: string | undefined;
  do {
    const page = runtime.engine.getExecutionHistory(arn, {
      maxResults: 1000,
      ...(nextToken ? { nextToken } : {}),
    });
    all.push(...page.events);
    nextToken = page.nextToken;
  } while (nextToken);
  return all;
}

async function promote(runtime: Runtime, input: Record<string, unknown>) {
  const started = performance.now();
  const arn = start(runtime, input);
  const done = await runtime.engine.waitForExecution(arn);
  const wallMs = performance.now() - started;
  const events = history(runtime, arn);
  const entered = events.filter((e) => e.type.endsWith("StateEntered"));
  const simulatedS =
    ((entered.at(-1)?.timestamp.getTime() ?? 0) - (entered[0]?.timestamp.getTime() ?? 0)) / 1000;
  return {
    status: done.status,
    output: done.output,
    wallMs,
    simulatedS,
    transitions: entered.length,
    events,
  };
}

const runtime = await createRuntime({ clock: createClock({ mode: { kind: "instant" } }), demoFleet: true });
try {
  const rows: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const full = await promote(runtime, { service: "api", image: `cplane/api:7.${round}.0` });
    const short = await promote(runtime, {
      service: "api",
      image: `cplane/api:7.${round}.1`,
      bakeMinutes: 10,
    });
    if (!String(short.output).includes("promoted")) rows.push(`  10-min output: ${short.output}`);
    rows.push(
      `round ${round + 1}: default ${full.status} ${(full.wallMs / 1000).toFixed(1)} s wall, ${(full.simulatedS / 3600).toFixed(2)} h simulated, ${full.transitions} transitions | 10-min bakes ${short.status} ${(short.wallMs / 1000).toFixed(1)} s wall, ${(short.simulatedS / 60).toFixed(1)} min simulated, ${short.transitions} transitions | wall ratio ${(full.wallMs / short.wallMs).toFixed(2)}`,
    );
  }
  runtime.cloud.traffic.setBehaviour({ region: runtime.region, namespace: "shop", service: "api" }, "7.9.9", {
    errorRate: 0.05,
  });
  const bad = await promote(runtime, { service: "api", image: "cplane/api:7.9.9" });
  let current = "";
  let windowEnd = 0;
  let stableAt = 0;
  for (const e of bad.events) {
    if (e.type.endsWith("StateEntered")) current = (e.stateEnteredEventDetails as { name: string }).name;
    if (e.type !== "TaskSucceeded") continue;
    const raw = (e.taskSucceededEventDetails as { output: unknown }).output;
    const payload = (
      (typeof raw === "string" ? JSON.parse(raw) : raw) as { Payload: Record<string, unknown> }
    ).Payload;
    if (current === "Analyze") windowEnd = Date.parse((payload.window as { end: string }).end);
    if (current === "Rollback") stableAt = Number(payload.stableAt);
  }
  for (const row of rows) console.log(row);
  console.log(
    `bad release (5 % errors): ${bad.output}\n  breach visible → every request on stable: ${(stableAt - windowEnd) / 1000} simulated s; ${bad.transitions} transitions; ${(bad.wallMs / 1000).toFixed(1)} s wall`,
  );
} finally {
  await runtime.close();
}
