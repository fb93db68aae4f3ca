import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../../", import.meta.url));

/**
 * What a fresh process that loads the local Lambda environment, then the handlers' shared Powertools
 * instances, ends up with. A process of its own: the async hooks and `process.namespaces` of a vitest
 * worker are shared by every test file it ran before.
 */
function loadIn(setup: "with the local environment" | "without it"): { namespaces: string[] } {
  const script = [
    ...(setup === "with the local environment" ? ['await import("./local/lambda/environment.ts");'] : []),
    'process.env.POWERTOOLS_TRACE_ENABLED = "false";',
    'await import("./functions/shared/observability.ts");',
    "console.log(JSON.stringify({ namespaces: Object.keys(process.namespaces ?? {}) }));",
  ].join("\n");
  const output = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, AWS_XRAY_MANUAL_MODE: "" },
  });
  return JSON.parse(output.trim().split("\n").pop() ?? "{}");
}

describe("the local Lambda environment", () => {
  it("keeps the X-Ray SDK from hooking every promise of the runtime while tracing is off", () => {
    // Prepare / Act: the same modules loaded with and without the local environment first.
    const without = loadIn("without it");
    const withLocal = loadIn("with the local environment");

    // Assess: the SDK's default (automatic) mode makes its context namespace, with its async hook;
    // under the local environment it does not.
    expect(without.namespaces).toContain("AWSXRay");
    expect(withLocal.namespaces).toEqual([]);
  });
});
