/**
 * A crash of the local runtime (SIGKILL, an OOM, a laptop lid) loses at most what changed since its
 * last checkpoint: the next start on the same data directory finds the cloud and the executions as
 * they were then, cuts off what was running as a stop would have, and redrives it. Two runtimes never
 * share a data directory, so no execution is redriven twice by two starts.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { DescribeDBClustersCommand, RDSClient } from "@aws-sdk/client-rds";
import type { HistoryEvent as SdkHistoryEvent } from "@aws-sdk/client-sfn";
import { ListStateMachinesCommand, SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createAwsClient } from "../../functions/shared/aws-clients.ts";
import { listTenants } from "../../functions/tenant/lib/registry.ts";
import type { SavedExecution } from "../../local/engine/index.ts";
import { LOCK_FILE } from "../../local/persistence/lock.ts";
import { createRuntime, RUNTIME_STOPPED, type Runtime } from "../../local/runtime.ts";
import { type ChildRuntime, runChildStart, startChildRuntime } from "../support/child-runtime.ts";

const run = promisify(execFile);
const dirs: string[] = [];
const children: ChildRuntime[] = [];
const runtimes: Runtime[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) await child.stop("SIGKILL");
  for (const runtime of runtimes.splice(0)) await runtime.close();
});
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "cplane-crash-"));
  dirs.push(dir);
  return dir;
}

/** Reads the checkpointed executions until one satisfies `ready` (the file is replaced whole, never half-written). */
async function untilCheckpointed(
  dir: string,
  executionArn: string,
  ready: (saved: SavedExecution) => boolean,
  withinMs = 60_000,
): Promise<SavedExecution> {
  const deadline = Date.now() + withinMs;
  let last: SavedExecution | undefined;
  for (;;) {
    const file = join(dir, "executions.json");
    if (existsSync(file)) {
      // Running executions are in executions.json itself (finished ones in the chunks it names).
      const saved = JSON.parse(readFileSync(file, "utf8")) as { executions: SavedExecution[] };
      last = saved.executions.find((e) => e.arn === executionArn);
      if (last && ready(last)) return last;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `no checkpoint showed the execution as wanted within ${withinMs} ms; last: ${last ? `${last.status} at ${last.resumeAt?.state}` : "not in any checkpoint"}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function client<T>(Client: new (config: object) => T, url: string): T {
  return new Client({
    endpoint: url,
    region: "us-east-1",
    credentials: { accessKeyId: "l", secretAccessKey: "l" },
  });
}

describe("a crash of the local runtime", () => {
  it("loses no onboarding: killed after a checkpoint, the next start redrives it and the cluster the registry names exists", async () => {
    // Prepare: a runtime in a child process, an onboarding waiting for its database (the clock is
    // manual, so it waits there), and a checkpoint that shows it waiting
    const dir = dataDir();
    const first = await startChildRuntime({ dataDir: dir, speed: "manual" });
    children.push(first);
    const sfn = client(SFNClient, first.url);
    const { stateMachines } = await sfn.send(new ListStateMachinesCommand({}));
    const stateMachineArn = stateMachines?.find(
      (sm) => sm.name === "cplane-local-tenant-onboarding",
    )?.stateMachineArn;
    const { executionArn = "" } = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn,
        input: JSON.stringify({ name: "Crash Co", tier: "basic", adminEmail: "ops@crash.example" }),
      }),
    );
    const checkpointed = await untilCheckpointed(
      dir,
      executionArn,
      (e) => e.status === "RUNNING" && e.resumeAt?.state === "WaitForDatabase",
    );
    const cloudSaved = readFileSync(join(dir, "cloud", "cloud.json"), "utf8");
    expect(cloudSaved).toContain("tenant-crash-co");
    expect(checkpointed.redriveCount).toBe(0);

    // Act: kill it as a crash would, and start again on the same directory
    const killed = await first.stop("SIGKILL");
    expect(killed.signal).toBe("SIGKILL");
    expect(existsSync(join(dir, LOCK_FILE))).toBe(true);
    const second = await createRuntime({ speed: "instant", dataDir: dir });
    runtimes.push(second);
    const done = await second.engine.waitForExecution(executionArn);

    // Assess: redriven once, from where the checkpoint stood, and completed
    expect(second.recoveredFrom?.pid).toBe(first.pid);
    expect(second.resumed).toEqual([executionArn]);
    expect(done).toMatchObject({ status: "SUCCEEDED", redriveCount: 1 });
    const history = second.engine.getExecutionHistory(executionArn).events as unknown as SdkHistoryEvent[];
    expect(history.find((e) => e.type === "ExecutionAborted")?.executionAbortedEventDetails).toMatchObject({
      error: RUNTIME_STOPPED,
      cause: expect.stringContaining(`(pid ${first.pid}) ended without a clean stop`),
    });
    // The cluster came back with the checkpoint: provisioning did not have to run again.
    expect(
      history.filter(
        (e) => e.type === "TaskStateEntered" && e.stateEnteredEventDetails?.name === "ProvisionDatabase",
      ),
    ).toHaveLength(1);
    const tenant = (await listTenants()).find((t) => t.slug === "crash-co");
    expect(tenant?.status).toBe("active");
    const named = tenant?.history.find((h) => h.step === "provision-database")?.reason ?? "";
    const { DBClusters = [] } = await createAwsClient(RDSClient, { region: "us-east-1" }).send(
      new DescribeDBClustersCommand({}),
    );
    const cluster = DBClusters.find((c) => c.Endpoint === tenant?.endpoint);
    expect(cluster).toMatchObject({ DBClusterIdentifier: "tenant-crash-co", Status: "available" });
    expect(named).toContain(`cluster ${cluster?.DBClusterIdentifier}`);
  }, 180_000);

  it("refuses a second runtime on the data directory while the first lives, and takes the lock over once it is killed", async () => {
    // Prepare
    const dir = dataDir();
    const first = await startChildRuntime({ dataDir: dir, speed: "manual" });
    children.push(first);

    // Act 1: a second start on the same directory
    const refused = await runChildStart({ dataDir: dir });

    // Assess 1: refused by name, and the first serves on
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      new RegExp(`DataDirLockedError: .* is in use by another cplane runtime \\(pid ${first.pid}, `),
    );
    expect((await fetch(`${first.url}/_cplane/checkpoint`)).ok).toBe(true);
    // Nor does `cplane reset` clear it from under the runtime, which listens elsewhere than it asks.
    const reset = await run(process.execPath, [
      "local/cli/bin.ts",
      "reset",
      "--data-dir",
      dir,
      "--endpoint",
      "http://127.0.0.1:9",
    ]).catch((error: { code: number; stderr: string }) => error);
    expect(reset).toMatchObject({ code: 1, stderr: expect.stringContaining("DataDirLockedError") });
    expect(existsSync(join(dir, LOCK_FILE))).toBe(true);

    // Act 2: the first killed, a third start takes over its stale lock
    await first.stop("SIGKILL");
    const third = await startChildRuntime({ dataDir: dir, speed: "manual" });
    children.push(third);

    // Assess 2: it says what it recovered from, and a clean stop releases the lock
    expect(third.stdout()).toContain(`the last runtime (pid ${first.pid}) ended without a clean stop`);
    const status = (await (await fetch(`${third.url}/_cplane/checkpoint`)).json()) as {
      enabled: boolean;
      recoveredFrom?: { pid: number };
    };
    expect(status).toMatchObject({ enabled: true, recoveredFrom: { pid: first.pid } });
    expect(await third.stop("SIGTERM")).toEqual({ code: 0, signal: null });
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    const after = await createRuntime({ speed: "manual", dataDir: dir });
    runtimes.push(after);
    expect(after.recoveredFrom).toBeUndefined();
  }, 180_000);
});
