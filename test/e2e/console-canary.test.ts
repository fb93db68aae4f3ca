/**
 * The console's canary report, from a real run: canary-promotion on the local runtime (demo fleet,
 * instant clock) with a release that is good at 10 and 25 % and fails at 50 %, rolled back; then its
 * report page in a real browser, whose charts must draw that run's canary and stable values per stage
 * and its gates as thresholds. Its screenshot is the README's report picture.
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
import { behave, canaryRuntime, onEvent, output, start } from "./canary/support.ts";

const ARTIFACTS = join(import.meta.dirname, "..", "artifacts", "console");
let runtime: Runtime;
let server: LocalServer;
let browser: Browser;
let page: Page;
let errors: string[];

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  runtime = await canaryRuntime();
  server = await serve(runtime, 0);
  browser = await launchBrowser();
  ({ page, errors } = await watchedPage(browser));
}, 120_000);
afterEach(() => {
  expect(errors.splice(0)).toEqual([]);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await runtime?.close();
});

type Decision = Report["decisions"][number] & {
  inputs: Record<string, number>;
  thresholds: Record<string, number>;
};

/** Each point of a chart's series, as its tooltip names it (`canary 0.41`), left to right. */
async function seriesValues(metric: string, series: string): Promise<number[]> {
  const titles = await page
    .locator(`svg.chart[data-metric="${metric}"] circle.series-${series} title`)
    .allTextContents();
  return titles.map((t) => Number(t.replace(`${series} `, "")));
}

describe("a canary run's report in the console", () => {
  it("charts canary vs stable per stage with the run's gates as thresholds", async () => {
    // Prepare: good at 10 and 25 %, an error rate of 5 % from the moment it takes 50 %
    const image = "cplane/api:2.1.0";
    let arn = "";
    const stop = onEvent(
      runtime,
      "Canary Step Promoted",
      (d) => d.executionArn === arn && d.weight === 50,
      () => behave(runtime, "api", "2.1.0", { errorRate: 0.05 }),
    );

    // Act: the run, then its report in the browser
    arn = start(runtime, { service: "api", image, bakeMinutes: 10 }, "console-canary");
    const done = await output(runtime, arn);
    stop();
    expect(done.status, done.cause).toBe("SUCCEEDED");
    expect(done.result).toMatchObject({ outcome: "rolled-back", step: 50, breach: { gate: "error-rate" } });
    const response = await fetch(`${server.url}/_cplane/reports/${encodeURIComponent(arn)}`);
    expect(response.status).toBe(200);
    const report = (await response.json()) as Report;
    const decisions = report.decisions as Decision[];
    expect(decisions.map((d) => [d.name, d.outcome])).toEqual([
      ["stage-1-10pct", "pass"],
      ["stage-2-25pct", "pass"],
      ["stage-3-50pct", "breach"],
    ]);

    await page.goto(`${server.url}/#/reports`);
    await page.click("text=console-canary", { timeout: 30_000 });
    await page.waitForSelector('svg.chart[data-metric="errorRatePercent"]', { timeout: 30_000 });

    // Assess: every stage's measured values, canary and stable, as the run recorded them
    const measured = (key: string) => decisions.map((d) => d.inputs[key]);
    expect(await seriesValues("errorRatePercent", "canary")).toEqual(measured("canaryErrorRatePercent"));
    expect(await seriesValues("errorRatePercent", "stable")).toEqual(measured("stableErrorRatePercent"));
    expect(await seriesValues("p99Ms", "canary")).toEqual(measured("canaryP99Ms"));
    expect(await seriesValues("p99Ms", "stable")).toEqual(measured("stableP99Ms"));
    expect(await seriesValues("businessSuccessPercent", "canary")).toEqual(
      measured("canaryBusinessSuccessPercent"),
    );
    // The breach is the last stage's canary error rate, over its gate.
    const gates = decisions.map((d) => d.thresholds);
    expect(measured("canaryErrorRatePercent").at(-1)).toBeGreaterThan(gates[2]?.maxErrorRatePercent ?? 0);
    expect(
      await page.locator('svg.chart[data-metric="errorRatePercent"] text.outcome-breach title').textContent(),
    ).toBe("stage-3-50pct: breach");

    // The gates as thresholds: ceilings for errors and p99, a floor at stable minus the allowed drop.
    const threshold = (metric: string) =>
      page.locator(`svg.chart[data-metric="${metric}"] path.threshold`).locator("title").textContent();
    expect(await threshold("errorRatePercent")).toBe(
      `max allowed ${gates.map((g) => g.maxErrorRatePercent).join(", ")}`,
    );
    expect(await threshold("p99Ms")).toBe(`max allowed ${gates.map((g) => g.maxP99Ms).join(", ")}`);
    const floors = decisions.map(
      (d) =>
        Math.round(
          ((d.inputs.stableBusinessSuccessPercent ?? Number.NaN) -
            (d.thresholds.maxBusinessSuccessDropPoints ?? Number.NaN)) *
            1000,
        ) / 1000,
    );
    expect(await threshold("businessSuccessPercent")).toBe(`min allowed ${floors.join(", ")}`);
    expect(gates.map((g) => [g.maxErrorRatePercent, g.maxP99Ms, g.maxBusinessSuccessDropPoints])).toEqual(
      Array(3).fill([1, 500, 2]),
    );
    await page.screenshot({ path: join(ARTIFACTS, "report.png"), fullPage: false });
  }, 180_000);
});
