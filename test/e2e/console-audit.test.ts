/**
 * The console against the issue's list, in a real browser, on a runtime with the demo fleet and a
 * tenant: every page within the screen at 1280x800 and on a 390x844 phone (no sideways scrolling of
 * the page); the schedules' next runs kept current as simulated time moves; the local cloud page
 * keeping what a person opened or types while it refreshes; regions with which one serves and the DR
 * readiness (assessed on request); the cloud's resources (clusters and snapshots) as the API lists them.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Runtime } from "../../local/runtime.ts";
import type { LocalServer } from "../../local/server/http.ts";
import { serve } from "../../local/start.ts";
import { launchBrowser, watchedPage } from "../support/browser.ts";
import { executionsOf, failoverRuntime, onboard } from "./failover-support.ts";

const ARTIFACTS = join(import.meta.dirname, "..", "artifacts", "console");
let runtime: Runtime;
let server: LocalServer;
let browser: Browser;
let page: Page;
let errors: string[];

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  runtime = await failoverRuntime();
  await onboard(runtime, [{ name: "Audit Co", tier: "standard" }]);
  // The copy schedule's snapshots of the tenant in the secondary region.
  await runtime.clock.sleep(20 * 60_000);
  server = await serve(runtime, 0);
  browser = await launchBrowser();
  ({ page, errors } = await watchedPage(browser));
}, 600_000);
afterEach(() => {
  expect(errors.splice(0)).toEqual([]);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await runtime?.close();
});

const eventually = <T>(value: () => T | Promise<T>) => expect.poll(value, { timeout: 30_000, interval: 100 });

async function api<T>(path: string): Promise<T> {
  return (await (await fetch(`${server.url}/_cplane/${path}`)).json()) as T;
}

/**
 * Goes to a page and waits for its view: a change of hash alone keeps the document, whose previous
 * view (already drawn) is marked first so that it is not taken for the new one.
 */
async function open(on: Page, hash: string): Promise<void> {
  await on.evaluate('document.querySelector(".view")?.setAttribute("data-left", "")');
  const url = `${server.url}/${hash}`;
  if (on.url() === url) await on.reload();
  else await on.goto(url);
  await on.waitForSelector('.view[aria-busy="false"]:not([data-left])', { timeout: 30_000 });
}

async function setSpeed(speed: string): Promise<void> {
  const response = await fetch(`${server.url}/_cplane/clock/speed`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ speed }),
  });
  expect(response.status).toBe(200);
}

/** The console's way of writing a time (ui.js `time`). */
const shownTime = (iso: string) => iso.replace("T", " ").replace(/\.\d+Z$/, "Z");

describe("the console against the issue's list", () => {
  it("keeps every page within the screen at 1280x800 and on a 390x844 phone", async () => {
    const onboarding = executionsOf(runtime, "tenant-onboarding")[0]?.executionArn ?? "";
    const { reports } = await api<{ reports: { executionArn: string }[] }>("reports?limit=1");
    expect(reports.length).toBe(1);
    const pages = [
      "#/executions",
      `#/executions/${encodeURIComponent(onboarding)}`,
      "#/machines",
      "#/machines/tenant-onboarding",
      "#/machines/regional-failover",
      "#/start/tenant-onboarding",
      "#/decisions",
      "#/reports",
      `#/reports/${encodeURIComponent(reports[0]?.executionArn ?? "")}`,
      "#/events",
      "#/cloud",
    ];
    for (const viewport of [
      { width: 1280, height: 800 },
      { width: 390, height: 844 },
    ]) {
      const screen = viewport.width === 1280 ? { page, errors } : await watchedPage(browser, viewport);
      try {
        const wide: string[] = [];
        for (const hash of pages) {
          await open(screen.page, hash);
          const width = await screen.page.evaluate<number>("document.documentElement.scrollWidth");
          if (width > viewport.width) wide.push(`${hash}: ${width}px`);
        }
        expect(wide, `pages wider than ${viewport.width}px`).toEqual([]);
        if (viewport.width === 390) {
          await open(screen.page, `#/reports/${encodeURIComponent(reports[0]?.executionArn ?? "")}`);
          await screen.page.screenshot({ path: join(ARTIFACTS, "phone-report.png") });
          expect(screen.errors).toEqual([]);
        }
      } finally {
        if (screen.page !== page) await screen.page.close();
      }
    }
  }, 300_000);

  it("fits a large graph to the screen, and shows it at its own size within its frame on request", async () => {
    for (const viewport of [
      { width: 1280, height: 800 },
      { width: 390, height: 844 },
    ]) {
      const screen = viewport.width === 1280 ? { page, errors } : await watchedPage(browser, viewport);
      try {
        await open(screen.page, "#/machines/regional-failover");
        const svg = screen.page.locator("svg.graph");
        const natural = Number(await svg.getAttribute("width"));
        const drawnWidth = async () => (await svg.boundingBox())?.width ?? 0;
        expect(await drawnWidth()).toBeLessThan(natural);

        // Act
        await screen.page.click(".graph-zoom");

        // Assess: drawn at its own width, scrolled within its frame, the page itself no wider
        expect(Math.round(await drawnWidth())).toBe(natural);
        expect(
          await screen.page.locator(".graph-scroll").evaluate((f) => f.scrollWidth > f.clientWidth),
        ).toBe(true);
        expect(
          await screen.page.evaluate<number>("document.documentElement.scrollWidth"),
        ).toBeLessThanOrEqual(viewport.width);
        expect(await screen.page.locator(".graph-zoom").textContent()).toBe("Fit");
        await screen.page.click(".graph-zoom");
        expect(await drawnWidth()).toBeLessThan(natural);
      } finally {
        if (screen.page !== page) await screen.page.close();
      }
    }
  }, 120_000);

  it("offers every workflow's start form a sample that its schema, as the page checks it, accepts", async () => {
    const { workflows } = (await (await fetch(`${server.url}/console/catalog.json`)).json()) as {
      workflows: { name: string; sample: unknown }[];
    };
    expect(workflows.length).toBeGreaterThanOrEqual(4);
    const refused: string[] = [];
    for (const workflow of workflows) {
      await open(page, `#/start/${workflow.name}`);
      await page.fill('textarea[name="input"]', "{}");
      // Leaving the JSON redraws the fields for it (the form below moves) before the next click.
      await page.locator('textarea[name="input"]').blur();
      await page.getByRole("button", { name: "Use the sample" }).click();
      const value = JSON.parse(await page.inputValue('textarea[name="input"]')) as unknown;
      expect(value, workflow.name).toEqual(workflow.sample);
      // The page's own check (schema.js), as the start button runs it before the contract's.
      const problems = await page.evaluate<unknown[]>(`(async () => {
        const { validate } = await import("/console/schema.js");
        const { workflows } = await (await fetch("/console/catalog.json")).json();
        const spec = workflows.find((w) => w.name === ${JSON.stringify(workflow.name)});
        return validate(spec.inputSchema, ${JSON.stringify(value)});
      })()`);
      if (problems.length > 0) refused.push(`${workflow.name}: ${JSON.stringify(problems)}`);
    }
    expect(refused).toEqual([]);
  }, 120_000);

  it("keeps the schedules' next runs current as simulated time moves, without a reload", async () => {
    // A manual clock: time moves when the test says, not whenever the runtime is idle.
    await setSpeed("manual");
    try {
      await open(page, "#/events");
      const nextRunShown = () =>
        page.locator('tr[data-schedule-row="dr-snapshot-copies"] td[data-label="Next run"]').textContent();
      const nextRun = async () =>
        (await api<{ schedules: { name: string; nextRun: string }[] }>("schedules")).schedules.find(
          (s) => s.name === "dr-snapshot-copies",
        )?.nextRun ?? "";
      const before = await nextRun();
      expect(before).not.toBe("");
      await eventually(nextRunShown).toBe(shownTime(before));
      await page.evaluate("window.sameDocument = true");

      // Act: an hour of simulated time
      await runtime.clock.advance(3600_000);

      // Assess: the page shows the schedule's next run as the API now has it
      const after = await nextRun();
      expect(Date.parse(after)).toBeGreaterThan(Date.parse(before));
      await eventually(nextRunShown).toBe(shownTime(after));
      expect(await page.evaluate("window.sameDocument")).toBe(true);
    } finally {
      await setSpeed("instant");
    }
  }, 120_000);

  it("lists the cloud's resources as the API does, clusters and snapshots included", async () => {
    // Held still, so that the page and the API see the same cloud (an instant clock races on).
    await setSpeed("manual");
    try {
      await listsResources();
    } finally {
      await setSpeed("instant");
    }
  }, 60_000);

  async function listsResources(): Promise<void> {
    await open(page, "#/cloud");
    const cloud = await api<Record<string, Record<string, Record<string, unknown[]>>>>("cloud");
    const kinds = Object.entries(cloud).flatMap(([service, regions]) =>
      Object.entries(regions).flatMap(([region, byKind]) =>
        Object.entries(byKind)
          .filter(([, items]) => items.length > 0)
          .map(([kind, items]) => `${service} · ${region} · ${kind} (${items.length})`),
      ),
    );
    expect(kinds.some((k) => /snapshot/i.test(k))).toBe(true);
    expect(kinds.some((k) => /cluster/i.test(k))).toBe(true);
    await eventually(() => page.locator("#resources summary").allTextContents()).toEqual(kinds);
    const { tenants } = await api<{ tenants: { slug: string }[] }>("tenants");
    expect(await page.locator("#tenants").textContent()).toContain(tenants[0]?.slug ?? "?");
  }

  it("shows which region serves and the DR readiness, assessed on request", async () => {
    await open(page, "#/cloud");
    await page.click("#assess-readiness");
    const { readiness, home } = await api<{
      readiness: { overall: string; primaryRegion: string; subjects: unknown[] } | null;
      home: string;
    }>("dr");
    expect(readiness).not.toBeNull();
    await eventually(() => page.locator("#readiness h3 .badge").textContent()).toBe(readiness?.overall);
    expect(await page.locator("#readiness summary").textContent()).toBe(
      `${readiness?.subjects.length} subjects`,
    );
    expect(readiness?.primaryRegion).toBe(home);
    expect(await page.locator(`tr[data-region-row="${home}"] td[data-label="Role"]`).textContent()).toBe(
      "serving",
    );
    expect(
      await page
        .locator(`tr[data-region-row="${runtime.secondaryRegion}"] td[data-label="Role"]`)
        .textContent(),
    ).toBe("standby");
  }, 60_000);

  it("adds a latency and a throttling fault, in one region, as `cplane fault add` does", async () => {
    await open(page, "#/cloud");
    const region = runtime.secondaryRegion;
    try {
      await page.selectOption("#fault-kind", "latency");
      await page.selectOption("#fault-region", region);
      await page.fill("#fault-service", "RDS");
      await page.fill("#fault-operation", "DescribeDBClusters");
      await page.fill("#fault-error", "2s");
      await page.fill("#fault-times", "3");
      await page.click("#add-fault");
      await page.selectOption("#fault-kind", "throttle");
      await page.fill("#fault-service", "EKS");
      await page.fill("#fault-operation", "");
      await page.fill("#fault-times", "");
      await page.click("#add-fault");

      // Assess: in the cloud, and on the page
      await eventually(() =>
        runtime.cloud.faults.list().map(({ id: _id, hits: _hits, ...spec }) => spec),
      ).toEqual([
        {
          kind: "latency",
          service: "RDS",
          operation: "DescribeDBClusters",
          region,
          ms: 2000,
          times: 3,
        },
        { kind: "throttle", service: "EKS", region },
      ]);
      await eventually(() => page.locator("#fault-list tbody tr").allTextContents()).toEqual([
        expect.stringContaining("+2000 ms"),
        expect.stringContaining(`EKS · ${region}`),
      ]);
    } finally {
      runtime.cloud.faults.clear();
    }
  }, 60_000);

  it("keeps what a person opened or types on the local cloud page while the page refreshes", async () => {
    // A flowing clock: every refresh has a new time to show.
    await setSpeed("60");
    try {
      await open(page, "#/cloud");
      const details = page.locator("#resources details").first();
      await details.locator("summary").click();
      await page.click("#clock-speed");
      await page.keyboard.type("12");
      const shown = await page.locator("#clock-now").textContent();

      // Act: two refreshes (every 3 s) go by, the clock moving on the page
      const polls = new Set<string>();
      page.on("response", (response) => {
        if (response.url().endsWith("/_cplane/cloud")) polls.add(String(Date.now()));
      });
      await eventually(() => polls.size).toBeGreaterThanOrEqual(2);
      await eventually(() => page.locator("#clock-now").textContent()).not.toBe(shown);

      // Assess
      expect(await details.evaluate((d) => (d as unknown as { open: boolean }).open)).toBe(true);
      expect(await page.evaluate<string>("document.activeElement?.id")).toBe("clock-speed");
      expect(await page.inputValue("#clock-speed")).toBe("12");
    } finally {
      await setSpeed("instant");
    }
  }, 60_000);
});
