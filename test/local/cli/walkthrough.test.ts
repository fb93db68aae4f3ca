/**
 * The README's walkthrough, command by command as written there, against a local runtime: onboarding
 * (from the sample event and by hand), a failure, offboarding (from the sample event and by hand) and
 * the schedules. What the README says each step leaves behind is what the registry holds at the end.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { cli } from "../../../local/cli/main.ts";
import { createClock } from "../../../local/clock/clock.ts";
import { createRuntime, type Runtime } from "../../../local/runtime.ts";
import type { LocalServer } from "../../../local/server/http.ts";
import { serve } from "../../../local/start.ts";

const README = readFileSync(join(import.meta.dirname, "../../../README.md"), "utf8");

/** The `npx cplane ...` lines of the walkthrough's code blocks, split as a shell would (single quotes). */
function walkthroughCommands(): string[][] {
  const start = README.indexOf("### A walkthrough");
  const end = README.indexOf("\n### ", start + 1);
  const section = README.slice(start, end);
  return section
    .split("\n")
    .filter((line) => line.startsWith("npx cplane "))
    .map((line) => {
      const words: string[] = [];
      for (const match of line.matchAll(/'([^']*)'|(\S+)/g)) {
        if (match[2]?.startsWith("#")) break;
        words.push(match[1] ?? match[2] ?? "");
      }
      return words.slice(2);
    });
}

let runtime: Runtime;
let server: LocalServer;

beforeAll(async () => {
  runtime = await createRuntime({ clock: createClock({ mode: { kind: "instant" } }) });
  server = await serve(runtime, 0);
});
afterAll(async () => {
  await server.close();
  await runtime.close();
});

async function settled(): Promise<void> {
  for (const sm of runtime.engine.listStateMachines().stateMachines) {
    const { executions } = runtime.engine.listExecutions({ stateMachineArn: sm.stateMachineArn });
    for (const e of executions) await runtime.engine.waitForExecution(e.executionArn);
  }
}

describe("the README walkthrough", () => {
  it("runs as written: acme and globex onboarded then offboarded, doomed-inc failed, schedules explained", async () => {
    const commands = walkthroughCommands();
    expect(commands.length).toBeGreaterThan(12);
    let out = "";
    vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      out += String(chunk);
      return true;
    });
    // Quiet: what the failing onboarding says is the test of its own command.
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const codes: [string, number][] = [];
    try {
      for (const args of commands) {
        // Each step of the README starts once the ones before it have had their effect.
        if (args[0] === "tenants" || (args[0] === "events" && args[2] === "tenant-offboarding-requested"))
          await settled();
        codes.push([args.join(" "), await cli([...args, "--endpoint", server.url])]);
      }
      await settled();
    } finally {
      vi.restoreAllMocks();
    }

    // Every command works but the one the README says fails: the doomed onboarding.
    const failing = codes.filter(([, code]) => code !== 0);
    expect(failing.map(([line, code]) => [line.split(" --input")[0], code])).toEqual([
      ["run tenant-onboarding", 1],
    ]);
    expect(out).toMatch(/nightly-dr-drill\s+regional-failover\s+.*DISABLED/);

    const { listTenants } = await import("../../../functions/tenant/lib/registry.ts");
    // An offboarding requested by an event starts when the bus delivers it, maybe after the last settle.
    for (let round = 0; round < 200; round++) {
      const tenants = await listTenants();
      if (!tenants.some((t) => t.status === "onboarding" || t.status === "offboarding")) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
      await settled();
    }
    const registry = Object.fromEntries((await listTenants()).map((t) => [t.slug, [t.tier, t.status]]));
    expect(registry).toEqual({
      acme: ["premium", "offboarded"],
      globex: ["standard", "offboarded"],
      "doomed-inc": ["basic", "failed"],
    });
  }, 240_000);
});
