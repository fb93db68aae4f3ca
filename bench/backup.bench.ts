/**
 * Backup verification at fleet scale: N tenants (default 50; basic, standard, premium in turn) onboarded
 * on an instant clock with AWS's default durations (a restore takes 12 simulated minutes), their weekly
 * snapshots taken, a day passed; then two scheduled runs: a weekday night (premium only: nightly) and a
 * Sunday night (every tier). Per run: restores, the run's simulated duration and its wall time, each
 * tier's restore time against its RTO, and state transitions per tenant.
 *
 *   node bench/backup.bench.ts          (or `npm run bench -- backup`)
 *   BENCH_TENANTS=20 node bench/backup.bench.ts
 */
process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
process.env.POWERTOOLS_METRICS_DISABLED = "true";
process.env.POWERTOOLS_TRACE_ENABLED = "false";
const { createRuntime } = await import("../local/runtime.ts");
const { createClock } = await import("../local/clock/clock.ts");
const { onboardFleet } = await import("../local/start.ts");
const { BACKUP_POLICY } = await import("../functions/backup/lib/policy.ts");

const N = Number(process.env.BENCH_TENANTS ?? 50);
const TIERS = ["basic", "standard", "premium"] as const;
const runtime = await createRuntime({ clock: createClock({ mode: { kind: "instant" } }) });
for (const name of ["nightly-backup-verification", "weekly-backup-snapshots", "backup-scratch-sweeper"])
  runtime.scheduler.deleteSchedule({ Name: name });

async function run(workflow: string, input: unknown) {
  const { executionArn } = runtime.engine.startExecution({
    stateMachineArn: runtime.stateMachineArn(workflow),
    input: JSON.stringify(input),
  });
  for (;;) {
    const execution = runtime.engine.describeExecution(executionArn);
    if (execution.status !== "RUNNING") return execution;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const onboardStart = performance.now();
const failedOnboardings = await onboardFleet(runtime, N);
const onboarded = N - failedOnboardings.length;
const reasons = new Map<string, number>();
for (const f of failedOnboardings) reasons.set(f.error ?? "?", (reasons.get(f.error ?? "?") ?? 0) + 1);
if (reasons.size > 0) console.log(`onboarding failures: ${JSON.stringify(Object.fromEntries(reasons))}`);
console.log(
  `onboarded ${onboarded}/${N} tenants in ${((performance.now() - onboardStart) / 1000).toFixed(1)} s wall`,
);
// A day passes as the instant clock passes it (timer to timer, work done in between).
await new Promise<void>((resolve) => runtime.clock.setTimer(24 * 3600_000 + 10 * 60_000, resolve));
await run("backup-snapshots", { trigger: "manual" });

/** The next UTC midnight-based 03:00 on the given weekday (0 Sunday) after now. */
function nextNight(day: number): string {
  const at = new Date(runtime.clock.now());
  at.setUTCHours(3, 0, 0, 0);
  while (at.getUTCDay() !== day || at.getTime() <= runtime.clock.now()) at.setUTCDate(at.getUTCDate() + 1);
  return at.toISOString();
}

for (const [label, day] of [
  ["weekday night (Wednesday)", 3],
  ["Sunday night", 0],
] as const) {
  const wall = performance.now();
  const execution = await run("backup-verification", { trigger: "schedule", scheduledTime: nextNight(day) });
  const wallSeconds = (performance.now() - wall) / 1000;
  const output = JSON.parse(execution.output ?? "{}") as {
    outcome: string;
    tenants: {
      slug: string;
      outcome: string;
      restoreSeconds: number | null;
      failedChecks: { check: string }[];
    }[];
  };
  const history = [];
  let nextToken: string | undefined;
  do {
    const page = runtime.engine.getExecutionHistory(execution.executionArn, {
      maxResults: 1000,
      ...(nextToken ? { nextToken } : {}),
    });
    history.push(...page.events);
    nextToken = page.nextToken;
  } while (nextToken);
  const transitions = history.filter((e) => e.type.endsWith("StateEntered")).length;
  const simulated = ((execution.stopDate?.getTime() ?? 0) - execution.startDate.getTime()) / 1000;
  const tenants = output.tenants ?? [];
  const tierOf = (slug: string) => TIERS[(Number(slug.replace(/\D/g, "")) - 1) % 3];
  console.log(`\n${label}: ${execution.status}, outcome ${output.outcome}`);
  console.log(
    `  restores: ${tenants.filter((t) => t.restoreSeconds !== null).length} of ${tenants.length} tenants verified this night`,
  );
  console.log(
    `  simulated duration: ${(simulated / 60).toFixed(1)} min; wall time (--speed instant): ${wallSeconds.toFixed(1)} s`,
  );
  console.log(
    `  state transitions: ${transitions} (${(transitions / Math.max(1, tenants.length)).toFixed(1)} per tenant)`,
  );
  for (const tier of TIERS) {
    const mine = tenants.filter((t) => tierOf(t.slug) === tier && t.restoreSeconds !== null);
    if (mine.length === 0) continue;
    const seconds = mine.map((t) => t.restoreSeconds ?? 0);
    const failedChecks = [...new Set(mine.flatMap((t) => t.failedChecks.map((c) => c.check)))];
    console.log(
      `  ${tier}: restore ${Math.min(...seconds)}-${Math.max(...seconds)} s vs a budget of ${BACKUP_POLICY[tier].rtoSeconds} s (functions/backup/lib/policy.ts); failed checks: ${failedChecks.join(", ") || "none"}`,
    );
  }
}
await runtime.close();
