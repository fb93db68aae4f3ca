/**
 * A regional failover at fleet scale on the local runtime (instant clock, demo fleet): P premium, S
 * standard and B basic tenants onboarded, the copy pipeline left to run 20 simulated minutes, then the
 * primary region taken down. Reports the simulated RTO and RPO per tier and for the platform against
 * the tiers' targets, the wall time from the outage to the failover's end, and the state transitions
 * the failover execution made (Map iterations included).
 *
 *   node bench/failover.bench.ts            (or `npm run bench -- failover`; 10 premium, 20 standard, 20 basic)
 *   BENCH_FAILOVER=2,4,4 node bench/failover.bench.ts
 */
process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
process.env.POWERTOOLS_METRICS_DISABLED = "true";
process.env.POWERTOOLS_TRACE_ENABLED = "false";
const { createRuntime } = await import("../local/runtime.ts");
const { createClock } = await import("../local/clock/clock.ts");

const [premium = 10, standard = 20, basic = 20] = (process.env.BENCH_FAILOVER ?? "10,20,20")
  .split(",")
  .map((n) => Number(n.trim()));
const runtime = await createRuntime({ clock: createClock({ mode: { kind: "instant" } }), demoFleet: true });
const arnOf = (workflow: string) => runtime.stateMachineArn(workflow);
const status = (arn: string) => runtime.engine.describeExecution(arn).status;

async function until(done: () => boolean, stepMs = 30_000): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    await runtime.bus.drain();
    if (done()) return;
    await runtime.clock.sleep(stepMs);
  }
  throw new Error("not done within the simulated time given");
}

const wall0 = performance.now();
const tenants = [
  ...Array.from({ length: premium }, (_, i) => ({ name: `Premium ${i + 1}`, tier: "premium" })),
  ...Array.from({ length: standard }, (_, i) => ({ name: `Standard ${i + 1}`, tier: "standard" })),
  ...Array.from({ length: basic }, (_, i) => ({ name: `Basic ${i + 1}`, tier: "basic" })),
];
// In waves of 10, as an operator onboards a fleet: 50 at once on an instant clock starve the shared
// machine's handlers (lease calls time out), which measures the machine rather than the failover.
const runs: string[] = [];
for (let i = 0; i < tenants.length; i += 10) {
  const wave = tenants.slice(i, i + 10).map(
    (t) =>
      runtime.engine.startExecution({
        stateMachineArn: arnOf("tenant-onboarding"),
        input: JSON.stringify({ ...t, adminEmail: "ops@example.com" }),
      }).executionArn,
  );
  runs.push(...wave);
  await until(() => wave.every((arn) => status(arn) !== "RUNNING"));
}
const onboarded = runs.filter((arn) => status(arn) === "SUCCEEDED").length;
for (const arn of runs.filter((a) => status(a) !== "SUCCEEDED").slice(0, 3)) {
  const failed = runtime.engine.describeExecution(arn);
  console.log(`  onboarding ${failed.status}: ${failed.error} ${failed.cause?.slice(0, 300)}`);
}
const wallOnboard = performance.now() - wall0;
await runtime.clock.sleep(20 * 60_000);

const wall1 = performance.now();
const down = runtime.clock.now();
runtime.cloud.faults.regionDown(runtime.region);
const failovers = () =>
  runtime.engine.listExecutions({ stateMachineArn: arnOf("regional-failover") }).executions;
await until(() => failovers().length > 0);
const arn = failovers()[0]?.executionArn ?? "";
await until(() => status(arn) !== "RUNNING", 15_000);
const wallFailover = performance.now() - wall1;
const execution = runtime.engine.describeExecution(arn);
const output = JSON.parse(execution.output ?? "{}") as {
  outcome?: string;
  perTier?: Record<
    string,
    {
      rtoSeconds: number;
      rpoSeconds: number;
      rtoTargetSeconds: number;
      rpoTargetSeconds: number;
      recovered: number;
      failed: number;
    }
  >;
  missedTargets?: unknown[];
};
const history: { type: string }[] = [];
let nextToken: string | undefined;
do {
  const page = runtime.engine.getExecutionHistory(arn, { maxResults: 1000, nextToken });
  history.push(...page.events);
  nextToken = page.nextToken;
} while (nextToken);
const transitions = history.filter((e) => e.type.endsWith("StateEntered")).length;

console.log(
  `failover bench: ${premium} premium, ${standard} standard, ${basic} basic (${onboarded}/${tenants.length} onboarded)`,
);
console.log(`  onboarding wall ${(wallOnboard / 1000).toFixed(1)} s`);
console.log(
  `  failover ${execution.status} (${output.outcome ?? execution.error}), wall ${(wallFailover / 1000).toFixed(1)} s from outage to end, simulated ${((execution.stopDate?.getTime() ?? down) - down) / 1000} s`,
);
console.log(`  state transitions ${transitions}, history events ${history.length}`);
for (const [tier, t] of Object.entries(output.perTier ?? {}))
  console.log(
    `  ${tier.padEnd(8)} RTO ${t.rtoSeconds}s (target ${t.rtoTargetSeconds}s)  RPO ${t.rpoSeconds}s (target ${t.rpoTargetSeconds}s)  recovered ${t.recovered}, failed ${t.failed}`,
  );
console.log(`  missed targets ${output.missedTargets?.length ?? "?"}`);
await runtime.close();
