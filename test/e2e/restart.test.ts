/**
 * A stop in the middle of an onboarding loses nothing: the execution and the cloud are saved, and the
 * next start redrives the execution from the state it was in, so the tenant does not stay stuck.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { HistoryEvent as SdkHistoryEvent } from "@aws-sdk/client-sfn";
import { afterAll, describe, expect, it } from "vitest";
import { listTenants } from "../../functions/tenant/lib/registry.ts";
import { createRuntime, RUNTIME_STOPPED } from "../../local/runtime.ts";

const dataDir = mkdtempSync(join(tmpdir(), "cplane-restart-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe("restarting the local runtime", () => {
  it("redrives an onboarding the stop cut off, and it completes", async () => {
    // Prepare: an onboarding waiting for its database when the runtime stops
    const first = await createRuntime({ speed: "manual", dataDir });
    const { executionArn } = first.engine.startExecution({
      stateMachineArn: first.stateMachineArn("tenant-onboarding"),
      input: JSON.stringify({ name: "Restart Co", tier: "basic", adminEmail: "ops@restart.example" }),
    });
    let waiting = false;
    for (let i = 0; i < 1_200 && !waiting; i++) {
      const events = first.engine.getExecutionHistory(executionArn).events;
      waiting = events.some((e) => e.type === "WaitStateEntered");
      if (!waiting) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(waiting, "the onboarding never reached its first Wait state").toBe(true);
    await first.close();

    // Act
    const second = await createRuntime({ speed: "instant", dataDir });
    try {
      const done = await second.engine.waitForExecution(executionArn);

      // Assess
      expect(second.resumed).toEqual([executionArn]);
      expect(done).toMatchObject({ status: "SUCCEEDED", redriveCount: 1 });
      // The history in the shape GetExecutionHistory answers with, as the SDK types it.
      const history = second.engine.getExecutionHistory(executionArn).events as unknown as SdkHistoryEvent[];
      const aborted = history.find((e) => e.type === "ExecutionAborted");
      expect(aborted?.executionAbortedEventDetails).toMatchObject({ error: RUNTIME_STOPPED });
      expect(
        history.filter(
          (e) => e.type === "TaskStateEntered" && e.stateEnteredEventDetails?.name === "ProvisionDatabase",
        ),
      ).toHaveLength(1);
      expect((await listTenants()).find((t) => t.slug === "restart-co")?.status).toBe("active");
    } finally {
      await second.close();
    }
  }, 120_000);

  it("serves a second runtime in the same process its own Kubernetes API, not the stopped one's", async () => {
    // Prepare: an onboarding (namespace included) on a runtime that is then stopped
    const onboard = async (name: string) => {
      const runtime = await createRuntime({ speed: "instant" });
      try {
        const { executionArn } = runtime.engine.startExecution({
          stateMachineArn: runtime.stateMachineArn("tenant-onboarding"),
          input: JSON.stringify({ name, tier: "basic", adminEmail: "ops@again.example" }),
        });
        return await runtime.engine.waitForExecution(executionArn);
      } finally {
        await runtime.close();
      }
    };
    expect((await onboard("First Again")).status).toBe("SUCCEEDED");

    // Act
    const second = await onboard("Second Again");

    // Assess
    expect(second).toMatchObject({ status: "SUCCEEDED" });
  }, 120_000);
});
