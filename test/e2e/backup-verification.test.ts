/**
 * Backup verification end to end on the local runtime: tenants onboarded by the real workflow, their
 * weekly snapshots taken by backup-snapshots, then backup-verification restoring each into a scratch
 * cluster, verifying it with SQL and cleaning up. After every run: nothing scratch is left and no
 * tenant cluster was changed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Runtime } from "../../local/runtime.ts";
import {
  backupRuntime,
  expectNoScratch,
  onboard,
  outputOf,
  productionState,
  run,
  tenantOf,
} from "./backup-support.ts";

let runtime: Runtime;
const SLUGS = ["acme", "globex", "hooli"];

beforeAll(async () => {
  runtime = await backupRuntime();
  await onboard(runtime, [
    { name: "Acme", tier: "premium", rows: 40 },
    { name: "Globex", tier: "standard", rows: 25 },
    { name: "Hooli", tier: "basic", rows: 10 },
  ]);
  // A day later the daily automated snapshots hold the schema and the rows (available minutes later).
  await runtime.clock.advance(24 * 3600_000 + 10 * 60_000);
  const weekly = await run(runtime, "backup-snapshots", { trigger: "manual" });
  expect(weekly.status, weekly.cause).toBe("SUCCEEDED");
}, 600_000);
afterAll(async () => {
  await runtime?.close();
});

describe("backup verification", () => {
  it("verifies every tenant: policy, restore, data, restore time within the RTO, cleanup", async () => {
    const before = await productionState(SLUGS);

    const output = outputOf(await run(runtime, "backup-verification", { trigger: "manual" }));

    expect(output.outcome, JSON.stringify(output)).toBe("verified");
    expect(output.tenants.map((t) => t.slug).sort()).toEqual(SLUGS);
    for (const slug of SLUGS) {
      const tenant = tenantOf(output, slug);
      expect(tenant).toMatchObject({ outcome: "verified", failedChecks: [] });
      expect(tenant.restoreSeconds).toBeGreaterThanOrEqual(240);
      expect(tenant.restoreSeconds).toBeLessThanOrEqual(300);
    }
    await expectNoScratch(runtime);
    expect(await productionState(SLUGS)).toEqual(before);
  }, 600_000);
});
