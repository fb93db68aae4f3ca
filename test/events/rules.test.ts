import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { functionRules } from "../../events/function-rules.ts";
import { eventRegistry } from "../../events/registry.ts";
import { REGION_HEALTH_ALARM_PREFIX, workflowRules } from "../../events/rules.ts";
import { workflowSchedules } from "../../events/schedules.ts";
import { functionCatalog } from "../../functions/catalog.ts";
import { compilePattern } from "../../local/bus/pattern.ts";
import { createRuleSet } from "../../local/bus/ruleset.ts";
import { parseScheduleExpression } from "../../local/scheduler/expression.ts";

const sample = (name: string) =>
  JSON.parse(
    readFileSync(join(import.meta.dirname, "../../events/samples", `${name}.json`), "utf8"),
  ) as Record<string, unknown>;

describe("workflow rules", () => {
  it("have unique names, valid patterns, and name a registered event", () => {
    expect(new Set(workflowRules.map((r) => r.name)).size).toBe(workflowRules.length);
    for (const rule of workflowRules) {
      expect(() => compilePattern(rule.eventPattern)).not.toThrow();
      const [source] = rule.eventPattern.source as string[];
      const [detailType] = rule.eventPattern["detail-type"] as string[];
      expect(eventRegistry.has(String(source), String(detailType)), rule.name).toBe(true);
    }
  });

  it("route each sample to the workflow it should start, and no other", () => {
    const ruleSet = createRuleSet(Object.fromEntries(workflowRules.map((r) => [r.name, r.eventPattern])));
    expect(ruleSet.match(sample("cplane.tenants.tenant-requested"))).toEqual(["tenant-requested-onboarding"]);
    expect(ruleSet.match(sample("cplane.tenants.tenant-offboarding-requested"))).toEqual([
      "tenant-offboarding-requested",
    ]);
    expect(ruleSet.match(sample("cplane.git.git-push"))).toEqual(["git-push-main-canary"]);
    expect(ruleSet.match(sample("aws.cloudwatch.cloudwatch-alarm-state-change"))).toEqual([
      "region-health-alarm-failover",
    ]);
    expect(ruleSet.match(sample("aws.cloudwatch.cloudwatch-alarm-state-change.composite"))).toEqual([]);
    expect(ruleSet.match(sample("cplane.tenants.tenant-created"))).toEqual([]);
  });

  it("ignore pushes to other branches, branch deletions and alarms returning to OK", () => {
    const ruleSet = createRuleSet(Object.fromEntries(workflowRules.map((r) => [r.name, r.eventPattern])));
    const push = sample("cplane.git.git-push");
    const detail = push.detail as Record<string, unknown>;
    expect(
      ruleSet.match({ ...push, detail: { ...detail, branch: "feature/x", ref: "refs/heads/feature/x" } }),
    ).toEqual([]);
    expect(ruleSet.match({ ...push, detail: { ...detail, deleted: true } })).toEqual([]);
    const alarm = sample("aws.cloudwatch.cloudwatch-alarm-state-change");
    const alarmDetail = alarm.detail as { state: Record<string, unknown> };
    expect(
      ruleSet.match({ ...alarm, detail: { ...alarmDetail, state: { ...alarmDetail.state, value: "OK" } } }),
    ).toEqual([]);
    expect(
      String((alarm.detail as { alarmName: string }).alarmName).startsWith(REGION_HEALTH_ALARM_PREFIX),
    ).toBe(true);
  });
});

describe("workflow schedules", () => {
  it("have unique names and valid expressions in valid time zones", () => {
    expect(new Set(workflowSchedules.map((s) => s.name)).size).toBe(workflowSchedules.length);
    for (const schedule of workflowSchedules) {
      expect(() => parseScheduleExpression(schedule.scheduleExpression)).not.toThrow();
      expect(() => new Intl.DateTimeFormat("en", { timeZone: schedule.timezone })).not.toThrow();
    }
  });
});

describe("function rules", () => {
  it("target catalog functions with valid patterns on registered events", () => {
    for (const rule of functionRules) {
      expect(functionCatalog.has(rule.function), rule.name).toBe(true);
      expect(() => compilePattern(rule.eventPattern)).not.toThrow();
      const [source] = rule.eventPattern.source as string[];
      for (const detailType of rule.eventPattern["detail-type"] as string[])
        expect(eventRegistry.has(String(source), detailType), `${rule.name}: ${detailType}`).toBe(true);
    }
  });

  it("wake waiters on RDS's own events, and the clean-up on stopped tenant and canary executions only", () => {
    const waiters = createRuleSet(Object.fromEntries(functionRules.map((r) => [r.name, r.eventPattern])));
    for (const name of [
      "aws.rds.rds-db-cluster-event",
      "aws.rds.rds-db-instance-event",
      "aws.rds.rds-db-cluster-snapshot-event",
    ])
      expect(waiters.match(sample(name)), name).toEqual(["rds-state-change-resume-waiters"]);
    const cleanup = createRuleSet(Object.fromEntries(workflowRules.map((r) => [r.name, r.eventPattern])));
    const aborted = sample("aws.states.step-functions-execution-status-change");
    expect(cleanup.match(aborted)).toEqual(["execution-stopped-clean-up"]);
    const detail = aborted.detail as Record<string, unknown>;
    expect(cleanup.match({ ...aborted, detail: { ...detail, status: "SUCCEEDED" } })).toEqual([]);
    const otherMachine = "arn:aws:states:eu-west-1:123456789012:stateMachine:someone-elses-workflow";
    expect(cleanup.match({ ...aborted, detail: { ...detail, stateMachineArn: otherMachine } })).toEqual([]);
    const canary = "arn:aws:states:eu-west-1:123456789012:stateMachine:cplane-prod-canary-promotion";
    expect(cleanup.match({ ...aborted, detail: { ...detail, stateMachineArn: canary } })).toEqual([
      "execution-stopped-clean-up",
    ]);
  });
});
