import validator from "asl-validator";
import { describe, expect, it } from "vitest";
import { functionCatalog } from "../../functions/catalog.ts";
import { functionIdsOf, type State, type StateMachineDefinition } from "../../workflows/asl.ts";
import { workflowCatalog } from "../../workflows/catalog.ts";
import { offboardingDefinition, tenantOffboarding } from "../../workflows/tenant-offboarding.ts";
import {
  onboardingDefinition,
  TRANSIENT_ERRORS,
  tenantOnboarding,
} from "../../workflows/tenant-onboarding.ts";

type Catcher = { ErrorEquals: string[]; Next: string };
type Retrier = { ErrorEquals: string[] };

function tasks(definition: StateMachineDefinition): [string, State][] {
  return Object.entries(definition.States).filter(([, state]) => state.Type === "Task");
}

/** Every state reachable from StartAt, following Next, Default, Choices and Catch. */
function reachable(definition: StateMachineDefinition): Set<string> {
  const seen = new Set<string>();
  const queue = [definition.StartAt];
  while (queue.length > 0) {
    const name = queue.pop();
    if (name === undefined || seen.has(name)) continue;
    seen.add(name);
    const state = definition.States[name] as Record<string, unknown> | undefined;
    if (!state) continue;
    for (const key of ["Next", "Default"])
      if (typeof state[key] === "string") queue.push(state[key] as string);
    for (const choice of (state.Choices as { Next: string }[] | undefined) ?? []) queue.push(choice.Next);
    for (const catcher of (state.Catch as Catcher[] | undefined) ?? []) queue.push(catcher.Next);
  }
  return seen;
}

describe.each([
  ["tenant-onboarding", onboardingDefinition, "Compensate", "OnboardingFailed"],
  ["tenant-offboarding", offboardingDefinition, "RecordFailure", "OffboardingFailed"],
])("%s definition", (name, definition, failurePath, failState) => {
  it("is valid ASL according to asl-validator", () => {
    // Act
    const result = validator(structuredClone(definition));

    // Assess
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
  });

  it("is in the workflow catalog with a timeout on the whole execution", () => {
    expect(workflowCatalog.get(name)?.definition).toBe(definition);
    expect(definition.TimeoutSeconds).toBeGreaterThan(0);
  });

  it("refers only to functions in the function catalog", () => {
    const ids = functionIdsOf(definition);
    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids) expect(functionCatalog.has(id), id).toBe(true);
  });

  it("retries every step on throttling and transient named errors with back-off", () => {
    for (const [state, task] of tasks(definition)) {
      const retriers = task.Retry as unknown as (Retrier & { BackoffRate?: number })[];
      const transient = retriers.find((retrier) => retrier.ErrorEquals.includes("TransientError"));
      expect(transient, state).toBeDefined();
      expect(transient?.ErrorEquals).toEqual(expect.arrayContaining([...TRANSIENT_ERRORS]));
      expect(transient?.BackoffRate).toBeGreaterThan(1);
    }
  });

  it("catches every error of every step and routes it towards the failure path", () => {
    for (const [state, task] of tasks(definition)) {
      const catchers = task.Catch as unknown as Catcher[];
      expect(
        catchers.map((catcher) => catcher.ErrorEquals),
        state,
      ).toContainEqual(["States.ALL"]);
      const target = catchers.find((catcher) => catcher.ErrorEquals.includes("States.ALL"))?.Next ?? "";
      // Giving the locks back or writing the report never fails a workflow: it carries on.
      const ends = /^(ReleaseLocks|RecordReport|ReportFailure)/.test(state)
        ? [(task as { Next?: string }).Next ?? ""]
        : [failurePath, "ReportFailure", "RecordFailure", "ReleaseLocksAfterFailure", failState];
      expect(ends, state).toContain(target);
    }
    expect(definition.States[failState]?.Type).toBe("Fail");
  });

  it("has no unreachable states", () => {
    expect([...reachable(definition)].sort()).toEqual(Object.keys(definition.States).sort());
  });
});

describe("tenant onboarding definition", () => {
  it("compensates, then records the failure, then fails", () => {
    const states = onboardingDefinition.States;
    expect(states.Compensate?.Next).toBe("ReportFailure");
    expect((states.Compensate?.Catch as unknown as Catcher[] | undefined)?.[0]?.Next).toBe("ReportFailure");
    expect(states.ReportFailure?.Next).toBe("RecordFailure");
    expect(states.RecordFailure?.Next).toBe("ReleaseLocksAfterFailure");
    expect(states.ReleaseLocksAfterFailure?.Next).toBe("OnboardingFailed");
  });

  it("refuses a request before registering anything: invalid requests skip compensation", () => {
    const register = onboardingDefinition.States.ValidateAndRegister as unknown as { Catch: Catcher[] };
    expect(register.Catch[0]?.Next).toBe("ReportFailure");
  });

  it("waits for the database's AWS event, with a backstop timeout that doubles up to a ceiling, and gives up at a deadline", () => {
    const wait = onboardingDefinition.States.WaitForDatabase as Record<string, unknown>;
    expect(wait.Type).toBe("Task");
    expect(wait.Resource).toBe("arn:aws:states:::lambda:invoke.waitForTaskToken");
    expect(wait.TimeoutSeconds).toBe("{% $databasePollSeconds %}");
    expect(JSON.stringify(wait.Assign)).toContain("$databasePollSeconds * 2");
    expect((wait.Catch as unknown as Catcher[])[0]).toMatchObject({
      ErrorEquals: ["States.Timeout"],
      Next: "CheckDatabase",
    });
    const choice = onboardingDefinition.States.IsDatabaseReady as unknown as {
      Choices: { Next: string }[];
      Default: string;
    };
    expect(choice.Choices.map((rule) => rule.Next)).toEqual([
      "MigrateDatabase",
      "DatabaseFailed",
      "DatabaseTimedOut",
    ]);
    expect(choice.Default).toBe("WaitForDatabase");
  });
});

describe("tenant offboarding definition", () => {
  it("deletes the database only after the snapshot check says it is ready, and never a held writer", () => {
    const choice = offboardingDefinition.States.IsSnapshotReady as unknown as { Choices: { Next: string }[] };
    expect(choice.Choices[0]?.Next).toBe("IsWriterHeld");
    const held = offboardingDefinition.States.IsWriterHeld as unknown as {
      Choices: { Condition: string; Next: string }[];
      Default: string;
    };
    expect(held.Choices).toEqual([
      { Condition: "{% $drRemoval.writerHeld = true %}", Next: "RemoveNamespace" },
    ]);
    expect(held.Default).toBe("DeleteDatabase");
    const into = Object.entries(offboardingDefinition.States).filter(
      ([, state]) => state.Next === "DeleteDatabase" || state.Next === "IsWriterHeld",
    );
    expect(into).toEqual([]);
  });
});

describe("workflow inputs", () => {
  it("accepts an onboarding request with the contract's field names", () => {
    const input = {
      name: "Acme",
      tier: "premium",
      adminEmail: "ops@acme.test",
      slug: "acme",
      region: "eu-west-1",
    };
    expect(tenantOnboarding.input.parse(input)).toEqual(input);
  });

  it("refuses an unknown tier and a malformed email", () => {
    const result = tenantOnboarding.input.safeParse({ name: "Acme", tier: "gold", adminEmail: "nope" });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path[0])).toEqual(["tier", "adminEmail"]);
  });

  it("needs the slug or the id of the tenant to offboard", () => {
    expect(tenantOffboarding.input.safeParse({ reason: "why" }).success).toBe(false);
    expect(tenantOffboarding.input.parse({ slug: "acme" })).toEqual({ slug: "acme" });
    expect(tenantOffboarding.input.parse({ tenantId: "tnt_01", requestedBy: "a@b.c" })).toEqual({
      tenantId: "tnt_01",
      requestedBy: "a@b.c",
    });
  });

  it("accepts the detail of the sample events that start the workflows", async () => {
    const requested = (await import("../../events/samples/cplane.tenants.tenant-requested.json")).default;
    const offboarding = (
      await import("../../events/samples/cplane.tenants.tenant-offboarding-requested.json")
    ).default;
    expect(tenantOnboarding.input.safeParse(requested.detail).success).toBe(true);
    expect(tenantOffboarding.input.safeParse(offboarding.detail).success).toBe(true);
  });
});
