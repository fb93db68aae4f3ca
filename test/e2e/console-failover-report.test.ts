/**
 * The console's failover and drill reports, from real runs on the local runtime: tenants of every tier
 * onboarded by the real workflow, a DR drill started with `cplane run` (the CLI, over the API the SDK
 * speaks) and approved on the Decisions page with the readiness it checked as evidence, then the primary region taken down from the console, whose region-health alarm starts an
 * unplanned failover. Each run's report page in a real browser must show the timeline the report API
 * holds and each tier's measured RTO and RPO against the tier's targets, as the run measured them.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Report } from "../../functions/reports/lib/report.ts";
import { TIERS } from "../../functions/tenant/lib/tiers.ts";
import type { Runtime } from "../../local/runtime.ts";
import type { LocalServer } from "../../local/server/http.ts";
import { serve } from "../../local/start.ts";
import { launchBrowser, watchedPage } from "../support/browser.ts";
import { runCli } from "../support/cli.ts";
import {
  executionsOf,
  failoverRuntime,
  finish,
  onboard,
  outputOf,
  runUntil,
  statesOf,
} from "./failover-support.ts";

const ARTIFACTS = join(import.meta.dirname, "..", "artifacts", "console");
let runtime: Runtime;
let server: LocalServer;
let browser: Browser;
let page: Page;
let errors: string[];

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  runtime = await failoverRuntime();
  await onboard(runtime, [
    { name: "Gold Co", tier: "premium" },
    { name: "Silver Co", tier: "standard" },
    { name: "Bronze Co", tier: "basic" },
  ]);
  // Long enough for the copy schedule to have a copy of each snapshot-tier tenant in the secondary.
  await runtime.clock.sleep(20 * 60_000);
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

interface TierOutput {
  rtoSeconds: number | null;
  rpoSeconds: number | null;
  rtoTargetSeconds: number;
  rpoTargetSeconds: number;
  failed: number;
}

/** As the console writes a duration (ui.js `seconds`). */
function formatSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

async function reportOf(executionArn: string): Promise<Report> {
  const response = await fetch(`${server.url}/_cplane/reports/${encodeURIComponent(executionArn)}`);
  expect(response.status).toBe(200);
  return (await response.json()) as Report;
}

async function openReport(executionArn: string): Promise<void> {
  await page.goto(`${server.url}/#/reports/${encodeURIComponent(executionArn)}`);
  await page.waitForSelector('.view[aria-busy="false"]', { timeout: 30_000 });
}

/** What a row of the per-tier table shows, cell by cell, keyed by its column. */
async function tierRows(): Promise<Record<string, Record<string, string>>> {
  return page.$$eval('#targets [data-decision="tier-recovery"] tbody tr', (rows) =>
    Object.fromEntries(
      rows.map((row) => [
        row.getAttribute("data-subject") ?? "",
        Object.fromEntries(
          [...row.querySelectorAll("td")].map((td) => [td.dataset.label ?? "", td.textContent ?? ""]),
        ),
      ]),
    ),
  );
}

/**
 * The report page against the report API and the run's own output: the timeline row by row, and per
 * tier the measured RTO and RPO beside the tier's targets, met or missed as the figures say.
 */
async function assertReportPage(executionArn: string, tiers: readonly string[]): Promise<Report> {
  const report = await reportOf(executionArn);
  const output = outputOf(runtime, executionArn) as { perTier: Record<string, TierOutput> };
  await openReport(executionArn);

  // The timeline: every step the report holds, in its order, with its status; the steps inside Map
  // iterations (a database per global cluster, a restore per tenant) folded below the outer ones.
  const rows = (selector: string) =>
    page.$$eval(selector, (trs) =>
      trs.map((tr) => [
        tr.querySelector('td[data-label="Step"]')?.textContent,
        tr.getAttribute("data-status"),
      ]),
    );
  const stepOf = (s: Report["steps"][number]) => [
    `${s.iteration ? `${s.iteration}/` : ""}${s.name}`,
    s.status,
  ];
  expect(await rows("#timeline > .table-wrap tbody tr")).toEqual(
    report.steps.filter((s) => !s.iteration).map(stepOf),
  );
  const inner = report.steps.filter((s) => s.iteration);
  expect(inner.length).toBeGreaterThan(0);
  expect(await rows("#timeline-iterations tbody tr")).toEqual(inner.map(stepOf));
  const sinceStart = await page
    .locator('#timeline > .table-wrap td[data-label="Since start"]')
    .allTextContents();
  expect(sinceStart[0]).toMatch(/^\+0(\.0)? s$/);
  // Simulated time since the start, as the report's times say.
  const last = report.steps.filter((s) => !s.iteration).at(-1);
  const lastSeconds = (Date.parse(last?.enteredAt ?? "") - Date.parse(report.startedAt)) / 1000;
  expect(sinceStart.at(-1)).toBe(`+${formatSeconds(lastSeconds)}`);

  // Per tier: the decision the report holds, which is what the run measured (its output), against the
  // tier's targets (a tenant tier's from its tier table).
  const decisions = report.decisions.filter((d) => d.name === "tier-recovery");
  expect(decisions.map((d) => d.subject)).toEqual(tiers);
  const shown = await tierRows();
  expect(Object.keys(shown)).toEqual(tiers);
  for (const decision of decisions) {
    const tier = decision.subject ?? "";
    const measured = output.perTier[tier];
    expect(decision.inputs, tier).toEqual({
      rtoSeconds: measured?.rtoSeconds,
      rpoSeconds: measured?.rpoSeconds,
    });
    expect(decision.thresholds, tier).toEqual({
      rtoSeconds: measured?.rtoTargetSeconds,
      rpoSeconds: measured?.rpoTargetSeconds,
    });
    if (tier in TIERS)
      expect(decision.thresholds, tier).toEqual({
        rtoSeconds: TIERS[tier as keyof typeof TIERS].recovery.rtoSeconds,
        rpoSeconds: TIERS[tier as keyof typeof TIERS].recovery.rpoSeconds,
      });
    const rto = decision.inputs?.rtoSeconds as number;
    const rpo = decision.inputs?.rpoSeconds as number;
    const met =
      measured?.failed === 0 &&
      rto <= (decision.thresholds?.rtoSeconds as number) &&
      rpo <= (decision.thresholds?.rpoSeconds as number);
    expect(shown[tier], tier).toMatchObject({
      "RTO (s)": String(Math.round(rto * 1000) / 1000),
      "target RTO (s)": String(decision.thresholds?.rtoSeconds),
      "RPO (s)": String(Math.round(rpo * 1000) / 1000),
      "target RPO (s)": String(decision.thresholds?.rpoSeconds),
      Outcome: met ? "met" : "missed",
    });
  }

  // The charts: a point per tier at its measured value, the tier's target as the threshold.
  for (const [metric, key] of [
    ["rtoSeconds", "rtoSeconds"],
    ["rpoSeconds", "rpoSeconds"],
  ] as const) {
    const chart = page.locator(`svg.chart[data-metric="${metric}"]`);
    expect(await chart.locator("text.tick title").allTextContents()).toEqual(
      decisions.map((d) => `${d.subject}: ${d.outcome}`),
    );
    expect(await chart.locator("circle.series-value title").allTextContents()).toEqual(
      decisions.map((d) => `value ${d.inputs?.[key]}`),
    );
    expect(await chart.locator("path.threshold title").textContent()).toBe(
      `threshold ${decisions.map((d) => d.thresholds?.[key]).join(", ")}`,
    );
  }
  return report;
}

describe("failover and drill reports in the console", () => {
  it("shows a drill started with the CLI and approved in the console on its readiness: its timeline out and back, and RTO/RPO per tier against targets", async () => {
    // Prepare: configuration asks for a person's approval of every mode; a person's pace, not the
    // instant clock's (which would run the gate out to its timeout)
    const approvalSetting = process.env.FAILOVER_APPROVAL;
    process.env.FAILOVER_APPROVAL = "all";
    let release = () => {};
    void runtime.clock.track(new Promise<void>((resolve) => (release = resolve)));
    let arn = "";
    try {
      // Act: the drill, as a person starts it; approved from the Decisions page
      const started = await runCli(
        server.url,
        "run",
        "regional-failover",
        "--input",
        JSON.stringify({ trigger: "manual", mode: "drill", reason: "monthly drill", requestedBy: "ana" }),
        "--name",
        "console-drill",
      );
      expect(started.code, started.stderr).toBe(0);
      arn = started.stdout.trim();
      await page.goto(`${server.url}/#/decisions`);
      const card = page
        .locator("article.approval")
        .filter({ has: page.locator(`a[href="#/executions/${encodeURIComponent(arn)}"]`) });
      await card.waitFor({ timeout: 120_000 });

      // Assess: the evidence is the readiness the drill's plan checked, per kind of subject
      const { approvals } = (await (await fetch(`${server.url}/_cplane/approvals`)).json()) as {
        approvals: {
          executionArn: string;
          evidence: { readiness: { overall: string; perKind: Record<string, Record<string, unknown>> } };
        }[];
      };
      const readiness = approvals.find((a) => a.executionArn === arn)?.evidence.readiness;
      expect(readiness?.overall).toMatch(/^(green|amber)$/);
      expect(Object.keys(readiness?.perKind ?? {}).sort()).toEqual(
        ["basic", "compute", "platform", "premium", "standard"].sort(),
      );
      expect(await card.locator(".readiness-evidence p .badge").textContent()).toBe(readiness?.overall);
      const shownKinds = await card
        .locator("tr.evidence-row")
        .evaluateAll((rows) =>
          rows.map((row) => [
            row.getAttribute("data-kind"),
            ...[...row.querySelectorAll("td")].slice(1).map((td) => td.textContent),
          ]),
        );
      expect(shownKinds).toEqual(
        Object.entries(readiness?.perKind ?? {}).map(([kind, r]) => [
          kind,
          r.status,
          String(r.green),
          String(r.amber),
          String(r.red),
        ]),
      );
      await page.screenshot({ path: join(ARTIFACTS, "decisions-drill.png") });
      await page.fill("#decided-by", "ana");
      await card.locator("input.reason").fill("readiness holds: go");
      await card.locator("button.approve").click();
      await expect
        .poll(() => statesOf(runtime, arn).includes("Recover"), { timeout: 60_000, interval: 100 })
        .toBe(true);
    } finally {
      release();
      process.env.FAILOVER_APPROVAL = approvalSetting;
    }
    const execution = await finish(runtime, arn, "the drill");
    expect(execution.status, `${execution.error} ${execution.cause}`).toBe("SUCCEEDED");

    // Assess: a switchover moves the global databases only (platform, premium)
    const report = await assertReportPage(arn, ["platform", "premium"]);
    expect(report.outcome).toBe("succeeded");
    const steps = report.steps.map((s) => s.name);
    for (const step of ["AcquireLocks", "Recover", "Summarize", "FailBack"])
      expect(steps, step).toContain(step);
    expect(steps.indexOf("FailBack")).toBeGreaterThan(steps.indexOf("Summarize"));
    expect(await page.locator(".view h1").textContent()).toContain("console-drill");
    // The approval, who and why, among the report's decisions.
    expect(report.decisions.find((d) => d.name === "approval")?.approval).toMatchObject({
      decision: "approved",
      by: "ana",
      reason: "readiness holds: go",
    });
    expect(await page.locator("section.card", { hasText: "Decisions" }).last().textContent()).toContain(
      "approved by ana: readiness holds: go",
    );
    await page.screenshot({ path: join(ARTIFACTS, "report-drill.png"), fullPage: false });
  }, 900_000);

  it("shows an unplanned failover the console's region-down started: every tier's recovery against its targets", async () => {
    // Act: the primary region down, from the local cloud page; its alarm starts the failover
    const before = new Set(executionsOf(runtime, "regional-failover").map((e) => e.executionArn));
    await page.goto(`${server.url}/#/cloud`);
    await page.click(`button[data-region="${runtime.region}"]`);
    await expect
      .poll(() => runtime.cloud.faults.isRegionDown(runtime.region), { timeout: 30_000 })
      .toBe(true);
    await runUntil(
      runtime,
      () => executionsOf(runtime, "regional-failover").some((e) => !before.has(e.executionArn)),
      "the alarm's failover",
    );
    const arn =
      executionsOf(runtime, "regional-failover").find((e) => !before.has(e.executionArn))?.executionArn ?? "";
    const execution = await finish(runtime, arn, "the failover");
    expect(execution.status, `${execution.error} ${execution.cause}`).toBe("SUCCEEDED");

    // Assess: the platform, the premium global secondary and both snapshot tiers moved
    const report = await assertReportPage(arn, ["platform", "premium", "standard", "basic"]);
    expect(report.trigger.type).toBe("event");
    const steps = report.steps.map((s) => s.name);
    expect(steps.indexOf("CheckSignal")).toBeLessThan(steps.indexOf("AcquireLocks"));
    expect(steps).not.toContain("FailBack");
    await page.screenshot({ path: join(ARTIFACTS, "report-failover.png"), fullPage: false });

    // Both are listed among regional-failover's reports, linked to their pages.
    await page.goto(`${server.url}/#/reports?workflow=regional-failover`);
    await page.waitForSelector('.view[aria-busy="false"]', { timeout: 30_000 });
    for (const name of ["console-drill", arn.split(":").pop() ?? ""])
      expect(await page.locator(`a[href^="#/reports/"]`, { hasText: name }).count(), name).toBe(1);
  }, 900_000);
});
