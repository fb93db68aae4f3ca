import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { contractFileStem, defineEvent, envelopeSchema } from "../../events/define.ts";
import { renderJsonSchemas, SCHEMAS_DIR } from "../../events/json-schemas.ts";
import {
  DuplicateEventError,
  defineEventRegistry,
  eventRegistry,
  UnknownEventError,
} from "../../events/registry.ts";
import { workflowRules } from "../../events/rules.ts";
import { workflowSchedules } from "../../events/schedules.ts";
import { TenantRequested } from "../../events/tenants.ts";

const SAMPLES_DIR = join(import.meta.dirname, "../../events/samples");
const samples = readdirSync(SAMPLES_DIR)
  .filter((file) => file.endsWith(".json"))
  .map((file) => ({
    file,
    event: JSON.parse(readFileSync(join(SAMPLES_DIR, file), "utf8")) as Record<string, unknown>,
  }));

describe("event registry", () => {
  it("registers every event the control plane publishes or consumes", () => {
    expect(eventRegistry.contracts.map((c) => `${c.source} ${c.detailType}`).sort()).toEqual([
      "aws.cloudwatch CloudWatch Alarm State Change",
      "aws.rds RDS DB Cluster Event",
      "aws.rds RDS DB Cluster Snapshot Event",
      "aws.rds RDS DB Instance Event",
      "aws.states Step Functions Execution Status Change",
      "cplane.backups Backup Verification Completed",
      "cplane.backups Backup Verification Failed",
      "cplane.backups Backup Verified",
      "cplane.deployments Canary Promoted",
      "cplane.deployments Canary Rolled Back",
      "cplane.deployments Canary Started",
      "cplane.deployments Canary Step Promoted",
      "cplane.failover DR Drill Completed",
      "cplane.failover DR Drill Failed",
      "cplane.failover DR Readiness Changed",
      "cplane.failover Region Failover Completed",
      "cplane.failover Region Failover Failed",
      "cplane.git Git Push",
      "cplane.operations Approval Decided",
      "cplane.operations Approval Requested",
      "cplane.tenants Tenant Created",
      "cplane.tenants Tenant Offboarded",
      "cplane.tenants Tenant Offboarding Failed",
      "cplane.tenants Tenant Offboarding Requested",
      "cplane.tenants Tenant Onboarding Failed",
      "cplane.tenants Tenant Requested",
    ]);
    expect(eventRegistry.sources()).toEqual([
      "aws.cloudwatch",
      "aws.rds",
      "aws.states",
      "cplane.backups",
      "cplane.deployments",
      "cplane.failover",
      "cplane.git",
      "cplane.operations",
      "cplane.tenants",
    ]);
  });

  it("refuses a second event with the same source and detail-type", () => {
    const copy = defineEvent({ ...TenantRequested, description: "again", detail: z.object({}) });
    expect(() => defineEventRegistry([TenantRequested, copy])).toThrow(DuplicateEventError);
  });

  it("names unknown events clearly", () => {
    expect(() => eventRegistry.get("cplane.tenants", "Tenant Exploded")).toThrow(UnknownEventError);
    expect(eventRegistry.get("cplane.git", "Git Push").source).toBe("cplane.git");
  });
});

describe("sample events", () => {
  it.each(samples)("$file is a valid event of its contract", ({ file, event }) => {
    const contract = eventRegistry.get(String(event.source), String(event["detail-type"]));
    expect(file.startsWith(contractFileStem(contract))).toBe(true);
    const result = envelopeSchema(contract).safeParse(event);
    expect(result.error?.issues ?? []).toEqual([]);
  });

  it("has at least one sample for every contract, and both alarm kinds", () => {
    for (const contract of eventRegistry.contracts) {
      expect(
        samples.some(({ file }) => file.startsWith(contractFileStem(contract))),
        contract.detailType,
      ).toBe(true);
    }
    const alarms = samples.filter(({ event }) => event.source === "aws.cloudwatch");
    const configs = alarms.map(({ event }) =>
      Object.keys((event.detail as { configuration: object }).configuration),
    );
    expect(configs.some((keys) => keys.includes("metrics"))).toBe(true);
    expect(configs.some((keys) => keys.includes("alarmRule"))).toBe(true);
  });

  it("rejects a sample whose detail drops a required field (a breaking change)", () => {
    const event = samples.find(({ file }) => file === "cplane.tenants.tenant-created.json")?.event ?? {};
    const { secretArn: _dropped, ...detail } = event.detail as Record<string, unknown>;
    expect(
      envelopeSchema(eventRegistry.get("cplane.tenants", "Tenant Created")).safeParse({ ...event, detail })
        .success,
    ).toBe(false);
  });
});

describe("events/README.md", () => {
  it("has a row for every event, rule and schedule", () => {
    const readme = readFileSync(join(import.meta.dirname, "../../events/README.md"), "utf8");
    const cells = readme.split("\n").map((line) => line.split("|").map((cell) => cell.trim()));
    const hasRow = (...first: string[]) => cells.some((row) => first.every((cell, i) => row[i + 1] === cell));
    for (const contract of eventRegistry.contracts) {
      expect(hasRow(`\`${contract.source}\``, contract.detailType), contract.detailType).toBe(true);
    }
    for (const rule of workflowRules) expect(hasRow(`\`${rule.name}\``), rule.name).toBe(true);
    for (const schedule of workflowSchedules)
      expect(hasRow(`\`${schedule.name}\``), schedule.name).toBe(true);
  });
});

describe("JSON Schemas", () => {
  it("events/schemas holds the current JSON Schema of every event (run `node events/json-schemas.ts`)", () => {
    const rendered = renderJsonSchemas();
    const files = readdirSync(SCHEMAS_DIR)
      .filter((file) => file.endsWith(".json"))
      .sort();
    expect(files).toEqual([...rendered.keys()].sort());
    for (const [file, text] of rendered)
      expect(readFileSync(join(SCHEMAS_DIR, file), "utf8"), file).toBe(text);
  });

  it("describes the whole envelope with the contract's literals", () => {
    const schema = JSON.parse(renderJsonSchemas().get("cplane.tenants.tenant-requested.json") ?? "{}");
    expect(schema.properties.source.const).toBe("cplane.tenants");
    expect(schema.properties["detail-type"].const).toBe("Tenant Requested");
    expect(schema.properties.detail.required).toEqual(["name", "tier", "adminEmail"]);
  });
});
