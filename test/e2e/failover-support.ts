/**
 * What the failover tests share: a runtime with the demo fleet (platform global database, Route 53
 * failover pair, EKS per region, region-health alarms) on an instant clock, tenants onboarded through
 * the real onboarding workflow, and time driven forward until a condition holds.
 */
import { DescribeGlobalClustersCommand, RDSClient } from "@aws-sdk/client-rds";
import { createAwsClient } from "../../functions/shared/aws-clients.ts";
import { createClock } from "../../local/clock/clock.ts";
import type { ExecutionDescription } from "../../local/engine/index.ts";
import { createRuntime, type Runtime } from "../../local/runtime.ts";

export async function failoverRuntime(): Promise<Runtime> {
  return createRuntime({ clock: createClock({ mode: { kind: "instant" } }), demoFleet: true });
}

/** Drives simulated time in `stepMs` steps until `done` holds; fails after `maxMs` of simulated time. */
export async function runUntil(
  runtime: Runtime,
  done: () => boolean | Promise<boolean>,
  what: string,
  { stepMs = 30_000, maxMs = 3 * 60 * 60_000 } = {},
): Promise<void> {
  const start = runtime.clock.now();
  for (;;) {
    await runtime.bus.drain();
    if (await done()) return;
    if (runtime.clock.now() - start > maxMs)
      throw new Error(`${what}: not within ${maxMs / 60_000} simulated minutes`);
    await runtime.clock.sleep(stepMs);
  }
}

export function start(runtime: Runtime, workflow: string, input: unknown, name?: string): string {
  return runtime.engine.startExecution({
    stateMachineArn: runtime.stateMachineArn(workflow),
    input: JSON.stringify(input),
    ...(name ? { name } : {}),
  }).executionArn;
}

export const finished = (runtime: Runtime, arn: string) =>
  runtime.engine.describeExecution(arn).status !== "RUNNING";

export async function finish(runtime: Runtime, arn: string, what = arn): Promise<ExecutionDescription> {
  await runUntil(runtime, () => finished(runtime, arn), what);
  return runtime.engine.describeExecution(arn);
}

/** Onboards tenants at once through the onboarding workflow; resolves when every one is active. */
export async function onboard(runtime: Runtime, tenants: { name: string; tier: string }[]): Promise<void> {
  const runs = tenants.map((t) =>
    start(runtime, "tenant-onboarding", { name: t.name, tier: t.tier, adminEmail: "ops@example.com" }),
  );
  for (const run of runs) {
    const done = await finish(runtime, run, `onboarding ${run}`);
    if (done.status !== "SUCCEEDED") throw new Error(`onboarding failed: ${done.error} ${done.cause}`);
  }
}

/** The executions of a workflow, newest first. */
export function executionsOf(runtime: Runtime, workflow: string) {
  return runtime.engine.listExecutions({ stateMachineArn: runtime.stateMachineArn(workflow) }).executions;
}

export function outputOf(runtime: Runtime, arn: string): Record<string, unknown> {
  return JSON.parse(runtime.engine.describeExecution(arn).output ?? "null") as Record<string, unknown>;
}

/** Where a global database writes now. */
export async function writerRegion(runtime: Runtime, identifier: string): Promise<string> {
  const rds = createAwsClient(RDSClient, { region: runtime.secondaryRegion });
  const { GlobalClusters } = await rds.send(
    new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: identifier }),
  );
  const writer = GlobalClusters?.[0]?.GlobalClusterMembers?.find((m) => m.IsWriter)?.DBClusterArn ?? "";
  return writer.split(":")[3] ?? "";
}

/** The states an execution entered, in order. */
export function statesOf(runtime: Runtime, arn: string): string[] {
  return runtime.engine
    .getExecutionHistory(arn)
    .events.filter((e) => e.type.endsWith("StateEntered"))
    .map((e) => (e.stateEnteredEventDetails as { name: string }).name);
}

export function eventsOf(runtime: Runtime, detailType: string) {
  return runtime.bus
    .events({ busName: "cplane" })
    .filter((logged) => logged.event["detail-type"] === detailType)
    .map((logged) => logged.event.detail as Record<string, unknown>);
}
