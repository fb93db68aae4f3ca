/**
 * `npm run conformance`: runs the AWS-recorded cases in ../shared/conformance against our engine,
 * event-pattern matcher and target-input handling, and fails when any falls below its floor. Raise a floor whenever the
 * engine or matcher gets better; never lower one to make CI pass.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const shared = join(root, "..", "shared", "conformance");

/** Minimum passing cases: Step Functions (of 423), EventBridge patterns (of 92) and target inputs (of 15). */
const FLOORS = [
  { suite: "sfn", runner: "run-sfn-cases.mjs", adapter: "test/conformance/sfn-adapter.ts", floor: 423 },
  { suite: "eventbridge", runner: "run-eb-cases.mjs", adapter: "test/conformance/eb-adapter.ts", floor: 92 },
  {
    suite: "eventbridge-inputs",
    runner: "run-eb-input-cases.mjs",
    adapter: "test/conformance/eb-inputs-adapter.ts",
    floor: 15,
  },
] as const;

if (!existsSync(shared)) {
  console.error(
    `conformance: ${shared} is missing; the cases live in ../shared/conformance beside the checkout`,
  );
  process.exit(1);
}

let failed = false;
for (const { suite, runner, adapter, floor } of FLOORS) {
  if (!existsSync(join(root, adapter))) {
    console.error(`conformance: ${suite}: adapter ${adapter} does not exist`);
    failed = true;
    continue;
  }
  const run = spawnSync(process.execPath, [join(shared, runner), adapter, ...process.argv.slice(2)], {
    cwd: root,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  process.stdout.write(run.stdout);
  process.stderr.write(run.stderr);
  const summary = /(\d+) passed, (\d+) failed/.exec(run.stdout.trim().split("\n").at(-1) ?? "");
  if (!summary) {
    console.error(`conformance: ${suite}: the runner printed no summary (exit ${run.status})`);
    failed = true;
    continue;
  }
  const passed = Number(summary[1]);
  const total = passed + Number(summary[2]);
  const verdict = passed >= floor ? "ok" : "BELOW FLOOR";
  console.log(
    `conformance: ${suite}: ${passed}/${total} (${((100 * passed) / total).toFixed(1)}%), floor ${floor}: ${verdict}`,
  );
  if (passed < floor) failed = true;
}
process.exit(failed ? 1 : 0);
