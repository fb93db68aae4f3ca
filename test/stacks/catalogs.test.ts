import { existsSync } from "node:fs";
import validator from "asl-validator";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { functionCatalog } from "../../functions/catalog.ts";
import {
  defineFunctionCatalog,
  type FunctionSpec,
  InvalidCatalogError,
} from "../../functions/shared/catalog.ts";
import { unexplainedWildcards } from "../../stacks/wiring.ts";
import { functionIdsOf } from "../../workflows/asl.ts";
import { workflowCatalog } from "../../workflows/catalog.ts";
import { defineWorkflowCatalog, InvalidWorkflowCatalogError } from "../../workflows/workflow.ts";

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
