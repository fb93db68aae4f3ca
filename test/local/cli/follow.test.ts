import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { cli } from "../../../local/cli/main.ts";
import { createClock } from "../../../local/clock/clock.ts";
import { createRuntime } from "../../../local/runtime.ts";
import { serve } from "../../../local/start.ts";

let out = "";
let err = "";

beforeEach(() => {
  out = "";
  err = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    err += String(chunk);
    return true;
  });
});
afterEach(() => vi.restoreAllMocks());

async function until(condition: () => boolean, withinMs = 30_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not reached within ${withinMs} ms; output so far:\n${out}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("cplane run --follow", () => {
  it("says the runtime stopped, and how to find the execution again, when it stops mid-run", async () => {
    // Prepare: a runtime whose clock only moves when told, so the onboarding cannot end (its database
    // takes simulated minutes to create)
    const runtime = await createRuntime({ clock: createClock({ mode: { kind: "manual" } }) });
    const server = await serve(runtime, 0);
    try {
      const input = '{"name":"Umbrella","tier":"basic","adminEmail":"ops@umbrella.example"}';
      const following = cli([
        "run",
        "tenant-onboarding",
        "--input",
        input,
        "--follow",
        "--endpoint",
        server.url,
      ]);
      await until(() => out.includes("TaskStateEntered"));

      // Act: the runtime goes away
      await server.close();
      const code = await following;

      // Assess
      expect(code).toBe(1);
      const arn = /started (\S+)/.exec(out)?.[1];
      expect(arn).toMatch(/^arn:aws:states:.*:execution:cplane-local-tenant-onboarding:/);
      expect(err).toContain(`RuntimeStoppedError: the local runtime at ${server.url} stopped answering`);
      expect(err).toContain(`cplane executions describe ${arn}`);
      expect(err).not.toMatch(/ECONNREFUSED/);
    } finally {
      await runtime.close();
    }
  });
});

describe("a failed step, as --follow and history show it", () => {
  it("names the error and the function's message, not its error JSON and trace", async () => {
    // Prepare: the EKS call of the namespace step fails, as the README's failure walkthrough makes it
    const runtime = await createRuntime({ clock: createClock({ mode: { kind: "instant" } }) });
    const server = await serve(runtime, 0);
    try {
      runtime.cloud.faults.add({
        kind: "error",
        service: "EKS",
        operation: "CreatePodIdentityAssociation",
        error: "InvalidParameterException",
      });

      // Act
      const code = await cli([
        "run",
        "tenant-onboarding",
        "--input",
        '{"name":"Doomed Inc","tier":"basic","adminEmail":"x@doomed.example"}',
        "--follow",
        "--endpoint",
        server.url,
      ]);
      const followed = out;
      const arn = /started (\S+)/.exec(followed)?.[1] ?? "";
      out = "";
      expect(await cli(["executions", "history", arn, "--endpoint", server.url])).toBe(0);
      const history = out;

      // Assess
      expect(code).toBe(1);
      const reason = "InvalidParameterException: Injected fault: InvalidParameterException";
      expect(followed).toMatch(new RegExp(`TaskFailed\\s+CreateNamespace  ${reason}\\n`));
      expect(followed).toMatch(
        /ExecutionFailed\s+OnboardingFailed {2}InvalidParameterException: tenant onboarding failed at create-namespace/,
      );
      expect(followed).not.toContain("errorMessage");
      expect(history).toMatch(/ID\s+TIME\s+TYPE\s+STATE\s+ERROR\n/);
      expect(history).toMatch(new RegExp(`TaskFailed\\s+${reason}\\n`));
      expect(history).toMatch(
        new RegExp(
          `ExecutionFailed\\s+InvalidParameterException: tenant onboarding failed at create-namespace: ${reason}`,
        ),
      );
      expect(history).not.toContain("errorMessage");
    } finally {
      await server.close();
      await runtime.close();
    }
  }, 180_000);
});
