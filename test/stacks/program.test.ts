/**
 * The SST program itself (`sst.config.ts` → `stacks/`), run as `sst deploy` runs it, with Pulumi's
 * runtime mocks in place of AWS (test/stacks/program.ts), for each shape of stage: a short one,
 * `production`, and the longest the deploy accepts. What is asserted is what matters on AWS: that
 * everything the catalogs describe is created with its target, within AWS's limits, least privilege,
 * and that production keeps its data.
 */
import validator from "asl-validator";
import { beforeAll, describe, expect, it } from "vitest";
import {
  CANARY_ERRORS_ALARM,
  CANARY_LATENCY_ALARM,
  PLATFORM,
  regionHealthAlarmName,
} from "../../deploy/alarms.ts";
import { deployable } from "../../deploy/deployable.ts";
import { startExecutionStatements, starterTrustPolicy } from "../../deploy/start-roles.ts";
import { policyDocument, STATES_TRUST_POLICY } from "../../deploy/state-machine-iam.ts";
import { tenantAccessPolicies } from "../../deploy/tenant-access-policies.ts";
import { functionRules } from "../../events/function-rules.ts";
import { REGION_HEALTH_ALARM_PREFIX, workflowRules } from "../../events/rules.ts";
import { workflowSchedules } from "../../events/schedules.ts";
import { BACKUP_ALARMS } from "../../functions/backup/lib/alarms.ts";
import { functionCatalog } from "../../functions/catalog.ts";
import { componentName, LAMBDA_TRUST_POLICY } from "../../stacks/wiring.ts";
import { functionIdsOf } from "../../workflows/asl.ts";
import { workflowCatalog } from "../../workflows/catalog.ts";
import { renderStages } from "./program.ts";
import type { RenderedProgram, RenderedResource } from "./program-runner.ts";
import { ctx } from "./support.ts";

/** The longest stage name the deploy accepts (operator role names need room for a tenant). */
const LONGEST_STAGE = "feature-regional-failover-2";
const STAGES = ["pr-7", "production", LONGEST_STAGE] as const;

let rendered: Record<string, RenderedProgram> = {};
// Bundling every function and rendering three stages took 6 minutes a stage on a shared machine at load 13.
beforeAll(async () => {
  rendered = await renderStages(STAGES);
}, 1_800_000);

const all = (stage: string) => rendered[stage]?.resources ?? [];
const ofType = (stage: string, type: string) => all(stage).filter((r) => r.type === type);
const str = (value: unknown) => String(value);
function one(stage: string, type: string, name: string): RenderedResource {
  const found = all(stage).find((r) => r.type === type && r.name === name);
  if (!found) throw new Error(`${stage}: no ${type} named ${name}`);
  return found;
}
/** The ARN the mocked AWS gave a resource. */
const arnOf = (resource: RenderedResource) => str(resource.state.arn);
interface PolicyStatement {
  Sid?: string;
  Effect: string;
  Action: string[];
  Resource: string[];
}
/** The role with this ARN: its trust policy and the statements of its one inline policy. */
function roleOf(stage: string, roleArn: unknown): { trust: unknown; statements: PolicyStatement[] } {
  const role = all(stage).find((r) => r.type === "aws:iam/role:Role" && arnOf(r) === roleArn);
  if (!role) throw new Error(`${stage}: no role ${str(roleArn)}`);
  const policies = ofType(stage, "aws:iam/rolePolicy:RolePolicy").filter((p) => p.inputs.role === role.id);
  expect(policies, role.name).toHaveLength(1);
  return {
    trust: JSON.parse(str(role.inputs.assumeRolePolicy)),
    statements: JSON.parse(str(policies[0]?.inputs.policy)).Statement,
  };
}

/** AWS's limits on names (each service's API reference). */
const NAME_LIMITS: Readonly<Record<string, { max: number; pattern?: RegExp }>> = {
  "aws:cloudwatch/eventRule:EventRule": { max: 64, pattern: /^[.\-_A-Za-z0-9]+$/ },
  "aws:scheduler/schedule:Schedule": { max: 64, pattern: /^[0-9a-zA-Z\-_.]+$/ },
  "aws:sfn/stateMachine:StateMachine": { max: 80, pattern: /^[\w-]+$/ },
  "aws:lambda/function:Function": { max: 64, pattern: /^[\w-]+$/ },
  "aws:iam/role:Role": { max: 64, pattern: /^[\w+=,.@-]+$/ },
  "aws:iam/policy:Policy": { max: 128, pattern: /^[\w+=,.@-]+$/ },
  "aws:cloudwatch/logGroup:LogGroup": { max: 512, pattern: /^[.\-_/#A-Za-z0-9]+$/ },
  "aws:cloudwatch/metricAlarm:MetricAlarm": { max: 255 },
  "aws:cloudwatch/eventBus:EventBus": { max: 256, pattern: /^[/.\-_A-Za-z0-9]+$/ },
  "aws:dynamodb/table:Table": { max: 255, pattern: /^[\w.-]{3,}$/ },
  "aws:sqs/queue:Queue": { max: 80, pattern: /^[\w-]+$/ },
  "aws:secretsmanager/secret:Secret": { max: 512, pattern: /^[\w/+=.@-]+$/ },
};

/** Characters IAM counts in a policy: all but whitespace (IAM and AWS STS quotas). */
const policySize = (document: string) => document.replace(/\s/g, "").length;

describe.each(STAGES)("the SST program for stage %s", (stage) => {
  const prefix = `cplane-${stage}`;

  it("completes, answering nothing it was not asked", () => {
    expect(rendered[stage]?.unanswered).toEqual([]);
    expect(all(stage).length).toBeGreaterThan(0);
  });

  it("deploys one function per catalog entry: Node 24 on arm64, active tracing, minified, nothing from local/ or test/ bundled", () => {
    const program = rendered[stage] as RenderedProgram;
    expect(
      ofType(stage, "sst:aws:Function")
        .map((r) => r.name)
        .sort(),
    ).toEqual([...functionCatalog.keys()].map(componentName).sort());
    for (const spec of functionCatalog.values()) {
      const fn = one(stage, "aws:lambda/function:Function", `${componentName(spec.id)}Function`);
      expect({
        id: spec.id,
        runtime: fn.inputs.runtime,
        arch: fn.inputs.architectures,
        tracing: fn.inputs.tracingConfig,
      }).toEqual({
        id: spec.id,
        runtime: "nodejs24.x",
        arch: ["arm64"],
        tracing: { mode: "Active" },
      });
    }
    expect(program.builds.map((b) => b.functionID).sort()).toEqual(
      [...functionCatalog.keys()].map(componentName).sort(),
    );
    for (const build of program.builds) {
      expect(build.minify, build.functionID).toBe(true);
      const foreign = Object.keys(build.inputs).filter((file) => /^(local|test)\//.test(file));
      expect(foreign, build.functionID).toEqual([]);
    }
  });

  it("gives every function a role that only Lambda can assume", () => {
    for (const spec of functionCatalog.values()) {
      const role = one(stage, "aws:iam/role:Role", `${componentName(spec.id)}Role`);
      expect(JSON.parse(str(role.inputs.assumeRolePolicy)), spec.id).toEqual(LAMBDA_TRUST_POLICY);
    }
  });

  it("deploys every workflow: each function ARN substituted, valid ASL, a role that invokes exactly those functions", () => {
    const functionArns = new Map(
      ofType(stage, "aws:lambda/function:Function").map((fn) => [
        fn.name.replace(/Function$/, ""),
        arnOf(fn),
      ]),
    );
    const machines = ofType(stage, "aws:sfn/stateMachine:StateMachine");
    expect(machines.map((m) => m.inputs.name).sort()).toEqual(
      [...workflowCatalog.keys()].map((name) => `${prefix}-${name}`).sort(),
    );
    for (const workflow of workflowCatalog.values()) {
      const machine = machines.find(
        (m) => m.inputs.name === `${prefix}-${workflow.name}`,
      ) as RenderedResource;
      const definition = str(machine.inputs.definition);
      expect(definition, workflow.name).not.toContain("cplane:function:");
      const expected = functionIdsOf(workflow.definition).map((id) => functionArns.get(componentName(id)));
      const named = [...definition.matchAll(/"FunctionName":"([^"]+)"/g)].map((m) => m[1]);
      expect(new Set(named), workflow.name).toEqual(new Set(expected));
      expect(validator(JSON.parse(definition)).errors, workflow.name).toEqual([]);

      const { trust, statements } = roleOf(stage, machine.inputs.roleArn);
      expect(trust, workflow.name).toEqual(STATES_TRUST_POLICY);
      // Exactly its functions, in one statement; nothing else but logging and tracing, which need `*`.
      const invoking = statements.filter((s) => s.Action.includes("lambda:InvokeFunction"));
      expect(
        invoking.map((s) => s.Sid),
        workflow.name,
      ).toEqual(["InvokeFunctions"]);
      expect(new Set(invoking[0]?.Resource), workflow.name).toEqual(
        new Set(expected.flatMap((arn) => [arn, `${arn}:*`])),
      );
      expect(
        statements.map((s) => s.Sid),
        workflow.name,
      ).toEqual(["InvokeFunctions", "Logging", "Tracing"]);
      for (const s of statements.filter((s) => s.Resource.includes("*")))
        expect(
          s.Action.every((a) => /^(logs|xray):/.test(a)),
          `${workflow.name} ${s.Sid}`,
        ).toBe(true);
    }
  });

  it("deploys every rule whose workflow is built, on its bus, with its target and a start role of its own", () => {
    const machines = new Map(
      ofType(stage, "aws:sfn/stateMachine:StateMachine").map((m) => [str(m.inputs.name), arnOf(m)]),
    );
    const rules = ofType(stage, "aws:cloudwatch/eventRule:EventRule");
    const targets = ofType(stage, "aws:cloudwatch/eventTarget:EventTarget");
    const bus = one(stage, "aws:cloudwatch/eventBus:EventBus", "ControlPlaneBusBus");
    const startRoles: string[] = [];
    const expected = [
      ...deployable(workflowRules, new Set(workflowCatalog.keys())).ready.map((rule) => ({
        rule,
        target: machines.get(`${prefix}-${rule.workflow}`),
      })),
      ...functionRules.map((rule) => ({
        rule,
        target: arnOf(one(stage, "aws:lambda/function:Function", `${componentName(rule.function)}Function`)),
      })),
    ];
    expect(rules).toHaveLength(expected.length);
    for (const { rule, target } of expected) {
      const deployed = rules.find((r) => r.inputs.description === rule.description) as RenderedResource;
      expect(deployed, rule.name).toBeDefined();
      expect(JSON.parse(str(deployed.inputs.eventPattern)), rule.name).toEqual(rule.eventPattern);
      expect(deployed.inputs.eventBusName, rule.name).toBe(
        rule.eventBus === "default" ? "default" : bus.state.name,
      );
      const deliveries = targets.filter((t) => t.inputs.rule === deployed.inputs.name);
      expect(
        deliveries.map((t) => t.inputs.arn),
        rule.name,
      ).toEqual([target]);
      if ("workflow" in rule) {
        // Its own role, which EventBridge alone assumes, may start exactly its workflow.
        const { trust, statements } = roleOf(stage, deliveries[0]?.inputs.roleArn);
        expect(trust, rule.name).toEqual(starterTrustPolicy("events"));
        expect(statements, rule.name).toEqual(
          policyDocument(startExecutionStatements(str(target))).Statement,
        );
        startRoles.push(str(deliveries[0]?.inputs.roleArn));
      }
    }
    expect(new Set(startRoles).size).toBe(startRoles.length);
  });

  it("deploys every schedule whose workflow is built, with its workflow as target and a start role of its own", () => {
    const machines = new Map(
      ofType(stage, "aws:sfn/stateMachine:StateMachine").map((m) => [str(m.inputs.name), arnOf(m)]),
    );
    const schedules = ofType(stage, "aws:scheduler/schedule:Schedule");
    const ready = deployable(workflowSchedules, new Set(workflowCatalog.keys())).ready;
    expect(schedules).toHaveLength(ready.length);
    const roles = new Set<string>();
    for (const schedule of ready) {
      const deployed = schedules.find((s) => s.inputs.description === schedule.description);
      const target = deployed?.inputs.target as { arn?: string; roleArn?: string } | undefined;
      const machine = machines.get(`${prefix}-${schedule.workflow}`);
      expect(target?.arn, schedule.name).toBe(machine);
      // Its own role, which Scheduler alone assumes, may start exactly its workflow.
      const { trust, statements } = roleOf(stage, target?.roleArn);
      expect(trust, schedule.name).toEqual(starterTrustPolicy("scheduler"));
      expect(statements, schedule.name).toEqual(
        policyDocument(startExecutionStatements(str(machine))).Statement,
      );
      roles.add(str(target?.roleArn));
    }
    expect(roles.size).toBe(ready.length);
  });

  it("creates every alarm the workflows rely on: region health per region on its health check, the canary gates, backups failing twice", () => {
    const alarms = ofType(stage, "aws:cloudwatch/metricAlarm:MetricAlarm");
    expect(alarms.map((a) => a.inputs.name).sort()).toEqual(
      [
        ...PLATFORM.regions.map(regionHealthAlarmName),
        CANARY_ERRORS_ALARM,
        CANARY_LATENCY_ALARM,
        ...BACKUP_ALARMS.map((alarm) => `${prefix}-${alarm.name}`),
      ].sort(),
    );
    const checks = ofType(stage, "aws:route53/healthCheck:HealthCheck");
    for (const region of PLATFORM.regions) {
      const alarm = alarms.find((a) => a.inputs.name === regionHealthAlarmName(region)) as RenderedResource;
      const check = checks.find((c) => c.inputs.fqdn === `api.${region}.${PLATFORM.domain}`);
      expect(check, region).toBeDefined();
      expect(alarm.inputs).toMatchObject({
        namespace: "AWS/Route53",
        metricName: "HealthCheckStatus",
        dimensions: { HealthCheckId: check?.id },
      });
      // The failover rule reacts to it.
      expect(str(alarm.inputs.name).startsWith(REGION_HEALTH_ALARM_PREFIX)).toBe(true);
    }
    const failover = workflowRules.find(
      (r) => r.workflow === "regional-failover" && r.eventBus === "default",
    );
    expect(JSON.stringify(failover?.eventPattern)).toContain(REGION_HEALTH_ALARM_PREFIX);
  });

  it("keeps every name it sets within AWS's limits", () => {
    for (const resource of all(stage)) {
      const limit = NAME_LIMITS[resource.type];
      if (!limit || typeof resource.inputs.name !== "string") continue;
      const name = resource.inputs.name;
      expect(name.length, `${resource.type} ${name}`).toBeLessThanOrEqual(limit.max);
      if (limit.pattern) expect(name, resource.type).toMatch(limit.pattern);
    }
  });

  it("keeps policies, environments and definitions within AWS's size limits", () => {
    const rolePolicies = ofType(stage, "aws:iam/rolePolicy:RolePolicy");
    for (const role of ofType(stage, "aws:iam/role:Role")) {
      const inline = ((role.inputs.inlinePolicies as { policy: string }[] | undefined) ?? []).map(
        (p) => p.policy,
      );
      const attached = rolePolicies.filter((p) => p.inputs.role === role.id).map((p) => str(p.inputs.policy));
      // IAM: a role's inline policies together at most 10,240 characters, its trust policy 2,048.
      const total = [...inline, ...attached].reduce((sum, doc) => sum + policySize(doc), 0);
      expect(total, role.name).toBeLessThanOrEqual(10_240);
      expect(policySize(str(role.inputs.assumeRolePolicy)), role.name).toBeLessThanOrEqual(2_048);
    }
    for (const policy of ofType(stage, "aws:iam/policy:Policy"))
      expect(policySize(str(policy.inputs.policy)), policy.name).toBeLessThanOrEqual(6_144);
    for (const fn of ofType(stage, "aws:lambda/function:Function")) {
      // Lambda: the environment's keys and values together at most 4 KB.
      const variables =
        (fn.inputs.environment as { variables?: Record<string, string> } | undefined)?.variables ?? {};
      const bytes = Object.entries(variables).reduce((sum, [k, v]) => sum + Buffer.byteLength(k + v), 0);
      expect(bytes, fn.name).toBeLessThanOrEqual(4_096);
    }
    for (const machine of ofType(stage, "aws:sfn/stateMachine:StateMachine"))
      expect(Buffer.byteLength(str(machine.inputs.definition)), machine.name).toBeLessThanOrEqual(1_048_576);
    for (const rule of ofType(stage, "aws:cloudwatch/eventRule:EventRule"))
      expect(str(rule.inputs.eventPattern).length, rule.name).toBeLessThanOrEqual(4_096);
  });

  it(
    stage === "production"
      ? "retains the tenant registry and protects the stage"
      : "removes its data with the stage",
    () => {
      const production = stage === "production";
      const table = one(stage, "aws:dynamodb/table:Table", "TenantRegistryTable");
      expect(table.retainOnDelete).toBe(production);
      expect(table.inputs.deletionProtectionEnabled ?? false).toBe(production);
      const secret = one(stage, "aws:secretsmanager/secret:Secret", "GitWebhookSecret");
      expect(secret.inputs.recoveryWindowInDays).toBe(production ? 30 : 7);
      expect((rendered[stage]?.outputs as { _protect?: boolean } | undefined)?._protect).toBe(production);
    },
  );

  it("indexes the registry's tenant items, in brief, for the upkeep's listing", () => {
    const table = one(stage, "aws:dynamodb/table:Table", "TenantRegistryTable");
    expect(table.inputs.globalSecondaryIndexes).toEqual([
      expect.objectContaining({
        name: "by-kind",
        hashKey: "sk",
        rangeKey: "pk",
        projectionType: "INCLUDE",
        nonKeyAttributes: ["slug", "tenantId", "tier", "status", "region", "createdAt", "leftovers"],
      }),
    ]);
  });
});

describe("the stage shapes rendered", () => {
  it("include the longest stage name the deploy accepts", () => {
    expect(() => tenantAccessPolicies({ ...ctx, stage: LONGEST_STAGE })).not.toThrow();
    expect(() => tenantAccessPolicies({ ...ctx, stage: `${LONGEST_STAGE}x` })).toThrow(
      expect.objectContaining({ name: "InvalidConfigurationError" }),
    );
  });
});
