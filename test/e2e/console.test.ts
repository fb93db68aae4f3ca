/**
 * The local console in a real browser (playwright-core driving the system's Chromium) against a
 * runtime this file starts: every workflow's graph, an onboarding started from the form and followed
 * live, an invalid input refused, a failure's error and cause on its state, an approval decided, a
 * schedule run now, faults and the clock (advance, speed). A canary report's charts, from a real run, are
 * in console-canary.test.ts. Screenshots of the main pages go to test/artifacts/console.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createClock } from "../../local/clock/clock.ts";
import { createRuntime, type Runtime } from "../../local/runtime.ts";
import type { LocalServer } from "../../local/server/http.ts";
import { serve } from "../../local/start.ts";
import { type StateMachineDefinition, substituteFunctions } from "../../workflows/asl.ts";
import { workflowCatalog } from "../../workflows/catalog.ts";
import { approvalGate } from "../../workflows/kit/index.ts";
import { launchBrowser, watchedPage } from "../support/browser.ts";

const ARTIFACTS = join(import.meta.dirname, "..", "artifacts", "console");
let runtime: Runtime;
let server: LocalServer;
let browser: Browser;
let page: Page;
let errors: string[];
const releases: (() => void)[] = [];

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  runtime = await createRuntime({ clock: createClock({ mode: { kind: "instant" } }) });
  server = await serve(runtime, 0);
  browser = await launchBrowser();
  ({ page, errors } = await watchedPage(browser));
}, 300_000);
afterEach(() => {
  for (const release of releases.splice(0)) release();
  expect(errors.splice(0)).toEqual([]);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await runtime?.close();
});

/** The page polls every few seconds; a loaded machine answers slowly. */
const eventually = <T>(value: () => T | Promise<T>) => expect.poll(value, { timeout: 30_000, interval: 100 });

/** Holds the instant clock (nothing jumps while held): a person's pace, until released. */
function holdClock(): () => void {
  let release = () => {};
  void runtime.clock.track(new Promise<void>((resolve) => (release = resolve)));
  releases.push(release);
  return release;
}

async function open(hash: string): Promise<void> {
  await page.goto(`${server.url}/${hash}`);
  await page.waitForSelector('.view[aria-busy="false"]', { timeout: 30_000 });
}

const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });

/** Every state name of a definition, those inside Parallel branches and Map processors included. */
function stateNames(definition: { States: Record<string, Record<string, unknown>> }): string[] {
  return Object.entries(definition.States).flatMap(([name, state]) => {
    const nested = [
      ...((state.Branches as (typeof definition)[] | undefined) ?? []),
      ...[state.ItemProcessor ?? state.Iterator].filter(Boolean),
    ] as (typeof definition)[];
    return [name, ...nested.flatMap(stateNames)];
  });
}

function deploy(name: string, definition: StateMachineDefinition): string {
  const resolved = substituteFunctions(definition, (id) => runtime.functions.arnOf(id));
  return runtime.engine.createStateMachine({ name, definition: resolved }).stateMachineArn;
}

describe("the local console in a browser", () => {
  it("draws every workflow's graph with every state, nested ones included", async () => {
    // A Parallel with a Map inside, beside the catalog's workflows.
    deploy("nested-shapes", {
      QueryLanguage: "JSONata",
      TimeoutSeconds: 60,
      StartAt: "Fan",
      States: {
        Fan: {
          Type: "Parallel",
          Branches: [
            { StartAt: "Left", States: { Left: { Type: "Pass", End: true } } },
            {
              StartAt: "Each",
              States: {
                Each: {
                  Type: "Map",
                  Items: "{% [1, 2] %}",
                  ItemProcessor: { StartAt: "Item", States: { Item: { Type: "Pass", End: true } } },
                  End: true,
                },
              },
            },
          ],
          Next: "Done",
        },
        Done: { Type: "Succeed" },
      },
    } as StateMachineDefinition);
    const machines = [
      ...[...workflowCatalog.values()].map((w) => ({ name: w.name, definition: w.definition })),
      {
        name: "nested-shapes",
        definition: JSON.parse(
          runtime.engine.describeStateMachine(
            runtime.engine.listStateMachines().stateMachines.find((s) => s.name === "nested-shapes")
              ?.stateMachineArn ?? "",
          ).definition,
        ),
      },
    ];
    expect(machines.length).toBeGreaterThanOrEqual(4);
    for (const { name, definition } of machines) {
      await open(`#/machines/${name}`);
      const drawn = await page.$$eval("svg.graph g.state", (nodes) =>
        nodes.map((n) => n.getAttribute("data-state")),
      );
      expect(drawn.sort(), name).toEqual(stateNames(definition as never).sort());
    }
    // Nested: the Map is drawn inside the Parallel's box, its item inside the Map's.
    expect(
      await page
        .locator('g.state[data-state="Fan"] g.state[data-state="Each"] g.state[data-state="Item"]')
        .count(),
    ).toBe(1);
    await open("#/machines/tenant-onboarding");
    await shot("state-machine");
  }, 120_000);

  it("starts an onboarding from the form and follows it live until it succeeds", async () => {
    await open("#/start/tenant-onboarding");
    await page.fill("#field-name", "Console Co");
    await page.selectOption("#field-tier", "standard");
    await page.fill("#field-adminEmail", "ops@console.example");
    await page.fill("#field-slug", "console-co");
    const release = holdClock();
    await page.click("#start");
    await page.waitForURL(/#\/executions\/arn/);
    await page.waitForSelector(".exec-header .badge.running");
    // The page is the same one from here on: what changes comes from polling, not a reload.
    await page.evaluate("window.sameDocument = true");
    await page.waitForSelector("g.state.s-succeeded");
    expect(await page.locator("g.state.s-running, g.state.s-waiting").count()).toBeGreaterThan(0);
    const input = await page.evaluate<string>("location.hash");
    const arn = decodeURIComponent(input.replace("#/executions/", ""));
    expect(JSON.parse(runtime.engine.describeExecution(arn).input)).toMatchObject({
      name: "Console Co",
      tier: "standard",
    });
    await shot("execution-running");
    release();
    await page.waitForSelector(".exec-header .badge.succeeded", { timeout: 60_000 });
    expect(await page.evaluate("window.sameDocument")).toBe(true);
    expect(await page.locator('g.state[data-state="Announce"]').getAttribute("class")).toContain(
      "s-succeeded",
    );
    expect(await page.locator("g.state.s-running, g.state.s-waiting, g.state.s-failed").count()).toBe(0);
    // A state's input and output, as the history has them.
    await page.click('g.state[data-state="Announce"]');
    const panel = page.locator('#state-panel .state-details[data-state="Announce"]');
    await panel.waitFor({ timeout: 30_000 });
    const [shownInput, shownOutput] = await panel.locator("pre.json").allTextContents();
    const history = runtime.engine.getExecutionHistory(arn, { maxResults: 1000 }).events;
    const announce = (key: "stateEnteredEventDetails" | "stateExitedEventDetails") =>
      history
        .map((e) => e[key] as { name: string; input?: string; output?: string } | undefined)
        .find((d) => d?.name === "Announce");
    expect(JSON.parse(shownInput ?? "")).toEqual(
      JSON.parse(announce("stateEnteredEventDetails")?.input ?? "null"),
    );
    expect(JSON.parse(shownOutput ?? "")).toEqual(
      JSON.parse(announce("stateExitedEventDetails")?.output ?? "null"),
    );
    await shot("execution-succeeded");
    await open("#/executions?workflow=tenant-onboarding&status=SUCCEEDED");
    await eventually(() => page.locator("#executions tbody tr").count()).toBe(1);
    await shot("executions");
  }, 180_000);

  it("refuses an invalid input with the reason and starts nothing", async () => {
    const before = runtime.engine.listExecutions({
      stateMachineArn: runtime.stateMachineArn("tenant-onboarding"),
    }).executions.length;
    await open("#/start/tenant-onboarding");
    await page.fill("#field-adminEmail", "not an email");
    await page.fill("#field-name", "");
    await page.click("#start");
    const reasons = await page.locator("ul.errors li").allTextContents();
    expect(reasons).toEqual(
      expect.arrayContaining(["adminEmail: must be an email address", "name: is required"]),
    );
    expect(await page.evaluate<string>("location.hash")).toBe("#/start/tenant-onboarding");
    expect(
      runtime.engine.listExecutions({ stateMachineArn: runtime.stateMachineArn("tenant-onboarding") })
        .executions,
    ).toHaveLength(before);
    await page.locator(".notice.error .close").click();

    // What JSON Schema cannot say (offboarding names its tenant by slug or id) the contract says.
    await open("#/start/tenant-offboarding");
    await page.fill('textarea[name="input"]', '{"reason": "contract ended"}');
    await page.click("#start");
    await eventually(() => page.locator("ul.errors li").allTextContents()).toEqual([
      expect.stringMatching(/slug|tenantId/),
    ]);
    expect(await page.evaluate<string>("location.hash")).toBe("#/start/tenant-offboarding");
    await page.locator(".notice.error .close").click();
  }, 60_000);

  it("adds a fault from the console and shows the failed execution's error and cause on the failing state", async () => {
    await open("#/cloud");
    await page.fill("#fault-service", "EKS");
    await page.fill("#fault-operation", "AssociateAccessPolicy");
    await page.fill("#fault-error", "InvalidParameterException");
    await page.click("#add-fault");
    await eventually(() => runtime.cloud.faults.list().map((f) => f.kind === "error" && f.error)).toEqual([
      "InvalidParameterException",
    ]);
    await eventually(() => page.locator("#faults").textContent()).toContain("AssociateAccessPolicy");
    await shot("local-cloud");

    const { executionArn } = runtime.engine.startExecution({
      stateMachineArn: runtime.stateMachineArn("tenant-onboarding"),
      input: JSON.stringify({ name: "Doomed Console", tier: "basic", adminEmail: "ops@doomed.example" }),
    });
    const done = await runtime.engine.waitForExecution(executionArn);
    expect(done.status).toBe("FAILED");
    await open(`#/executions/${encodeURIComponent(executionArn)}`);
    await page.waitForSelector(".exec-header .badge.failed");
    expect(await page.locator("#execution-failure .error-name").textContent()).toBe(done.error);
    expect(await page.locator("#execution-failure .cause").textContent()).toBe(done.cause);
    // The panel opens on the state where the error arose, with the error and cause it failed with.
    const panel = page.locator("#state-panel .state-details");
    expect(await panel.getAttribute("data-state")).toBe("CreateNamespace");
    expect(await panel.locator(".error-name").first().textContent()).toBe("InvalidParameterException");
    expect((await panel.locator(".cause").first().textContent())?.length).toBeGreaterThan(0);
    expect(await page.locator('g.state[data-state="CreateNamespace"]').getAttribute("class")).toContain(
      "s-caught",
    );
    await shot("execution-failed");
    // Its workflow's links lead to the workflow's pages (state machines are named cplane-local-<workflow>).
    expect(await page.locator('.exec-header a[href^="#/start/"]').getAttribute("href")).toBe(
      "#/start/tenant-onboarding",
    );
    await page.click('.exec-header a[href="#/machines/tenant-onboarding"]');
    await page.waitForSelector('svg.graph g.state[data-state="CreateNamespace"]', { timeout: 30_000 });
    expect(await page.locator(".view h1").textContent()).toBe("tenant-onboarding");

    await open("#/cloud");
    await page.click("#clear-faults");
    await eventually(() => runtime.cloud.faults.list()).toEqual([]);
  }, 180_000);

  it("takes a region down and up, and advances the clock", async () => {
    await open("#/cloud");
    // The tenants the registry holds, and the cloud's resources by service and region (an active
    // tenant has its database cluster).
    const { tenants } = (await (await fetch(`${server.url}/_cplane/tenants`)).json()) as {
      tenants: { slug: string; status: string }[];
    };
    const tenantsShown = (await page.locator("#tenants").textContent()) ?? "";
    for (const { slug } of tenants) expect(tenantsShown).toContain(slug);
    const clusters = page.locator("#resources summary", { hasText: `RDS · ${runtime.region} · clusters` });
    expect(await clusters.count()).toBe(tenants.some((t) => t.status === "active") ? 1 : 0);
    const region = runtime.secondaryRegion;
    await page.click(`button[data-region="${region}"]`);
    await eventually(() => runtime.cloud.faults.isRegionDown(region)).toBe(true);
    await eventually(() => page.locator(`button[data-region="${region}"]`).textContent()).toBe("Region up");
    await page.click(`button[data-region="${region}"]`);
    await eventually(() => runtime.cloud.faults.isRegionDown(region)).toBe(false);

    const release = holdClock();
    const before = runtime.clock.now();
    // Twenty minutes: every schedule due meanwhile runs (DR copies every 5), which a loaded machine feels.
    await page.fill("#advance-by", "20m");
    await page.click("#advance");
    await eventually(() => runtime.clock.now() - before).toBeGreaterThanOrEqual(20 * 60_000);
    await eventually(async () =>
      Date.parse(`${(await page.locator("#clock-now").textContent())?.replace(" ", "T")}`),
    ).toBeGreaterThanOrEqual(before + 20 * 60_000 - 1000);
    release();
    // A duration it cannot read is refused by name, and time does not move.
    const at = runtime.clock.now();
    await page.fill("#advance-by", "soon");
    await page.click("#advance");
    await eventually(() => page.locator(".notice.error").textContent()).toContain("InvalidDuration");
    expect(runtime.clock.now() - at).toBeLessThan(3600_000);
    await page.locator(".notice.error .close").click();
  }, 60_000);

  it("changes the clock's speed while the runtime runs, and shows time moving at the new rate", async () => {
    await open("#/cloud");
    const shownTime = async () =>
      Date.parse(`${(await page.locator("#clock-now").textContent())?.replace(" ", "T")}`);

    await page.fill("#clock-speed", "manual");
    await page.click("#set-speed");
    await eventually(() => runtime.clock.mode).toEqual({ kind: "manual" });
    await eventually(() => page.locator("#clock-mode").textContent()).toContain("speed manual");
    const stopped = runtime.clock.now();
    await eventually(shownTime).toBe(Math.floor(stopped / 1000) * 1000);
    await eventually(() => page.locator("#clock-badge").textContent()).toContain("manual");

    // Sixty times real time: a simulated minute a second, from where the clock stood.
    await page.fill("#clock-speed", "60");
    await page.click("#set-speed");
    await eventually(() => runtime.clock.mode).toEqual({ kind: "scaled", factor: 60 });
    const wallFrom = Date.now();
    const from = runtime.clock.now();
    const wallFromRead = Date.now();
    expect(from).toBeGreaterThanOrEqual(stopped);
    await eventually(() => page.locator("#clock-mode").textContent()).toContain("speed 60x");
    // The page shows time moving on without a reload: three simulated minutes take three seconds.
    await eventually(shownTime).toBeGreaterThanOrEqual(from + 3 * 60_000);
    const wallTo = Date.now();
    const to = runtime.clock.now();
    const wallToRead = Date.now();
    expect(await shownTime()).toBeLessThanOrEqual(to + 1000);
    expect(to - from).toBeGreaterThanOrEqual((wallTo - wallFromRead) * 60 - 1);
    expect(to - from).toBeLessThanOrEqual((wallToRead - wallFrom) * 60 + 1);
    await shot("local-cloud-clock");

    // A speed it cannot read is refused by name, and the speed stays.
    await page.fill("#clock-speed", "fast");
    await page.click("#set-speed");
    await eventually(() => page.locator(".notice.error").textContent()).toContain("InvalidClockOptionError");
    expect(runtime.clock.mode).toEqual({ kind: "scaled", factor: 60 });
    await page.locator(".notice.error .close").click();
    // The refused request is the browser's one console error here.
    expect(errors.splice(0)).toEqual([expect.stringContaining("400")]);

    // Back to instant, as the other tests expect.
    await page.fill("#clock-speed", "instant");
    await page.click("#set-speed");
    await eventually(() => runtime.clock.mode).toEqual({ kind: "instant" });
  }, 90_000);

  it("approves a waiting decision with a reason", async () => {
    const gate = approvalGate({
      gate: "PromoteToProduction",
      question: "'Promote shop 2.4.1 to production?'",
      evidence: '{"errorRate": 0.2, "threshold": 1}',
      timeoutSeconds: 3600,
      onTimeout: { action: "reject" },
      approved: "Promoted",
      rejected: "NotPromoted",
      onFailure: "NotPromoted",
    });
    const arn = deploy("console-gated", {
      QueryLanguage: "JSONata",
      TimeoutSeconds: 4 * 3600,
      StartAt: "Init",
      States: {
        Init: { Type: "Pass", Assign: { ...gate.variables, failure: null }, Next: gate.entry },
        ...gate.states,
        Promoted: { Type: "Succeed", Output: `{% $${gate.decisionVariable} %}` },
        NotPromoted: { Type: "Fail", Error: "Rejected" },
      },
    } as StateMachineDefinition);
    holdClock();
    const { executionArn } = runtime.engine.startExecution({ stateMachineArn: arn, input: "{}" });
    await open("#/decisions");
    const card = page.locator("article.approval").filter({ hasText: "Promote shop 2.4.1 to production?" });
    await card.waitFor({ timeout: 60_000 });
    expect(await card.textContent()).toContain("errorRate");
    await shot("decisions");
    // No reason, no decision.
    await card.locator("button.approve").click();
    await eventually(() => page.locator(".notice.error").textContent()).toContain("give a reason");
    expect(runtime.engine.describeExecution(executionArn).status).toBe("RUNNING");
    await page.locator(".notice.error .close").click();
    await page.fill("#decided-by", "dana");
    await card.locator("input.reason").fill("error rate well under the gate");
    await card.locator("button.approve").click();
    const done = await runtime.engine.waitForExecution(executionArn);
    expect(done.status).toBe("SUCCEEDED");
    expect(JSON.parse(done.output ?? "{}")).toMatchObject({
      approved: true,
      decidedBy: "dana",
      reason: "error rate well under the gate",
    });
    await eventually(() => page.locator("#approvals table").textContent()).toContain(
      "error rate well under the gate",
    );

    // A rejection, with its reason, ends the execution on the gate's rejected path.
    const second = runtime.engine.startExecution({ stateMachineArn: arn, input: "{}" }).executionArn;
    const waiting = page
      .locator("article.approval")
      .filter({ has: page.locator(`a[href="#/executions/${encodeURIComponent(second)}"]`) });
    await waiting.waitFor({ timeout: 60_000 });
    await waiting.locator("input.reason").fill("error budget spent this week");
    await waiting.locator("button.reject").click();
    const rejected = await runtime.engine.waitForExecution(second);
    expect(rejected).toMatchObject({ status: "FAILED", error: "Rejected" });
    await eventually(() => page.locator("#approvals table").textContent()).toContain(
      "error budget spent this week",
    );
  }, 120_000);

  it("stops a running execution from its page, redrives it, and filters executions by start time", async () => {
    const arn = deploy("console-wait", {
      QueryLanguage: "JSONata",
      TimeoutSeconds: 86_400,
      StartAt: "Hold",
      States: { Hold: { Type: "Wait", Seconds: 3600, Next: "Done" }, Done: { Type: "Succeed" } },
    } as StateMachineDefinition);
    const quick = deploy("console-quick", {
      QueryLanguage: "JSONata",
      TimeoutSeconds: 60,
      StartAt: "Done",
      States: { Done: { Type: "Succeed" } },
    } as StateMachineDefinition);
    const old = runtime.engine.startExecution({ stateMachineArn: quick, input: "{}" }).executionArn;
    await runtime.engine.waitForExecution(old);
    await runtime.clock.advance(2 * 3600_000);
    const release = holdClock();
    const { executionArn } = runtime.engine.startExecution({ stateMachineArn: arn, input: "{}" });
    await open(`#/executions/${encodeURIComponent(executionArn)}`);
    await page.waitForSelector('g.state[data-state="Hold"].s-waiting');
    page.once("dialog", (dialog) => void dialog.accept("enough waiting"));
    await page.click("#stop");
    await page.waitForSelector(".exec-header .badge.aborted");
    expect(runtime.engine.describeExecution(executionArn)).toMatchObject({
      status: "ABORTED",
      cause: "enough waiting",
    });
    await page.click("#redrive");
    await page.waitForSelector(".exec-header .badge.running");
    expect(runtime.engine.describeExecution(executionArn).redriveCount).toBe(1);

    // Started within the last simulated hour: this one, not the one the clock left two hours behind.
    await open("#/executions?since=1h");
    await page.waitForSelector("#executions tbody tr");
    const recent = await page.locator("#executions tbody tr").allTextContents();
    expect(recent.some((row) => row.includes("console-wait"))).toBe(true);
    expect(recent.filter((row) => row.includes("console-quick"))).toEqual([]);
    await open("#/executions?workflow=console-quick");
    await eventually(() => page.locator("#executions tbody tr").count()).toBe(1);

    release();
    expect((await runtime.engine.waitForExecution(executionArn)).status).toBe("SUCCEEDED");
  }, 60_000);

  it("puts a sample event on the bus and shows it in the bus log", async () => {
    await open("#/events");
    await page.selectOption("#sample", "cplane.operations.approval-decided");
    const event = JSON.parse(await page.inputValue("#event-json")) as { detail: Record<string, unknown> };
    await page.fill(
      "#event-json",
      JSON.stringify({ ...event, detail: { ...event.detail, reason: "put from the console" } }),
    );
    await page.click("#put-event");
    await eventually(() =>
      runtime.bus
        .events({ busName: "cplane" })
        .some((logged) => (logged.event.detail as { reason?: string }).reason === "put from the console"),
    ).toBe(true);
    await eventually(() => page.locator("#event-log").textContent()).toContain("Approval Decided");
    await shot("events");
  }, 60_000);

  it("runs a schedule now: the execution it starts appears, with the schedule as its trigger", async () => {
    const sweeper = runtime.stateMachineArn("backup-sweeper");
    const before = new Set(
      runtime.engine.listExecutions({ stateMachineArn: sweeper }).executions.map((e) => e.executionArn),
    );
    await open("#/events");
    await page.click('button[data-schedule="backup-scratch-sweeper"]');
    const started = page.locator(".notice", { hasText: "backup-scratch-sweeper started" }).locator("a");
    await started.waitFor({ timeout: 30_000 });
    const name = (await started.textContent()) ?? "";
    // A new execution of the schedule's workflow, the one the notice names, started by that schedule's
    // run (the hourly schedule itself may start others meanwhile: the instant clock moves on).
    const added = runtime.engine
      .listExecutions({ stateMachineArn: sweeper })
      .executions.filter((e) => !before.has(e.executionArn));
    const ours = added.find((e) => e.name === name);
    expect(ours).toBeDefined();
    expect(runtime.scheduler.invocations().filter((i) => i.executionId === name)).toEqual([
      expect.objectContaining({ scheduleName: "backup-scratch-sweeper", ok: true }),
    ]);
    expect(JSON.parse(runtime.engine.describeExecution(ours?.executionArn ?? "").input)).toMatchObject({
      trigger: "schedule",
    });

    await started.click();
    await page.waitForURL(new RegExp(`#/executions/.*${name}$`));
    await page.waitForSelector(".exec-header .badge.succeeded", { timeout: 60_000 });
    expect(await page.locator("#execution-trigger").textContent()).toContain(
      "trigger: schedule backup-scratch-sweeper",
    );

    await open("#/executions?workflow=backup-sweeper");
    const row = page.locator("#executions tbody tr", { hasText: name });
    await row.waitFor({ timeout: 30_000 });
    expect(await row.locator('td[data-label="Trigger"]').textContent()).toBe(
      "schedule backup-scratch-sweeper",
    );
    // One started by hand has no schedule for a trigger.
    const manual = runtime.engine.startExecution({
      stateMachineArn: sweeper,
      input: JSON.stringify({ trigger: "manual", olderThanMinutes: 0 }),
    });
    await runtime.engine.waitForExecution(manual.executionArn);
    const manualRow = page.locator("#executions tbody tr", { hasText: manual.executionArn.split(":").pop() });
    await manualRow.waitFor({ timeout: 30_000 });
    expect(await manualRow.locator('td[data-label="Trigger"]').textContent()).toBe("");
  }, 120_000);

  it("is readable on a phone: the executions list as cards, the menu behind a button", async () => {
    const phone = await watchedPage(browser, { width: 390, height: 844 });
    try {
      await phone.page.goto(`${server.url}/#/executions`);
      await phone.page.waitForSelector("#executions tbody tr");
      expect(await phone.page.locator("nav").isVisible()).toBe(false);
      await phone.page.click("#menu");
      expect(await phone.page.locator("nav").isVisible()).toBe(true);
      // Nothing wider than the screen: no sideways scrolling of the page.
      expect(await phone.page.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(
        390,
      );
      await phone.page.screenshot({ path: join(ARTIFACTS, "phone-executions.png") });
      expect(phone.errors).toEqual([]);
    } finally {
      await phone.page.close();
    }
  }, 60_000);
});
