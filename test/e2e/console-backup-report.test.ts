/**
 * The console's backup verification report, from a real run: two tenants onboarded by the real
 * workflow (standard and basic), a day of automated snapshots, the weekly snapshots, then
 * backup-verification; its report page in a real browser must chart each tenant's restore time
 * against its tier's RTO budget, as the run measured and recorded them.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Report } from "../../functions/reports/lib/report.ts";
import type { Runtime } from "../../local/runtime.ts";
import type { LocalServer } from "../../local/server/http.ts";
import { serve } from "../../local/start.ts";
import { launchBrowser, watchedPage } from "../support/browser.ts";
import {
  backupRuntime,
  onboard,
  outputOf,
  passTime,
  run,
  takeWeeklySnapshots,
  withoutSchedules,
} from "./backup-support.ts";

const ARTIFACTS = join(import.meta.dirname, "..", "artifacts", "console");
let runtime: Runtime;
let server: LocalServer;
let browser: Browser;
let page: Page;
let errors: string[];

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  runtime = await backupRuntime();
  withoutSchedules(runtime);
  await onboard(runtime, [
    { name: "Globex", tier: "standard", rows: 5 },
    { name: "Hooli", tier: "basic", rows: 5 },
  ]);
  // A day later the daily automated snapshots hold the schema and the rows.
  await passTime(runtime, 24 * 3600_000 + 10 * 60_000);
  await takeWeeklySnapshots(runtime);
  server = await serve(runtime, 0);
  browser = await launchBrowser();
  ({ page, errors } = await watchedPage(browser));
}, 900_000);
afterEach(() => {
  expect(errors.splice(0)).toEqual([]);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await runtime?.close();
});

describe("a backup verification run's report in the console", () => {
  it("charts each tenant's restore time against its tier's RTO budget", async () => {
    // Act: the run, then its report in the browser
    const execution = await run(runtime, "backup-verification", { trigger: "manual" }, "console-backup");
    const output = outputOf(execution);
    expect(output.outcome, JSON.stringify(output)).toBe("verified");
    const response = await fetch(
      `${server.url}/_cplane/reports/${encodeURIComponent(execution.executionArn)}`,
    );
    const report = (await response.json()) as Report;
    const tenants = report.decisions.filter((d) => d.name === "tenant");
    expect(tenants.map((d) => d.subject).sort()).toEqual(["globex", "hooli"]);

    await page.goto(`${server.url}/#/reports/${encodeURIComponent(execution.executionArn)}`);
    const chart = page.locator('svg.chart[data-metric="restoreSeconds"]');
    await chart.waitFor({ timeout: 30_000 });

    // Assess: a point per tenant, labelled by its slug, at the restore time the run measured, and the
    // threshold at each tenant's RTO (standard 30 minutes, basic 60)
    const labels = await chart.locator("text.tick title").allTextContents();
    expect(labels).toEqual(tenants.map((d) => `${d.subject}: ${d.outcome}`));
    const points = await chart.locator("circle.series-value title").allTextContents();
    expect(points).toEqual(tenants.map((d) => `value ${d.inputs?.restoreSeconds}`));
    expect(tenants.map((d) => d.inputs?.restoreSeconds)).toEqual(
      tenants.map((d) => output.tenants.find((t) => t.slug === d.subject)?.restoreSeconds),
    );
    const budgets = tenants.map((d) => d.thresholds?.rtoSeconds);
    expect([...budgets].sort()).toEqual([1800, 3600]);
    expect(await chart.locator("path.threshold title").textContent()).toBe(`threshold ${budgets.join(", ")}`);
    // Each tenant's own budget as a level, not a slope from one tenant's to the next.
    expect(await chart.locator("path.threshold").getAttribute("d")).toMatch(
      /^M[\d.]+,[\d.]+(?:[HV][\d.]+)+$/,
    );
    await page.screenshot({ path: join(ARTIFACTS, "report-backup.png") });
  }, 600_000);
});
