import { describe, expect, it } from "vitest";
import { renderEnvironment } from "../../../deploy/context.ts";
import { functionCatalog } from "../../../functions/catalog.ts";
import { reportFunctions } from "../../../functions/reports/catalog.ts";
import { functionPermissions } from "../../../stacks/wiring.ts";
import { workflowCatalog } from "../../../workflows/catalog.ts";
import { ctx } from "../../stacks/support.ts";

const spec = functionCatalog.get("reports/record-report");

/** IAM's `*` matches any run of characters, `:` included. */
const matches = (pattern: string, arn: string) =>
  new RegExp(
    `^${pattern
      .split("*")
      .map((part) => part.replace(/[.?+^$()[\]{}|\\/]/g, "\\$&"))
      .join(".*")}$`,
  ).test(arn);

describe("report function catalog", () => {
  it("registers the record-report handler, whose module exports a handler", async () => {
    expect(reportFunctions).toHaveLength(1);
    expect(spec).toBe(reportFunctions[0]);
    const module: { handler?: unknown } = await import(`../../../${spec?.handler}`);
    expect(typeof module.handler).toBe("function");
  });

  it("may read only this stage's execution histories and only put items in the registry table", () => {
    if (!spec) throw new Error("reports/record-report is not in the catalog");

    // X-Ray, which every function gets for tracing, has no resource-level permissions.
    const permissions = functionPermissions(spec, ctx).filter((p) => !p.actions[0]?.startsWith("xray:"));

    expect(permissions).toEqual([
      {
        actions: ["states:GetExecutionHistory"],
        resources: ["arn:aws:states:eu-west-1:123456789012:execution:cplane-prod-*:*"],
      },
      {
        actions: ["dynamodb:PutItem"],
        resources: ["arn:aws:dynamodb:eu-west-1:123456789012:table/cplane-prod-tenants"],
        // Only the report's own items: `REPORT#…`, `REPORTRUN#…`, `REPORTPART#…`, never a tenant or a lock.
        conditions: [
          { test: "ForAllValues:StringLike", variable: "dynamodb:LeadingKeys", values: ["REPORT*"] },
        ],
      },
    ]);
    expect(renderEnvironment(spec, ctx)).toMatchObject({ TENANT_TABLE: "cplane-prod-tenants" });
  });

  it("covers the executions of every state machine the stage deploys, and no other stage's", () => {
    if (!spec) throw new Error("reports/record-report is not in the catalog");
    const [history] = functionPermissions(spec, ctx);
    const pattern = history?.resources[0] ?? "";
    for (const workflow of workflowCatalog.keys()) {
      const arn = `arn:aws:states:eu-west-1:123456789012:execution:cplane-prod-${workflow}:8b2f-run`;
      expect(matches(pattern, arn), arn).toBe(true);
    }
    expect(
      matches(pattern, "arn:aws:states:eu-west-1:123456789012:execution:cplane-dev-tenant-onboarding:x"),
    ).toBe(false);
    expect(
      matches(pattern, "arn:aws:states:eu-west-1:123456789012:stateMachine:cplane-prod-tenant-onboarding"),
    ).toBe(false);
  });
});
