/**
 * What the console colours each state with (local/console/assets/status.js), read from real
 * histories of tenant onboarding on the local runtime: a throttled step retried to success, a step
 * whose permanent failure was caught into the failure path, the Fail state it ended in.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClock } from "../../../local/clock/clock.ts";
import { createRuntime, type Runtime } from "../../../local/runtime.ts";
import { workflowCatalog } from "../../../workflows/catalog.ts";

interface StateStatus {
  status: string;
  failures: { error?: string; cause?: string }[];
  attempts: number;
  output?: string;
}
type Analyse = (
  events: unknown[],
  execution: { status: string },
  states: Map<string, unknown>,
) => Map<string, StateStatus>;
// Browser modules with no types: imported by computed specifiers so that tsc leaves them alone.
const statusModule = "../../../local/console/assets/status.js";
const { analyse } = (await import(statusModule)) as { analyse: Analyse };

let runtime: Runtime;
const definition = workflowCatalog.get("tenant-onboarding")?.definition;
const states = new Map(Object.entries(definition?.States ?? {}));

beforeAll(async () => {
  runtime = await createRuntime({ clock: createClock({ mode: { kind: "instant" } }) });
}, 120_000);
afterAll(async () => {
  await runtime?.close();
});

async function onboard(name: string) {
  const { executionArn } = runtime.engine.startExecution({
    stateMachineArn: runtime.stateMachineArn("tenant-onboarding"),
    input: JSON.stringify({ name, tier: "basic", adminEmail: "ops@example.com" }),
  });
  const execution = await runtime.engine.waitForExecution(executionArn);
  const { events } = runtime.engine.getExecutionHistory(executionArn);
  return { execution, analysed: analyse(events, execution, states) };
}

describe("the console's reading of an execution's history", () => {
  it("marks a step that succeeded after throttling as retried, the others as succeeded", async () => {
    runtime.cloud.faults.add({ kind: "throttle", service: "RDS", operation: "CreateDBCluster", times: 2 });
    const { execution, analysed } = await onboard("Retried Co");
    expect(execution.status).toBe("SUCCEEDED");
    const provision = analysed.get("ProvisionDatabase");
    expect(provision?.status).toBe("retried");
    expect(provision?.failures.map((f) => f.error)).toEqual(["Throttling", "Throttling"]);
    expect(provision?.attempts).toBe(3);
    expect(analysed.get("Announce")?.status).toBe("succeeded");
    expect([...analysed.values()].filter((s) => s.status !== "succeeded" && s.status !== "retried")).toEqual(
      [],
    );
  }, 180_000);

  it("marks a permanent failure caught into the failure path as caught, and the Fail state as failed", async () => {
    runtime.cloud.faults.add({
      kind: "error",
      service: "EKS",
      operation: "AssociateAccessPolicy",
      error: "InvalidParameterException",
    });
    const { execution, analysed } = await onboard("Caught Co");
    expect(execution.status).toBe("FAILED");
    const failed = analysed.get("CreateNamespace");
    expect(failed?.status).toBe("caught");
    expect(failed?.failures.at(-1)?.error).toBe("InvalidParameterException");
    expect(failed?.failures.at(-1)?.cause).toContain("InvalidParameterException");
    const fail = [...analysed.entries()].filter(
      ([name]) => (states.get(name) as { Type?: string })?.Type === "Fail",
    );
    expect(fail.map(([, s]) => s.status)).toEqual(["failed"]);
    expect(analysed.has("Announce")).toBe(false);
    runtime.cloud.faults.clear();
  }, 180_000);
});
