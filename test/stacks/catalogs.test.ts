import { existsSync } from "node:fs";
import validator from "asl-validator";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { deployable } from "../../deploy/deployable.ts";
import { stateMachineStatements } from "../../deploy/state-machine-iam.ts";
import { workflowRules } from "../../events/rules.ts";
import { workflowSchedules } from "../../events/schedules.ts";
import { functionCatalog } from "../../functions/catalog.ts";
import {
  defineFunctionCatalog,
  type FunctionSpec,
  InvalidCatalogError,
} from "../../functions/shared/catalog.ts";
import { renderDefinition, unexplainedWildcards } from "../../stacks/wiring.ts";
import { functionIdsOf } from "../../workflows/asl.ts";
import { workflowCatalog } from "../../workflows/catalog.ts";
import { defineWorkflowCatalog, InvalidWorkflowCatalogError } from "../../workflows/workflow.ts";
import { ctx } from "./support.ts";

const spec: FunctionSpec = {
  id: "tenant/register",
  handler: "functions/tenant/register.ts",
  description: "registers a tenant",
  timeoutSeconds: 10,
  memoryMB: 256,
  permissions: [{ actions: ["dynamodb:PutItem"], resources: [{ ref: "tenantTable" }] }],
};

describe("defineFunctionCatalog", () => {
  it("indexes entries by id", () => {
    expect(defineFunctionCatalog([spec]).get("tenant/register")).toBe(spec);
  });

  it.each([
    ["a duplicate id", [spec, spec], /listed twice/],
    ["a malformed id", [{ ...spec, id: "Tenant/Register" as const }], /group\/step/],
    ["a handler outside functions/", [{ ...spec, handler: "local/x.ts" }], /functions\/\*\*\.ts/],
    ["a timeout over 15 minutes", [{ ...spec, timeoutSeconds: 901 }], /timeout/],
    ["memory under 128 MB", [{ ...spec, memoryMB: 64 }], /memory/],
    [
      "a wildcard action",
      [{ ...spec, permissions: [{ actions: ["rds:*"], resources: ["arn:x"] }] }],
      /wildcard/,
    ],
    [
      "an unexplained * resource",
      [{ ...spec, permissions: [{ actions: ["sts:GetCallerIdentity"], resources: ["*"] }] }],
      /reason/,
    ],
  ])("refuses %s", (_, specs, message) => {
    expect(() => defineFunctionCatalog(specs)).toThrow(InvalidCatalogError);
    expect(() => defineFunctionCatalog(specs)).toThrow(message);
  });
});

describe("defineWorkflowCatalog", () => {
  const workflow = {
    name: "tenant-onboarding",
    description: "onboards a tenant",
    input: z.object({ name: z.string() }),
    definition: {
      QueryLanguage: "JSONata" as const,
      StartAt: "A",
      TimeoutSeconds: 60,
      States: { A: { Type: "Succeed" as const } },
    },
  };

  it.each([
    ["a duplicate name", [workflow, workflow], /listed twice/],
    [
      "a JSONPath definition",
      [{ ...workflow, definition: { ...workflow.definition, QueryLanguage: "JSONPath" as const } }],
      /JSONata/,
    ],
    [
      "a definition without an execution timeout",
      [{ ...workflow, definition: { ...workflow.definition, TimeoutSeconds: undefined } }],
      /TimeoutSeconds/,
    ],
    ["a name that is not kebab-case", [{ ...workflow, name: "TenantOnboarding" }], /kebab-case/],
  ])("refuses %s", (_, specs, message) => {
    expect(() => defineWorkflowCatalog(specs)).toThrow(InvalidWorkflowCatalogError);
    expect(() => defineWorkflowCatalog(specs)).toThrow(message);
  });
});

describe("the project's catalogs", () => {
  it("have no wildcard IAM without a written reason", () => {
    expect(unexplainedWildcards(functionCatalog.values())).toEqual([]);
  });

  it("point every function at a handler module that exists", () => {
    for (const fn of functionCatalog.values()) expect(existsSync(fn.handler), fn.handler).toBe(true);
  });

  it("define valid ASL whose every function is in the function catalog", () => {
    for (const workflow of workflowCatalog.values()) {
      const result = validator(structuredClone(workflow.definition));
      expect(result.errors, workflow.name).toEqual([]);
      for (const id of functionIdsOf(workflow.definition))
        expect(functionCatalog.has(id), `${workflow.name} → ${id}`).toBe(true);
    }
  });
});

describe("the project's state machines as stacks/ deploys them", () => {
  const arns = Object.fromEntries(
    [...functionCatalog.keys()].map((id) => [
      id,
      `arn:aws:lambda:eu-west-1:123456789012:function:${id.replace("/", "-")}`,
    ]),
  );

  it("are the catalog definitions with every placeholder replaced by its function's ARN", () => {
    for (const workflow of workflowCatalog.values()) {
      const deployed = renderDefinition(workflow.definition, arns);
      const text = JSON.stringify(deployed);
      expect(text, workflow.name).not.toContain("cplane:function:");
      const restored = text.replace(
        /arn:aws:lambda:eu-west-1:123456789012:function:([a-z]+)-([a-z0-9-]+)/g,
        "cplane:function:$1/$2",
      );
      expect(JSON.parse(restored), workflow.name).toEqual(workflow.definition);
    }
  });

  it("get a role that may invoke exactly the functions their definition names, and nothing else", () => {
    for (const workflow of workflowCatalog.values()) {
      const statements = stateMachineStatements({ definition: workflow.definition, functionArns: arns, ctx });
      const invoking = statements.filter((s) => s.actions.includes("lambda:InvokeFunction"));
      const named = functionIdsOf(workflow.definition).flatMap((id) => [arns[id], `${arns[id]}:*`]);
      expect(invoking.length, workflow.name).toBe(1);
      expect([...(invoking[0]?.resources ?? [])].sort(), workflow.name).toEqual(named.sort());
      // A wildcard only where Step Functions' logging and tracing need one, and with a written reason.
      for (const s of statements.filter((s) => s.resources.includes("*"))) {
        expect(s.reason, `${workflow.name} ${s.sid}`).toMatch(/no resource-level permissions/);
        expect(
          s.actions.every((a) => /^(logs|xray):/.test(a)),
          `${workflow.name} ${s.sid}`,
        ).toBe(true);
      }
    }
  });
});

describe("the project's rules and schedules", () => {
  /** The workflows DESIGN.md plans; a rule may wait for one of these, never for a misspelt name. */
  const planned = new Set([
    "tenant-onboarding",
    "tenant-offboarding",
    "canary-promotion",
    "backup-verification",
    "backup-snapshots",
    "backup-sweeper",
    "regional-failover",
    "dr-readiness",
    "dr-snapshot-copies",
    "operation-cleanup",
  ]);

  it("each start a planned workflow, and every built workflow has a trigger or is started by hand", () => {
    for (const entry of [...workflowRules, ...workflowSchedules])
      expect(planned.has(entry.workflow), entry.name).toBe(true);
    const names = [...workflowRules, ...workflowSchedules].map((entry) => entry.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it("include the onboarding and offboarding rules now that both workflows are built", () => {
    const ready = deployable(workflowRules, new Set(workflowCatalog.keys())).ready.map(
      (rule) => rule.workflow,
    );
    expect(ready).toEqual(expect.arrayContaining(["tenant-onboarding", "tenant-offboarding"]));
  });
});
