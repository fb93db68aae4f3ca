/**
 * The console's costs, in Debian's Chromium driven by playwright-core against a runtime in this
 * process (instant clock, no data directory):
 * - time to first render of the executions page (200 executions) and of one execution with about 500
 *   history events, from navigation start to the view drawn with its data, against the time the same
 *   page takes to fetch that data alone (the API calls it makes, timed in the page);
 * - the JavaScript shipped (gzip, as served), against the graph layout library alone;
 * - the CPU this process (the runtime, serving the page's polling) spends while the runtime is idle,
 *   with no page open, with the executions page open and with a finished execution open.
 *
 *   node bench/console.bench.ts          (or `npm run bench -- console`)
 */
import { createClock } from "../local/clock/clock.ts";
import { consoleAssets } from "../local/console/routes.ts";
import { createRuntime } from "../local/runtime.ts";
import { serve } from "../local/start.ts";
import { launchBrowser } from "../test/support/browser.ts";

const EXECUTIONS = Number(process.env.BENCH_EXECUTIONS ?? 200);
const LOOPS = Number(process.env.BENCH_LOOPS ?? 124);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 20_000);

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

// What is shipped.
const assets = consoleAssets();
let js = 0;
let other = 0;
for (const [path, file] of assets) {
  if (path.endsWith(".js")) js += file.gzip.length;
  else other += file.gzip.length;
}
const dagre = assets.get("/console/vendor/dagre.js")?.gzip.length ?? 0;
console.log(
  `JavaScript shipped (gzip): ${kb(js)}: graph layout (dagre) ${kb(dagre)}, the console's own ${kb(js - dagre)}; HTML + CSS ${kb(other)}`,
);

const runtime = await createRuntime({ clock: createClock({ mode: { kind: "instant" } }) });
const server = await serve(runtime, 0);
const quick = runtime.engine.createStateMachine({
  name: "bench-quick",
  definition: { QueryLanguage: "JSONata", StartAt: "Done", States: { Done: { Type: "Succeed" } } },
}).stateMachineArn;
// Each round of the loop is a Pass and a Choice, entered and exited: four history events.
const looping = runtime.engine.createStateMachine({
  name: "bench-loop",
  definition: {
    QueryLanguage: "JSONata",
    StartAt: "Count",
    States: {
      Count: { Type: "Pass", Output: "{% {'n': $states.input.n + 1} %}", Next: "More" },
      More: {
        Type: "Choice",
        Choices: [{ Condition: `{% $states.input.n < ${LOOPS} %}`, Next: "Count" }],
        Default: "Done",
      },
      Done: { Type: "Succeed" },
    },
  },
}).stateMachineArn;
const arns = Array.from(
  { length: EXECUTIONS },
  () => runtime.engine.startExecution({ stateMachineArn: quick }).executionArn,
);
const { executionArn: big } = runtime.engine.startExecution({ stateMachineArn: looping, input: '{"n": 0}' });
await Promise.all([...arns, big].map((arn) => runtime.engine.waitForExecution(arn)));
const events = runtime.engine.getExecutionHistory(big, { maxResults: 1000 }).events.length;

const browser = await launchBrowser();
const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });

async function firstRender(hash: string, fetchData: string) {
  const renders: number[] = [];
  const fetches: number[] = [];
  for (let i = 0; i < ROUNDS + 1; i++) {
    const page = await context.newPage();
    await page.goto(`${server.url}/${hash}`);
    await page.waitForSelector(".view[data-rendered]", { timeout: 120_000 });
    const rendered = Number(await page.getAttribute(".view", "data-rendered"));
    const fetched = await page.evaluate<number>(fetchData);
    await page.close();
    // The first round warms the server's and the browser's caches; it is not counted.
    if (i > 0) {
      renders.push(rendered);
      fetches.push(fetched);
    }
  }
  return { render: median(renders), fetch: median(fetches) };
}

const sfnCall = (operation: string, input: string) =>
  `fetch("/", { method: "POST", headers: { "content-type": "application/x-amz-json-1.0", "x-amz-target": "AWSStepFunctions.${operation}" }, body: JSON.stringify(${input}) }).then((r) => r.json())`;
const listAll = `(async () => { const t = performance.now(); const { stateMachines } = await ${sfnCall("ListStateMachines", "{}")}; await Promise.all(stateMachines.map((sm) => ${sfnCall("ListExecutions", "{ stateMachineArn: sm.stateMachineArn, maxResults: 1000 }")})); return performance.now() - t; })()`;
const historyOnly = `(async () => { const t = performance.now(); await ${sfnCall("DescribeExecution", `{ executionArn: ${JSON.stringify(big)} }`)}; await ${sfnCall("GetExecutionHistory", `{ executionArn: ${JSON.stringify(big)}, maxResults: 1000 }`)}; return performance.now() - t; })()`;

// The page with no data to show: the shell's own cost (HTML, CSS, modules, the layout library).
const shell = await firstRender("#/nothing-here", "0");
console.log(
  `the shell alone (a page with no data): first render ${shell.render.toFixed(0)} ms from navigation (median of ${ROUNDS})`,
);
const list = await firstRender("#/executions", listAll);
console.log(
  `executions page, ${EXECUTIONS + 1} executions: first render ${list.render.toFixed(0)} ms from navigation (median of ${ROUNDS}); its data alone ${list.fetch.toFixed(0)} ms (${(list.render / list.fetch).toFixed(1)}x)`,
);
const one = await firstRender(`#/executions/${encodeURIComponent(big)}`, historyOnly);
console.log(
  `execution with ${events} history events: first render ${one.render.toFixed(0)} ms from navigation (median of ${ROUNDS}); its data alone ${one.fetch.toFixed(0)} ms (${(one.render / one.fetch).toFixed(1)}x)`,
);

async function cpuWhile(label: string, hash?: string) {
  const page = hash ? await context.newPage() : undefined;
  if (page && hash) {
    await page.goto(`${server.url}/${hash}`);
    await page.waitForSelector(".view[data-rendered]", { timeout: 120_000 });
  }
  const before = process.cpuUsage();
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
  const used = process.cpuUsage(before);
  const wall = performance.now() - started;
  await page?.close();
  const ms = (used.user + used.system) / 1000;
  console.log(
    `idle runtime, ${label}: ${ms.toFixed(0)} ms CPU in ${(wall / 1000).toFixed(0)} s (${((ms / wall) * 100).toFixed(2)} % of a core)`,
  );
  return ms / wall;
}
const none = await cpuWhile("no page open");
const listOpen = await cpuWhile("executions page open (polls every 5 s when nothing runs)", "#/executions");
const doneOpen = await cpuWhile("a finished execution open", `#/executions/${encodeURIComponent(big)}`);
console.log(
  `live updates cost ${((listOpen - none) * 100).toFixed(2)} % of a core over idle with the executions page open (${(listOpen / Math.max(none, 1e-9)).toFixed(1)}x idle), ${((doneOpen - none) * 100).toFixed(2)} % with a finished execution open`,
);

await browser.close();
await server.close();
await runtime.close();
