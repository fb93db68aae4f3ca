/**
 * The standby node group's capacity against what a failover scales up: Kubernetes quantities, what a
 * node gives pods after the EKS AMI's reservations, requests summed per pod and times replicas, and the
 * shortfall named.
 */
import { describe, expect, it } from "vitest";
import {
  describeCapacity,
  judgeCapacity,
  parseQuantity,
  podRequests,
  totalDemand,
} from "../../../functions/failover/lib/capacity.ts";
import { allocatable, reservedMillicores } from "../../../functions/failover/lib/instance-types.ts";

describe("capacity arithmetic", () => {
  it("reads Kubernetes quantities in CPU cores and bytes", () => {
    expect(parseQuantity("500m")).toBeCloseTo(0.5);
    expect(parseQuantity("1.5")).toBe(1.5);
    expect(parseQuantity("512Mi")).toBe(512 * 1024 ** 2);
    expect(parseQuantity("1G")).toBe(1e9);
    expect(parseQuantity("1e3")).toBe(1000);
    expect(parseQuantity("lots")).toBeNaN();
  });

  it("gives a node what the AMI leaves: CPU by the reservation steps, memory less 11 MiB a pod, 255 MiB and eviction", () => {
    expect(reservedMillicores(1)).toBe(60);
    expect(reservedMillicores(2)).toBe(70);
    expect(reservedMillicores(4)).toBe(80);
    expect(reservedMillicores(8)).toBe(90);
    // m6i.large: 2 vCPU, 8 GiB, 29 pods.
    expect(allocatable("m6i.large")).toEqual({
      cpu: 1.93,
      memoryMiB: 8192 - (11 * 29 + 255) - 100,
      pods: 29,
    });
    expect(allocatable("x9.huge")).toBeUndefined();
  });

  it("sums a pod's containers' requests and multiplies by the replicas a failover runs", () => {
    const pod = podRequests([
      { resources: { requests: { cpu: "250m", memory: "256Mi" } } },
      { resources: { requests: { cpu: "1" } } },
    ]);
    expect(pod).toEqual({ cpu: 1.25, memoryMiB: 256, declared: true });
    const demand = totalDemand([
      { name: "shop/api", replicas: 4, ...pod },
      { name: "shop/web", replicas: 2, ...podRequests([{}]) },
    ]);
    expect(demand).toEqual({
      cpu: 5,
      memoryMiB: 1024,
      pods: 6,
      deployments: 2,
      withoutRequests: ["shop/web"],
    });
  });

  it("names the shortfall when the node group at its maximum cannot take the demand", () => {
    const group = { maxSize: 2, instanceTypes: ["m6i.large"] };
    const demand = totalDemand([
      { name: "shop/api", replicas: 3, cpu: 1.5, memoryMiB: 1024, declared: true },
    ]);

    const verdict = judgeCapacity(group, demand);

    expect(verdict).toMatchObject({ known: true, fits: false });
    if (!verdict.known) throw new Error("known");
    expect(verdict.shortfall.cpu).toBeCloseTo(4.5 - 3.86);
    expect(verdict.shortfall.memoryMiB).toBe(0);
    expect(describeCapacity(group, verdict)).toMatch(/^short of 0\.64 CPU: 2 × m6i\.large hold 3\.86 CPU/);
    expect(judgeCapacity({ ...group, maxSize: 3 }, demand)).toMatchObject({ fits: true });
  });

  it("counts a mixed node group at its smallest type, and does not guess an unknown one", () => {
    const demand = totalDemand([{ name: "a/b", replicas: 2, cpu: 0.1, memoryMiB: 3000, declared: true }]);
    const mixed = judgeCapacity({ maxSize: 1, instanceTypes: ["m6i.large", "c6i.large"] }, demand);
    expect(mixed).toMatchObject({ known: true, fits: false });
    expect(judgeCapacity({ maxSize: 1, instanceTypes: ["x9.huge"] }, demand)).toEqual({
      known: false,
      reason: "instance type x9.huge not known: capacity not checked",
    });
  });
});
