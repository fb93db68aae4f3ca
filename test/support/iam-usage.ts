/**
 * Vitest global setup: every runtime the suite starts records which catalog statements its calls used
 * (CPLANE_IAM_USAGE_DIR); after the suite, the statements no call used are written to
 * `test/artifacts/iam-unused.json` (the test artifact of unused permissions) and counted in one line.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export default function setup(): () => Promise<void> {
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
    // A run that started no runtime (unit tests only) says nothing about the catalog: no artifact.
    // A partial run writes one too; only the whole suite's is the list of candidates for removal.
    if (report.used === 0) return;
    const out = join(import.meta.dirname, "..", "..", "test", "artifacts");
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, "iam-unused.json"), `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(
      `local IAM: ${report.used} of ${report.statements} catalog statements used by the suite, ${report.serviceRoles?.used ?? 0} of ${report.serviceRoles?.statements ?? 0} service role statements; unused in test/artifacts/iam-unused.json\n`,
    );
  };
}
