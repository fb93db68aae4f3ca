/**
 * The operations kit on the local runtime: locks (contention, takeover after expiry), the interlock
 * between a failover and a canary, and the clean-up after an execution stopped from outside (the
 * approval gate has its own file: it needs a clock that waits for people). The locks and approvals run
 * the real ops handlers against the local cloud's registry table; the test workflows are written with
 * the kit's own blocks, as the coming workflows will be.
 */
import { DescribeDBClustersCommand, RDSClient } from "@aws-sdk/client-rds";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readLease } from "../../functions/ops/lib/leases.ts";
import { createAwsClient } from "../../functions/shared/aws-clients.ts";
import { getTenant } from "../../functions/tenant/lib/registry.ts";
import { createClock } from "../../local/clock/clock.ts";
import { createRuntime, type Runtime } from "../../local/runtime.ts";
import { type StateMachineDefinition, substituteFunctions } from "../../workflows/asl.ts";
import { acquireLocks, releaseLocks } from "../../workflows/kit/index.ts";

let runtime: Runtime;

beforeAll(async () => {
  runtime = await createRuntime({ clock: createClock({ mode: { kind: "instant" } }) });
}, 120_000);
afterAll(async () => {
  await runtime?.close();
});

function deploy(name: string, definition: StateMachineDefinition): string {
  const resolved = substituteFunctions(definition, (id) => runtime.functions.arnOf(id));
  return runtime.engine.createStateMachine({ name, definition: resolved }).stateMachineArn;
}

function start(stateMachineArn: string, input: unknown = {}): string {
  return runtime.engine.startExecution({ stateMachineArn, input: JSON.stringify(input) }).executionArn;
}

/** When each state was entered, by name (the last time), in simulated epoch ms. */
function enteredAt(executionArn: string): Map<string, number> {
  const entered = new Map<string, number>();
  for (const event of runtime.engine.getExecutionHistory(executionArn).events) {
    if (!event.type.endsWith("StateEntered")) continue;
    const { name } = event.stateEnteredEventDetails as { name: string };
    entered.set(name, event.timestamp.getTime());
  }
  return entered;
}

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * Holds the instant clock still (it jumps only while nothing tracked runs) until the returned release
 * is called: both executions start at the same simulated moment, however slowly this machine runs.
 */
function holdClock(): () => void {
  let release = () => {};
  void runtime.clock.track(new Promise<void>((resolve) => (release = resolve)));
  return release;
}

/**
 * Starts the failover, then the canary once the failover holds the fleet lock, at the same simulated
 * moment: the clock is held until the canary has made its first try.
 */
async function startTogether(failover: string, canary: string) {
  const release = holdClock();
  const failoverRun = start(failover);
  await until(
    async () => (await readLease("fleet"))?.holders[failoverRun] !== undefined,
    "the failover's lease",
  );
  const canaryRun = start(canary);
  await until(() => enteredAt(canaryRun).has("AcquireLocks"), "the canary's first try");
  release();
  return { failoverRun, canaryRun };
}

/** A stand-in for a failover: holds the fleet lock exclusively for `holdSeconds`, then releases it. */
function failoverLike(holdSeconds: number): StateMachineDefinition {
  const locks = acquireLocks({
    locks: '[{"name": "fleet", "mode": "exclusive"}]',
    ttlSeconds: 3600,
    retrySeconds: 30,
    maxWaitSeconds: 600,
    next: "SwitchRegions",
    onBlocked: "Blocked",
    onFailure: "Blocked",
  });
  return {
    QueryLanguage: "JSONata",
    TimeoutSeconds: 7200,
    StartAt: "Init",
    States: {
      Init: { Type: "Pass", Assign: { ...locks.variables, failure: null }, Next: locks.entry },
      ...locks.states,
      SwitchRegions: { Type: "Wait", Seconds: holdSeconds, Next: "ReleaseLocks" },
      ReleaseLocks: releaseLocks("Done"),
      Done: { Type: "Succeed" },
      Blocked: { Type: "Fail", Error: "{% $failure.error %}", Cause: "{% $failure.cause %}" },
    },
  };
}

/** A stand-in for a canary step: changes traffic only while holding the fleet lock shared. */
function canaryLike(maxWaitSeconds: number): StateMachineDefinition {
  const locks = acquireLocks({
    locks: '[{"name": "fleet", "mode": "shared"}, {"name": "service:shop", "mode": "exclusive"}]',
    ttlSeconds: 3600,
    retrySeconds: 60,
    maxWaitSeconds,
    next: "ChangeTraffic",
    onBlocked: "ReleaseAfterBlocked",
    onFailure: "ReleaseAfterBlocked",
  });
  return {
    QueryLanguage: "JSONata",
    TimeoutSeconds: 7200,
    StartAt: "Init",
    States: {
      Init: { Type: "Pass", Assign: { ...locks.variables, failure: null }, Next: locks.entry },
      ...locks.states,
      ChangeTraffic: { Type: "Pass", Next: "ReleaseLocks" },
      ReleaseLocks: releaseLocks("Done"),
      Done: { Type: "Succeed" },
      ReleaseAfterBlocked: releaseLocks("Blocked"),
      Blocked: { Type: "Fail", Error: "{% $failure.error %}", Cause: "{% $failure.cause %}" },
    },
  };
}

describe("locks on the local runtime", () => {
  it("keeps a canary from changing traffic while a failover holds the fleet lock", async () => {
    // Prepare
    const failover = deploy("failover-like", failoverLike(600));
    const canary = deploy("canary-like", canaryLike(1800));

    // Act: both start together; the failover takes the fleet lock first
    const { failoverRun, canaryRun } = await startTogether(failover, canary);
    const [failoverDone, canaryDone] = await Promise.all([
      runtime.engine.waitForExecution(failoverRun),
      runtime.engine.waitForExecution(canaryRun),
    ]);

    // Assess
    expect(failoverDone.status).toBe("SUCCEEDED");
    expect(canaryDone.status, canaryDone.cause).toBe("SUCCEEDED");
    const released = enteredAt(failoverRun).get("ReleaseLocks") ?? Number.NaN;
    const changed = enteredAt(canaryRun).get("ChangeTraffic") ?? Number.NaN;
    expect(changed).toBeGreaterThanOrEqual(released);
    expect(
      runtime.engine.getExecutionHistory(canaryRun).events.filter((e) => e.type === "WaitStateEntered")
        .length,
    ).toBeGreaterThan(3);
    expect((await readLease("fleet"))?.holders).toEqual({});
  });

  it("ends a canary Blocked, never changing traffic, when the failover outlasts its wait", async () => {
    const failover = deploy("failover-long", failoverLike(3600));
    const canary = deploy("canary-short", canaryLike(600));
    const { failoverRun, canaryRun } = await startTogether(failover, canary);
    const canaryDone = await runtime.engine.waitForExecution(canaryRun);
    await runtime.engine.waitForExecution(failoverRun);

    expect(canaryDone.status).toBe("FAILED");
    expect(canaryDone.error).toBe("LocksHeldError");
    expect(canaryDone.cause).toContain(`lock fleet is held exclusive by ${failoverRun}`);
    expect(enteredAt(canaryRun).has("ChangeTraffic")).toBe(false);
    expect((await readLease("service:shop"))?.holders ?? {}).toEqual({});
  });

  it("refuses a second exclusive holder while the first one's execution runs, and takes over at once from one that has ended", async () => {
    // Prepare: a running onboarding holds one lock; an execution that does not exist holds another.
    const acquire = (name: string, executionArn: string) =>
      runtime.functions.invoke(runtime.functions.arnOf("ops/acquire-locks"), {
        locks: [{ name, mode: "exclusive" }],
        ttlSeconds: 3600,
        executionArn,
      }) as Promise<{ acquired: boolean; heldBy: { owner: string }[]; tookOver: { owner: string }[] }>;
    const running = start(runtime.stateMachineArn("tenant-onboarding"), {
      name: "Holder Co",
      tier: "basic",
      adminEmail: "ops@holder.example",
    });
    await until(
      () => runtime.engine.listPendingTasks().some((t) => t.executionArn === running),
      "the holder's wait",
    );
    const dead = `${runtime.stateMachineArn("tenant-onboarding").replace(":stateMachine:", ":execution:")}:dead-owner`;
    const live = `${runtime.stateMachineArn("tenant-onboarding").replace(":stateMachine:", ":execution:")}:live-1`;
    expect((await acquire("tenant:held", running)).acquired).toBe(true);
    expect((await acquire("tenant:contended", dead)).acquired).toBe(true);

    // Act
    const refused = await acquire("tenant:held", live);
    const taken = await acquire("tenant:contended", live);

    // Assess
    expect(refused).toMatchObject({ acquired: false, heldBy: [{ owner: running }] });
    expect(taken).toMatchObject({ acquired: true, tookOver: [{ lock: "tenant:contended", owner: dead }] });
    expect(Object.keys((await readLease("tenant:contended"))?.holders ?? {})).toEqual([live]);
    runtime.engine.stopExecution(running, { cause: "the test is done with it" });
  });
});

describe("an execution stopped from outside", () => {
  it("is cleaned up as its failure path would have: compensated, the tenant failed with the reason, the locks released", async () => {
    // Prepare: an onboarding waiting for its database
    const executionArn = start(runtime.stateMachineArn("tenant-onboarding"), {
      name: "Stopped Co",
      tier: "basic",
      adminEmail: "ops@stopped.example",
    });
    await until(
      () => runtime.engine.listPendingTasks().some((t) => t.executionArn === executionArn),
      "the database wait",
    );

    // Act
    runtime.engine.stopExecution(executionArn, { cause: "stopped by an operator" });
    let cleanup = "";
    await until(() => {
      const runs = runtime.engine.listExecutions({
        stateMachineArn: runtime.stateMachineArn("operation-cleanup"),
      });
      // This one's clean-up: the test above stops an execution too, whose clean-up may end first.
      cleanup =
        runs.executions.find(
          (e) =>
            e.status !== "RUNNING" &&
            (
              JSON.parse(runtime.engine.describeExecution(e.executionArn).input ?? "{}") as {
                executionArn?: string;
              }
            ).executionArn === executionArn,
        )?.executionArn ?? "";
      return cleanup !== "";
    }, "the clean-up");
    const done = await runtime.engine.waitForExecution(cleanup);

    // Assess
    expect(done.status, done.cause).toBe("SUCCEEDED");
    const tenant = await getTenant("stopped-co");
    expect(tenant?.status).toBe("failed");
    expect(tenant?.failure).toMatchObject({
      step: "execution",
      error: "States.Aborted",
      cause: "stopped by an operator",
    });
    const rds = createAwsClient(RDSClient);
    const clusters = await rds
      .send(new DescribeDBClustersCommand({ DBClusterIdentifier: "tenant-stopped-co" }))
      .catch(() => ({ DBClusters: [] }));
    expect(clusters.DBClusters?.every((c) => c.Status === "deleting") ?? true).toBe(true);
    expect((await readLease("tenant:stopped-co"))?.holders ?? {}).toEqual({});
    expect((await readLease("fleet"))?.holders[executionArn]).toBeUndefined();
    const failed = runtime.bus
      .events({ busName: "cplane" })
      .map((l) => l.event)
      .find(
        (e) =>
          e["detail-type"] === "Tenant Onboarding Failed" &&
          (e.detail as { slug?: string }).slug === "stopped-co",
      );
    expect(failed?.detail).toMatchObject({ error: "States.Aborted", executionArn });
  });
});
