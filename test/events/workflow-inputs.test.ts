/**
 * Every rule and schedule in events/ gives its workflow an input that workflow's contract accepts:
 * each sample event a rule matches goes through the rule's input path or transformer, with the local
 * bus's own transformer code, and each schedule's input through the local scheduler's context
 * attributes. Built workflows take exactly those contracts as their input schema.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { workflowRules } from "../../events/rules.ts";
import { workflowSchedules } from "../../events/schedules.ts";
import { TenantRequest } from "../../events/tenants.ts";
import { WORKFLOW_NAMES, workflowInputs } from "../../events/workflows.ts";
import { resolveSlug } from "../../functions/tenant/lib/slug.ts";
import { RegisterInput } from "../../functions/tenant/validate-and-register.ts";
import { targetInput } from "../../local/bus/input.ts";
import { testEventPattern } from "../../local/bus/pattern.ts";
import { createClock } from "../../local/clock/clock.ts";
import { createLocalScheduler, installWorkflowSchedules } from "../../local/scheduler/index.ts";
import { workflowCatalog } from "../../workflows/catalog.ts";

const SAMPLES_DIR = join(import.meta.dirname, "../../events/samples");
const samples = readdirSync(SAMPLES_DIR)
  .filter((file) => file.endsWith(".json"))
  .map((file) => ({
    file,
    event: JSON.parse(readFileSync(join(SAMPLES_DIR, file), "utf8")) as Record<string, unknown>,
  }));

const context = {
  ruleName: "rule",
  ruleArn: "arn:aws:events:us-east-1:000000000000:rule/rule",
  ingestionTime: "2026-03-01T12:00:01Z",
};

/** What the rule's target receives for `event`, parsed. */
function inputOf(rule: (typeof workflowRules)[number], event: Record<string, unknown>): unknown {
  return JSON.parse(
    targetInput(event, { InputPath: rule.inputPath, InputTransformer: rule.inputTransformer }, context),
  );
}

const issuesOf = (result: { error?: { issues: { path: PropertyKey[]; message: string }[] } }) =>
  (result.error?.issues ?? []).map((issue) => `${issue.path.join(".")}: ${issue.message}`);

describe("rule inputs against their workflow's input contract", () => {
  it.each(workflowRules.map((rule) => [rule.name, rule] as const))(
    "%s gives every sample it matches an input its workflow accepts",
    (_, rule) => {
      const matched = samples.filter(({ event }) => testEventPattern(rule.eventPattern, event));
      expect(matched.length, "samples the rule matches").toBeGreaterThan(0);
      for (const { file, event } of matched) {
        const input = inputOf(rule, event);
        expect(issuesOf(workflowInputs[rule.workflow].safeParse(input)), file).toEqual([]);
      }
    },
  );

  it("delivers a region-health alarm whose reason holds quotes, backslashes and newlines", () => {
    // EventBridge fills a JSON template as text, never escaping: a free-text field inside quotes
    // breaks the JSON and the event is not delivered (the failover would never start).
    const rule = workflowRules.find((r) => r.name === "region-health-alarm-failover");
    const alarm = samples.find(({ file }) => file === "aws.cloudwatch.cloudwatch-alarm-state-change.json");
    if (!rule || !alarm) throw new Error("the failover rule and the alarm sample exist");
    const detail = alarm.event.detail as { state: Record<string, unknown> };
    const reason = 'Health check "api" failed:\n\\ C:\\path {"x": 1}';
    const event = { ...alarm.event, detail: { ...detail, state: { ...detail.state, reason } } };

    const input = inputOf(rule, event);

    expect(issuesOf(workflowInputs["regional-failover"].safeParse(input))).toEqual([]);
    expect(input).toMatchObject({ trigger: "alarm", state: { value: "ALARM", reason } });
  });

  it("catches a transformer that loses a field the workflow needs", () => {
    const canary = workflowRules.find((rule) => rule.workflow === "canary-promotion");
    const push = samples.find(({ file }) => file === "cplane.git.git-push.json");
    if (!canary?.inputTransformer || !push) throw new Error("the canary rule and the push sample exist");
    const { commit: _dropped, ...paths } = canary.inputTransformer.InputPathsMap ?? {};
    const broken = { ...canary, inputTransformer: { ...canary.inputTransformer, InputPathsMap: paths } };

    const result = workflowInputs["canary-promotion"].safeParse(inputOf(broken, push.event));

    expect(issuesOf(result).join("\n")).toMatch(/commit/);
  });
});

describe("schedule inputs against their workflow's input contract", () => {
  it("give every schedule's run an input its workflow accepts", async () => {
    const started: { arn: string; input: string }[] = [];
    const scheduler = createLocalScheduler({
      clock: createClock({ mode: { kind: "manual" }, start: Date.parse("2026-03-01T03:00:00Z") }),
      dispatcher: {
        startExecution: async (arn, input) => started.push({ arn, input }),
        invokeFunction: async () => undefined,
      },
    });
    const arnOf = (workflow: string) => `arn:aws:states:us-east-1:000000000000:stateMachine:${workflow}`;
    installWorkflowSchedules(
      scheduler,
      workflowSchedules,
      arnOf,
      (schedule) => `arn:aws:iam::000000000000:role/cplane-local-schedule-${schedule.name}`,
    );

    for (const schedule of workflowSchedules) scheduler.runNow({ Name: schedule.name });
    await new Promise((resolve) => setTimeout(resolve, 0));
    scheduler.dispose();

    expect(started).toHaveLength(workflowSchedules.length);
    for (const [i, schedule] of workflowSchedules.entries()) {
      const run = started[i];
      expect(run?.arn).toBe(arnOf(schedule.workflow));
      const input = JSON.parse(run?.input ?? "null");
      expect(issuesOf(workflowInputs[schedule.workflow].safeParse(input)), schedule.name).toEqual([]);
    }
  });
});

describe("workflow input contracts", () => {
  it("are the input schema of every built workflow, and name every workflow a trigger starts", () => {
    for (const spec of workflowCatalog.values()) expect(spec.input).toBe(workflowInputs[spec.name]);
    for (const entry of [...workflowRules, ...workflowSchedules])
      expect(WORKFLOW_NAMES, entry.name).toContain(entry.workflow);
  });

  it.each([
    [{ slug: "Bad_Slug!" }, "slug"],
    [{ name: "!!!" }, "name"],
    [{ region: "mars-1" }, "region"],
    [{ name: "Admin" }, "name"],
    [{ slug: "kube-system" }, "slug"],
  ])("refuses a tenant request with %o, naming %s", (change, field) => {
    const request = { name: "Acme Corp", tier: "premium", adminEmail: "ops@acme.example", ...change };

    const result = TenantRequest.safeParse(request);

    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path[0])).toEqual([field]);
  });

  it("accepts a tenant request exactly when the first step's slug rules do", () => {
    const text = fc.string({ maxLength: 50 });
    const slugLike = fc.stringMatching(/^[a-z0-9-]{0,45}$/);
    fc.assert(
      fc.property(
        fc.oneof(text, slugLike),
        fc.option(fc.oneof(text, slugLike), { nil: undefined }),
        (name, slug) => {
          const request = { name, tier: "basic", adminEmail: "ops@example.com", slug };
          const fields = RegisterInput.safeParse({ ...request, executionArn: "arn" });
          fc.pre(fields.success); // name length and the other fields have their own checks
          let stepAccepts = true;
          try {
            resolveSlug(fields.data?.name ?? "", slug);
          } catch {
            stepAccepts = false;
          }
          expect(TenantRequest.safeParse(request).success).toBe(stepAccepts);
        },
      ),
      { numRuns: 500 },
    );
  });
});
