/**
 * The operations kit's approval gate on the local runtime: approve, reject, timeout and escalation,
 * with the real `ops/request-approval` handler and the decision as `cplane tasks approve|reject` makes
 * it (`decide`). The clock is manual: simulated time moves only when the test says, as it would while
 * a person reads the question.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decide, getApproval } from "../../functions/ops/lib/approvals.ts";
import { createClock } from "../../local/clock/clock.ts";
import { createRuntime, type Runtime, TENANT_TABLE } from "../../local/runtime.ts";
import type { LocalServer } from "../../local/server/http.ts";
import { serve } from "../../local/start.ts";
import { type StateMachineDefinition, substituteFunctions } from "../../workflows/asl.ts";
import { approvalGate } from "../../workflows/kit/index.ts";
import { runCli } from "../support/cli.ts";

let runtime: Runtime;
let server: LocalServer;
const store = { table: TENANT_TABLE, busName: "cplane" };

beforeAll(async () => {
  runtime = await createRuntime({ clock: createClock({ mode: { kind: "manual" } }) });
  server = await serve(runtime, 0);
}, 120_000);
afterAll(async () => {
  await server?.close();
  await runtime?.close();
});

const cplane = (...args: string[]) => runCli(server.url, ...args);

function deploy(name: string, definition: StateMachineDefinition): string {
  const resolved = substituteFunctions(definition, (id) => runtime.functions.arnOf(id));
  return runtime.engine.createStateMachine({ name, definition: resolved }).stateMachineArn;
}

function start(stateMachineArn: string, input: unknown = {}): string {
  return runtime.engine.startExecution({ stateMachineArn, input: JSON.stringify(input) }).executionArn;
}

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A workflow with one approval gate: succeeds when approved, fails `Rejected` otherwise. */
function gated(onTimeout: Parameters<typeof approvalGate>[0]["onTimeout"]): StateMachineDefinition {
  const gate = approvalGate({
    gate: "PromoteToProduction",
    question: "'Promote shop 2.4.1 to production?'",
    evidence: '{"errorRate": 0.2, "threshold": 1}',
    timeoutSeconds: 3600,
    onTimeout,
    approved: "Promoted",
    rejected: "NotPromoted",
    onFailure: "NotPromoted",
  });
  return {
    QueryLanguage: "JSONata",
    TimeoutSeconds: 4 * 3600,
    StartAt: "Init",
    States: {
      Init: { Type: "Pass", Assign: { ...gate.variables, failure: null }, Next: gate.entry },
      ...gate.states,
      Promoted: { Type: "Succeed", Output: `{% $${gate.decisionVariable} %}` },
      NotPromoted: {
        Type: "Fail",
        Error: "Rejected",
        Cause: `{% $${gate.decisionVariable}.decidedBy & ': ' & $${gate.decisionVariable}.reason %}`,
      },
    },
  };
}

/** The approval events on our bus for one execution. */
function approvalEvents(executionArn: string) {
  return runtime.bus
    .events({ busName: "cplane" })
    .map((logged) => logged.event)
    .filter(
      (event) =>
        event.source === "cplane.operations" &&
        (event.detail as { executionArn?: string }).executionArn === executionArn,
    );
}

async function waitingApproval(executionArn: string): Promise<string> {
  let id = "";
  await until(() => {
    const requested = approvalEvents(executionArn).find((e) => e["detail-type"] === "Approval Requested");
    id = String((requested?.detail as { approvalId?: string } | undefined)?.approvalId ?? "");
    return id !== "";
  }, "Approval Requested");
  return id;
}

describe("the approval gate on the local runtime", () => {
  it("asks without giving the token away, and an approval resumes the execution with who, when and why", async () => {
    // Prepare
    const machine = deploy("gated-approve", gated({ action: "reject" }));
    const executionArn = start(machine);
    const approvalId = await waitingApproval(executionArn);

    // Act
    await decide(
      {
        approvalId,
        approved: true,
        decidedBy: "alice",
        reason: "metrics look good",
        now: runtime.clock.now(),
      },
      store,
    );
    const done = await runtime.engine.waitForExecution(executionArn);

    // Assess
    expect(done.status, done.cause).toBe("SUCCEEDED");
    expect(JSON.parse(done.output ?? "{}")).toMatchObject({
      approved: true,
      decidedBy: "alice",
      reason: "metrics look good",
    });
    const stored = await getApproval(approvalId, store);
    expect(stored).toMatchObject({
      status: "approved",
      decision: { decidedBy: "alice", reason: "metrics look good" },
    });
    const events = approvalEvents(executionArn);
    expect(events.map((e) => e["detail-type"])).toEqual(["Approval Requested", "Approval Decided"]);
    expect(events[0]?.detail).toMatchObject({
      gate: "PromoteToProduction",
      evidence: { errorRate: 0.2, threshold: 1 },
    });
    const tokens = runtime.engine.listPendingTasks().map((t) => t.taskToken);
    expect(JSON.stringify(events)).not.toMatch(/taskToken|token/i);
    expect(tokens).toEqual([]);
  });

  it("ends on the rejected path with the reason, and refuses to change a decision", async () => {
    const machine = deploy("gated-reject", gated({ action: "reject" }));
    const executionArn = start(machine);
    const approvalId = await waitingApproval(executionArn);

    await decide(
      { approvalId, approved: false, decidedBy: "bob", reason: "p99 too high", now: runtime.clock.now() },
      store,
    );
    const done = await runtime.engine.waitForExecution(executionArn);

    expect(done.status).toBe("FAILED");
    expect(done.cause).toBe("bob: p99 too high");
    await expect(
      decide(
        { approvalId, approved: true, decidedBy: "mallory", reason: "override", now: runtime.clock.now() },
        store,
      ),
    ).rejects.toMatchObject({ name: "ApprovalAlreadyDecidedError" });
    expect((await getApproval(approvalId, store))?.decision?.decidedBy).toBe("bob");
  });

  it("rejects when nobody answers in time, and refuses a late decision as expired", async () => {
    const machine = deploy("gated-timeout", gated({ action: "reject" }));
    const executionArn = start(machine);
    const approvalId = await waitingApproval(executionArn);
    await runtime.clock.advance(3600_000 + 1000);
    const done = await runtime.engine.waitForExecution(executionArn);

    expect(done.status).toBe("FAILED");
    expect(done.cause).toContain("timeout: no decision within the gate's time (3600s)");
    await expect(
      decide(
        { approvalId, approved: true, decidedBy: "late", reason: "sorry", now: runtime.clock.now() },
        store,
      ),
    ).rejects.toMatchObject({ name: "ApprovalExpiredError" });
  });

  it("escalates once when nobody answers, and the escalated request can still approve", async () => {
    const machine = deploy("gated-escalate", gated({ action: "escalate", timeoutSeconds: 1800 }));
    const executionArn = start(machine);
    const first = await waitingApproval(executionArn);
    // Nobody answers the first request within its hour.
    await runtime.clock.advance(3600_000 + 1000);
    let second = "";
    await until(() => {
      const escalated = approvalEvents(executionArn).find(
        (e) => e["detail-type"] === "Approval Requested" && (e.detail as { escalated: boolean }).escalated,
      );
      second = String((escalated?.detail as { approvalId?: string } | undefined)?.approvalId ?? "");
      return second !== "";
    }, "the escalated request");

    await decide(
      {
        approvalId: second,
        approved: true,
        decidedBy: "oncall-lead",
        reason: "ok",
        now: runtime.clock.now(),
      },
      store,
    );
    const done = await runtime.engine.waitForExecution(executionArn);

    expect(second).not.toBe(first);
    expect(done.status, done.cause).toBe("SUCCEEDED");
    expect(JSON.parse(done.output ?? "{}")).toMatchObject({ decidedBy: "oncall-lead" });
  });

  it("is answered from the CLI: tasks list shows it, tasks approve records who and why, a second answer is refused", async () => {
    // Prepare
    const machine = deploy("gated-cli", gated({ action: "reject" }));
    const executionArn = start(machine);
    const approvalId = await waitingApproval(executionArn);

    // Act
    const listed = await cplane("tasks", "list");
    const noReason = await cplane("tasks", "approve", approvalId);
    const approved = await cplane(
      "tasks",
      "approve",
      approvalId,
      "--reason",
      "canary clean for an hour",
      "--as",
      "alice",
    );
    const again = await cplane("tasks", "reject", approvalId, "--reason", "changed my mind");
    const done = await runtime.engine.waitForExecution(executionArn);

    // Assess
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`${approvalId}\\s+pending\\s+PromoteToProduction`));
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toContain("--reason");
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toContain(
      `approved ${approvalId} (PromoteToProduction) as alice: canary clean for an hour`,
    );
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain("ApprovalAlreadyDecidedError");
    expect(done.status).toBe("SUCCEEDED");
    expect((await getApproval(approvalId, store))?.decision).toMatchObject({
      decidedBy: "alice",
      approved: true,
    });
  }, 180_000);
});
