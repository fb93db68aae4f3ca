import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { functionCatalog } from "../../../functions/catalog.ts";
import { tenantFunctions } from "../../../functions/tenant/catalog.ts";

const handlerFiles = readdirSync("functions/tenant")
  .filter((file) => file.endsWith(".ts") && file !== "catalog.ts")
  .map((file) => `functions/tenant/${file}`)
  .sort();

/** The modules a handler reaches, transitively, inside functions/tenant/lib. */
function sourceOf(path: string, seen = new Set<string>()): string {
  if (seen.has(path)) return "";
  seen.add(path);
  const text = readFileSync(path, "utf8");
  const libs = [...text.matchAll(/from "\.\/(?:lib\/)?([a-z-]+)\.ts"/g)].map((match) => match[1]);
  return text + libs.map((lib) => sourceOf(`functions/tenant/lib/${lib}.ts`, seen)).join("\n");
}

describe("tenant function catalog", () => {
  it("lists every tenant handler module once, and each exports a handler", async () => {
    expect(tenantFunctions.map((spec) => spec.handler).sort()).toEqual(handlerFiles);
    for (const spec of tenantFunctions) {
      expect(functionCatalog.get(spec.id)).toBe(spec);
      const module: { handler?: unknown } = await import(`../../../${spec.handler}`);
      expect(typeof module.handler, spec.id).toBe("function");
    }
  });

  it("gives every function the environment variables its code reads", () => {
    for (const spec of tenantFunctions) {
      const source = sourceOf(spec.handler);
      const required = [...source.matchAll(/requireEnv\("([A-Z_]+)"\)/g)].map((match) => match[1]);
      const fromEvents = source.includes("publishEvent(") ? ["EVENT_BUS_NAME"] : [];
      if (spec.id === "tenant/create-namespace") expect(required).toContain("EKS_CLUSTER_NAME");
      if (spec.id === "tenant/announce")
        expect([...required, ...fromEvents]).toEqual(["TENANT_TABLE", "EVENT_BUS_NAME"]);
      for (const variable of [...required, ...fromEvents]) {
        if (variable === "AWS_REGION") continue;
        expect(Object.keys(spec.environment ?? {}), `${spec.id} reads ${variable}`).toContain(variable);
      }
    }
  });

  it("scopes every permission to resources, never to a bare wildcard or a wildcard action", () => {
    for (const spec of tenantFunctions) {
      for (const statement of spec.permissions) {
        expect(statement.resources, spec.id).not.toContain("*");
        for (const action of statement.actions) expect(action, spec.id).not.toContain("*");
      }
    }
  });

  it("allows destructive RDS calls only on resources tagged for a tenant", () => {
    for (const spec of tenantFunctions) {
      for (const statement of spec.permissions) {
        if (statement.actions.some((action) => /^rds:(Delete|Modify)/.test(action))) {
          expect(statement.conditions, spec.id).toEqual({
            StringLike: { "aws:ResourceTag/cplane:tenant": "*" },
          });
        }
      }
    }
  });
});
