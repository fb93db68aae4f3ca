/**
 * What stacks/ imports runs inside `sst deploy`, whose Pulumi program has no AWS_REGION (SST passes
 * the region as SST_AWS_REGION) and no Lambda environment. Loading those modules must not need either.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const exec = promisify(execFile);

describe("the modules stacks/ loads", () => {
  it("import in a bare environment: no AWS_REGION, no Lambda variables", async () => {
    const modules = [
      "./stacks/wiring.ts",
      "./deploy/tenant-access-policies.ts",
      "./deploy/alarms.ts",
      "./deploy/names.ts",
      "./functions/catalog.ts",
      "./workflows/catalog.ts",
      "./events/rules.ts",
      "./events/schedules.ts",
    ];
    const script = `${modules.map((m) => `await import(${JSON.stringify(m)});`).join(" ")} console.log("loaded");`;
    const { stdout } = await exec(process.execPath, ["--input-type=module", "-e", script], {
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" },
    });
    expect(stdout.trim()).toBe("loaded");
  });
});
