/**
 * DR readiness of the secondary's compute on the local runtime: the readiness schedule's workflow
 * compares the standby node group at its maximum (max size × what one node gives pods) with what a
 * failover would scale up there (the standby Deployments at the replicas the primary runs, times
 * their pods' requests), and turns red, naming the shortfall, when the node group is too small.
 */
import { DescribeNodegroupCommand, EKSClient, UpdateNodegroupConfigCommand } from "@aws-sdk/client-eks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readReadiness } from "../../functions/failover/lib/store.ts";
import { createAwsClient } from "../../functions/shared/aws-clients.ts";
import type { Runtime } from "../../local/runtime.ts";
import { failoverRuntime, finish, runUntil, start } from "./failover-support.ts";

let runtime: Runtime;
let secondary: string;

beforeAll(async () => {
  runtime = await failoverRuntime();
  secondary = runtime.secondaryRegion;
  // The platform's standby api asks 1.5 CPU and 1 GiB a pod; the primary runs 3 of them.
  const api = runtime.cloud.eks.kubernetes(`cplane-${secondary}`, secondary);
  const current = api?.get("Deployment", "shop", "api-stable") as {
    spec: { template: { spec: { containers: { name: string; image: string }[] } } };
  };
  api?.apply({
    ...current,
    spec: {
      ...current.spec,
      template: {
        ...current.spec.template,
        spec: {
          containers: current.spec.template.spec.containers.map((c) => ({
            ...c,
            resources: { requests: { cpu: "1500m", memory: "1Gi" } },
          })),
        },
      },
    },
  });
  await runtime.clock.sleep(10 * 60_000);
}, 300_000);
afterAll(async () => {
  await runtime?.close();
});

const eks = () => createAwsClient(EKSClient, { region: secondary });

async function resize(maxSize: number): Promise<void> {
  const names = { clusterName: `cplane-${secondary}`, nodegroupName: "general" };
  await eks().send(new UpdateNodegroupConfigCommand({ ...names, scalingConfig: { maxSize } }));
  await runUntil(
    runtime,
    async () => (await eks().send(new DescribeNodegroupCommand(names))).nodegroup?.status === "ACTIVE",
    "the node group's update",
  );
}

async function computeReadiness() {
  const run = await finish(runtime, start(runtime, "dr-readiness", { trigger: "manual" }));
  if (run.status !== "SUCCEEDED") throw new Error(`dr-readiness: ${run.error} ${run.cause}`);
  return (await readReadiness())?.subjects.find((s) => s.subject === "compute");
}

describe("DR readiness of the secondary's compute", () => {
  it("is green when the node group at its maximum takes what a failover scales up", async () => {
    const compute = await computeReadiness();

    expect(compute?.status).toBe("green");
    expect(compute?.reason).toContain("10 × m6i.large hold 19.3 CPU");
    expect(compute?.reason).toContain("requesting 4.5 CPU, 3 GiB");
  }, 300_000);

  it("turns red on a node group too small, naming the shortfall", async () => {
    // Act: the secondary's node group may grow to 2 nodes only.
    await resize(2);
    const compute = await computeReadiness();

    // Assess: 2 × 1.93 CPU < 3 × 1.5 CPU
    expect(compute?.status).toBe("red");
    expect(compute?.reason).toContain("short of 0.64 CPU");
    const stored = await readReadiness();
    expect(stored?.overall).toBe("red");
  }, 300_000);
});
