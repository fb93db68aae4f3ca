/** The unused-permissions report: catalog statements and service role statements no call used. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { FunctionId, FunctionSpec } from "../../../functions/shared/catalog.ts";
import { catalogStatementId, unusedReport } from "../../../local/iam/usage.ts";
import { coverageOfRun } from "../../support/iam-usage.ts";

const LOCAL = { app: "cplane", stage: "local" };
const spec = {
  id: "tenant/announce",
  permissions: [
    { actions: ["events:PutEvents"], resources: ["arn:aws:events:us-east-1:1:event-bus/cplane"] },
    { actions: ["dynamodb:GetItem"], resources: [{ ref: "tenantTable" }] },
  ],
} as unknown as FunctionSpec;
const catalog = new Map<FunctionId, FunctionSpec>([["tenant/announce" as FunctionId, spec]]);

describe("unusedReport", () => {
  it("lists the statements no runtime's calls used, service roles' apart, logging and tracing left out", () => {
    const dir = mkdtempSync(join(tmpdir(), "cplane-usage-"));
    try {
      writeFileSync(
        join(dir, "usage-1.json"),
        JSON.stringify([
          catalogStatementId("cplane-local-tenant-announce", 0),
          "cplane-local-tenant-onboarding-states#derived#InvokeFunctions",
        ]),
      );
      const report = unusedReport(catalog, LOCAL, dir, [
        {
          role: "cplane-local-tenant-onboarding-states",
          sid: "InvokeFunctions",
          actions: ["lambda:InvokeFunction"],
        },
        {
          role: "cplane-local-tenant-onboarding-states",
          sid: "Logging",
          actions: ["logs:CreateLogDelivery"],
        },
        { role: "cplane-local-rule-x", sid: "StartWorkflow", actions: ["states:StartExecution"] },
      ]);
      expect(report).toMatchObject({ statements: 2, used: 1 });
      expect(report.unused).toEqual([
        {
          function: "tenant/announce",
          index: 1,
          actions: ["dynamodb:GetItem"],
          resources: ["{ref:tenantTable}"],
        },
      ]);
      expect(report.serviceRoles).toEqual({
        statements: 2,
        used: 1,
        unused: [{ role: "cplane-local-rule-x", sid: "StartWorkflow", actions: ["states:StartExecution"] }],
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("coverageOfRun", () => {
  const suite = ["/t/a.test.ts", "/t/b.test.ts", "/t/c.test.ts"];
  it("calls a run complete only when every test file of the suite ran, unfiltered", () => {
    expect(coverageOfRun(suite, [...suite].reverse(), undefined)).toEqual({
      files: 3,
      ran: 3,
      complete: true,
      leftOut: [],
    });
  });
  it("calls a run of some files, or of every file under a test name filter, partial, naming what it left out", () => {
    expect(coverageOfRun(suite, ["/t/b.test.ts"], undefined)).toEqual({
      files: 3,
      ran: 1,
      complete: false,
      leftOut: ["/t/a.test.ts", "/t/c.test.ts"],
    });
    expect(coverageOfRun(suite, suite, /onboarding/).complete).toBe(false);
  });
});
