/**
 * What a run report costs for a 200-tenant backup verification: its history (the local engine runs a
 * Map over 200 clusters, eight states each, with a Wait per restore) turned into the report's steps,
 * and the report body's size and gzip time, against the alternative of keeping the raw history (as
 * GetExecutionHistory returns it without execution data) in the same run.
 *
 *   node bench/reports.bench.ts          (or `npm run bench -- reports`)
 */
import { gzipSync } from "node:zlib";
import type { HistoryEvent } from "@aws-sdk/client-sfn";
import { buildTimeline } from "../functions/reports/lib/history.ts";
import { createClock } from "../local/clock/clock.ts";
import { Engine } from "../local/engine/engine.ts";

const TENANTS = Number(process.env.BENCH_TENANTS ?? 200);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);

const task = (fn: string, next: string) => ({
  Type: "Task",
  Resource: "arn:aws:states:::lambda:invoke",
  Arguments: { FunctionName: fn, Payload: "{% $states.input %}" },
  Output: "{% $states.input %}",
  Next: next,
});

const definition = {
  QueryLanguage: "JSONata",
  StartAt: "PerCluster",
  States: {
    PerCluster: {
      Type: "Map",
      Items: `{% [1..${TENANTS}] %}`,
      MaxConcurrency: 10,
      ItemProcessor: {
        StartAt: "CheckPolicy",
        States: {
          CheckPolicy: task("check-policy", "IsFresh"),
          IsFresh: {
            Type: "Choice",
            Choices: [{ Condition: "{% true %}", Next: "Restore" }],
            Default: "Restore",
          },
          Restore: task("restore", "WaitForRestore"),
          WaitForRestore: {
            Type: "Wait",
            Seconds: "{% 300 + $states.input % 7 * 60 %}",
            Next: "CheckRestore",
          },
          CheckRestore: task("check-restore", "VerifyData"),
          VerifyData: task("verify-data", "Cleanup"),
          Cleanup: task("cleanup", "Verified"),
          Verified: { Type: "Pass", End: true },
        },
      },
      End: true,
    },
  },
};

const engine = new Engine({
  clock: createClock({ mode: { kind: "instant" }, start: Date.parse("2026-11-23T03:00:00Z") }),
  runtime: { invokeFunction: async () => ({}) },
});
const { stateMachineArn } = engine.createStateMachine({ name: "backup-verification", definition });
const { executionArn } = engine.startExecution({ stateMachineArn, input: "{}" });
const ended = await engine.waitForExecution(executionArn);
if (ended.status !== "SUCCEEDED") throw new Error(`the run ended ${ended.status}: ${ended.cause}`);
const events: HistoryEvent[] = [];
let nextToken: string | undefined;
do {
  const page = engine.getExecutionHistory(executionArn, {
    includeExecutionData: false,
    maxResults: 1000,
    nextToken,
  });
  events.push(...(page.events as unknown as HistoryEvent[]));
  nextToken = page.nextToken;
} while (nextToken);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function timed<T>(work: () => T): { result: T; ms: number } {
  const times: number[] = [];
  let result = work();
  for (let i = 0; i < ROUNDS; i++) {
    const started = performance.now();
    result = work();
    times.push(performance.now() - started);
  }
  return { result, ms: median(times) };
}

const timeline = timed(() => buildTimeline(events));
// The yardstick: reading the same history once as text (what any consumer of it pays at least).
const stringify = timed(() => JSON.stringify(events));
const body = JSON.stringify({ steps: timeline.result.steps });
const bodyGzip = timed(() => gzipSync(body));
const raw = JSON.stringify(events);
const rawGzip = timed(() => gzipSync(raw));

const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;
console.log(`${TENANTS} tenants: ${events.length} history events, ${timeline.result.steps.length} steps`);
console.log(
  `steps from history: ${timeline.ms.toFixed(1)} ms (median of ${ROUNDS}); JSON.stringify of the same history: ` +
    `${stringify.ms.toFixed(1)} ms (${(timeline.ms / stringify.ms).toFixed(2)}x)`,
);
console.log(
  `report steps: ${kb(body.length)} JSON, ${kb(bodyGzip.result.length)} gzipped in ${bodyGzip.ms.toFixed(1)} ms`,
);
console.log(
  `raw history:  ${kb(raw.length)} JSON, ${kb(rawGzip.result.length)} gzipped in ${rawGzip.ms.toFixed(1)} ms`,
);
console.log(
  `report vs raw history: ${(raw.length / body.length).toFixed(1)}x smaller as JSON, ` +
    `${(rawGzip.result.length / bodyGzip.result.length).toFixed(1)}x smaller gzipped`,
);
