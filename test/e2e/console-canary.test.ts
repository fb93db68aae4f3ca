/**
 * The console's canary report, from a real run: canary-promotion on the local runtime (demo fleet,
 * instant clock) with a release that is good at 10 and 25 % and fails at 50 %, rolled back; then its
 * report page in a real browser, whose charts must draw that run's canary and stable values per stage
 * and its gates as thresholds. Its screenshot is the README's report picture. And the approvals of a
 * real `web` canary (cohorts, an approval before 100 %) answered from the console, each showing the
 * canary's analysis as its evidence.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Approval } from "../../functions/ops/lib/approvals.ts";
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
}, 300_000);
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

  it("shows each approval of a canary with its analysis as evidence, and promotes when approved from the console", async () => {
    // Prepare: time stands still while an approval of this run waits for its answer (a person's pace)
    let arn = "";
    const held = new Map<string, () => void>();
    const stopAsked = onEvent(
      runtime,
      "Approval Requested",
      (d) => d.executionArn === arn,
      (d) =>
        void runtime.clock.track(new Promise<void>((resolve) => held.set(String(d.approvalId), resolve))),
      true,
    );
    const stopDecided = onEvent(
      runtime,
      "Approval Decided",
      (d) => held.has(String(d.approvalId)),
      (d) => held.get(String(d.approvalId))?.(),
      true,
    );
    arn = start(runtime, { service: "web", image: "cplane/web:7.0.0", bakeMinutes: 6 }, "console-web");
    let finished = false;
    const done = output(runtime, arn).finally(() => {
      finished = true;
    });
    await page.goto(`${server.url}/#/decisions`);
    await page.fill("#decided-by", "release-manager");

    // Act: answer each of its approvals as it comes, until the run ends
    const answered: { gate: string; approvalId: string; errorRate: string; gateShown: string }[] = [];
    const card = page
      .locator("article.approval")
      .filter({ has: page.locator(`a[href="#/executions/${encodeURIComponent(arn)}"]`) })
      .first();
    for (;;) {
      await expect
        .poll(async () => finished || (await card.count()) > 0, { timeout: 120_000, interval: 200 })
        .toBe(true);
      if (finished) break;
      const approvalId = (await card.getAttribute("data-approval")) ?? "";
      const row = card.locator('tr[data-metric="errorRatePercent"] td');
      answered.push({
        approvalId,
        gate: ((await card.locator(":scope > p.meta").textContent()) ?? "").split(" · ")[0] ?? "",
        errorRate: (await row.nth(1).textContent()) ?? "",
        gateShown: (await row.nth(3).textContent()) ?? "",
      });
      if (answered.length === 1) await page.screenshot({ path: join(ARTIFACTS, "decisions-canary.png") });
      await card.locator("input.reason").fill("canary within its gates");
      await card.locator("button.approve").click();
      await page
        .locator(`article[data-approval="${approvalId}"]`)
        .waitFor({ state: "detached", timeout: 60_000 });
    }
    const result = await done;
    stopAsked();
    stopDecided();

    // Assess: promoted, the last question the promotion to 100 %, each card's figures its analysis's
    expect(result.status, result.cause).toBe("SUCCEEDED");
    expect(result.result).toMatchObject({ outcome: "promoted", service: "web" });
    expect(answered.at(-1)?.gate).toBe("PromoteToFull");
    const { approvals } = (await (await fetch(`${server.url}/_cplane/approvals`)).json()) as {
      approvals: Approval[];
    };
    for (const shown of answered) {
      const stored = approvals.find((a) => a.approvalId === shown.approvalId);
      expect(stored).toMatchObject({
        status: "approved",
        decision: { decidedBy: "release-manager", reason: "canary within its gates" },
      });
      const evidence = stored?.evidence as {
        canary: { errorRatePercent: number };
        thresholds: { maxErrorRatePercent: number };
      };
      expect(shown.errorRate).toBe(String(evidence.canary.errorRatePercent));
      expect(shown.gateShown).toBe(`≤ ${evidence.thresholds.maxErrorRatePercent}`);
    }
  }, 240_000);
});
