/**
 * Vitest global setup: every runtime the suite starts records which catalog statements its calls used
 * (CPLANE_IAM_USAGE_DIR); after the run, the statements no call used are written to
 * `test/artifacts/iam-unused.json` (the test artifact of unused permissions, not committed) — but only
 * when every test file of the suite ran: a statement a run of some files did not use is not a candidate
 * for removal, so a partial run says what it covered and leaves the artifact alone.
 */
import { globSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { TestProject } from "vitest/node";

/** Which of the suite's test files this run ran: all of them, or which were left out. */
export function coverageOfRun(
  suite: readonly string[],
  ran: readonly string[],
  testNamePattern: RegExp | undefined,
): { files: number; ran: number; complete: boolean; leftOut: string[] } {
  const done = new Set(ran);
  const leftOut = suite.filter((file) => !done.has(file)).sort();
  return {
    files: suite.length,
    ran: suite.length - leftOut.length,
    // A test name filter runs some tests of each file: as partial as leaving files out.
    complete: leftOut.length === 0 && testNamePattern === undefined,
    leftOut,
  };
}

export default function setup(project: TestProject): () => Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "cplane-iam-usage-"));
  process.env.CPLANE_IAM_USAGE_DIR = dir;
  return async () => {
    const { functionCatalog } = await import("../../functions/catalog.ts");
    const { unusedReport } = await import("../../local/iam/usage.ts");
    const { serviceStatements } = await import("./iam-service-statements.ts");
    const report = unusedReport(
      functionCatalog,
      { app: "cplane", stage: "local" },
      dir,
      await serviceStatements(),
    );
    rmSync(dir, { recursive: true, force: true });
    // A run that started no runtime (unit tests only) says nothing about the catalog.
    if (report.used === 0) return;
    const root = project.config.root;
    // The suite is the config's include, globbed here: the run's own exclude holds `--exclude` too.
    const suite = project.config.include.flatMap((pattern) =>
      globSync(pattern, { cwd: root, exclude: (name) => name === "node_modules" }).map((f) =>
        resolve(root, f),
      ),
    );
    const run = coverageOfRun(
      suite,
      project.vitest.state.getFiles().map((file) => file.filepath),
      project.vitest.config.testNamePattern,
    );
    const counts = `${report.used} of ${report.statements} catalog statements used, ${report.serviceRoles?.used ?? 0} of ${report.serviceRoles?.statements ?? 0} service role statements`;
    if (!run.complete) {
      process.stdout.write(
        `local IAM: ${counts} by ${run.ran} of ${run.files} test files${run.ran === run.files ? " (a test name filter)" : ""}: a partial run, test/artifacts/iam-unused.json not written\n`,
      );
      return;
    }
    const out = join(root, "test", "artifacts");
    mkdirSync(out, { recursive: true });
    const artifact = { testFiles: run.files, writtenAt: new Date().toISOString(), ...report };
    writeFileSync(join(out, "iam-unused.json"), `${JSON.stringify(artifact, null, 2)}\n`);
    process.stdout.write(
      `local IAM: ${counts} by the whole suite (${run.files} test files); unused in test/artifacts/iam-unused.json\n`,
    );
  };
}
