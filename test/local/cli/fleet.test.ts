/** `cplane start --fleet N`: a demo fleet of N tenants, onboarded by the tenant-onboarding workflow. */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { listTenants } from "../../../functions/tenant/lib/registry.ts";
import { UsageError } from "../../../local/cli/target.ts";
import { createRuntime, type Runtime } from "../../../local/runtime.ts";
import { buildFleet, onboardFleet, start } from "../../../local/start.ts";

let runtime: Runtime | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe("cplane start --fleet", { timeout: 300_000 }, () => {
  it.each(["-1", "many", "2.5", "100000"])("refuses --fleet %s before anything starts", async (fleet) => {
    const parent = await mkdtemp(join(tmpdir(), "cplane-fleet-"));
    dirs.push(parent);
    const dataDir = join(parent, "data");

    await expect(start({ fleet, dataDir, port: "0" })).rejects.toThrow(UsageError);
    expect(existsSync(dataDir)).toBe(false);
  });

  it("onboards N tenants with the tiers in turn, each active in the registry", async () => {
    runtime = await createRuntime({ speed: "instant", demoFleet: true });

    const failed = await onboardFleet(runtime, 3);

    expect(failed).toEqual([]);
    const tenants = await listTenants();
    expect(tenants.map((t) => [t.slug, t.tier, t.status]).sort()).toEqual([
      ["fleet-001", "basic", "active"],
      ["fleet-002", "standard", "active"],
      ["fleet-003", "premium", "active"],
    ]);
  });

  it("builds the fleet on an instant clock, then gives the clock back its speed", async () => {
    // Prepare: the runtime `npm start` makes, at speed 60.
    runtime = await createRuntime({ speed: "60", demoFleet: true });
    const modes = new Set<string>();
    const chosen = new Set<string>();

    // Act
    const failed = await buildFleet(runtime, 2, () => {
      modes.add(runtime?.clock.mode.kind ?? "");
      chosen.add(JSON.stringify(runtime?.clock.chosenMode));
    });

    // Assess: every tenant onboarded while the clock was instant, which was never the speed a
    // checkpoint saves; the speed is 60 again.
    expect(failed).toEqual([]);
    expect([...modes]).toEqual(["instant"]);
    expect([...chosen]).toEqual([JSON.stringify({ kind: "scaled", factor: 60 })]);
    expect(runtime.clock.mode).toEqual({ kind: "scaled", factor: 60 });
    expect((await listTenants()).filter((t) => t.status === "active")).toHaveLength(2);
  });

  it("leaves a speed someone chose while the fleet was built", async () => {
    runtime = await createRuntime({ speed: "60", demoFleet: true });
    const building = buildFleet(runtime, 1);
    runtime.clock.setMode({ kind: "scaled", factor: 3600 });

    await building;

    expect(runtime.clock.mode).toEqual({ kind: "scaled", factor: 3600 });
  });

  it("onboards at most `concurrency` tenants at a time, and every one of them", async () => {
    runtime = await createRuntime({ speed: "instant", demoFleet: true });

    const failed = await onboardFleet(runtime, 5, undefined, 2);

    expect(failed).toEqual([]);
    const executions = runtime.engine
      .listExecutions({ stateMachineArn: runtime.stateMachineArn("tenant-onboarding") })
      .executions.map((e) => runtime?.engine.describeExecution(e.executionArn));
    expect(executions).toHaveLength(5);
    // At no execution's start were more than two running (its own included).
    for (const execution of executions) {
      const start = Date.parse(String(execution?.startDate));
      const running = executions.filter(
        (other) =>
          Date.parse(String(other?.startDate)) <= start && Date.parse(String(other?.stopDate)) > start,
      );
      expect(running.length).toBeLessThanOrEqual(2);
    }
    expect((await listTenants()).filter((t) => t.status === "active")).toHaveLength(5);
  });
});
