/**
 * What one node of an EKS managed node group can give pods, by instance type: its vCPUs and memory
 * less what the EKS-optimized AMI reserves (kube-reserved CPU: 6% of the first core, 1% of the second,
 * 0.5% of the third and fourth, 0.25% of the rest; kube-reserved memory: 11 MiB per pod it may run
 * plus 255 MiB; the 100 MiB hard eviction threshold). A node reports a little less memory than the
 * type's nominal size, so the figures are an upper bound. Types missing here are not guessed.
 */

export interface InstanceType {
  readonly vcpu: number;
  readonly memoryMiB: number;
  /** Pods per node with the VPC CNI's default (ENIs × (IPs per ENI − 1) + 2). */
  readonly maxPods: number;
}

export const INSTANCE_TYPES: Readonly<Record<string, InstanceType>> = {
  "t3.medium": { vcpu: 2, memoryMiB: 4096, maxPods: 17 },
  "t3.large": { vcpu: 2, memoryMiB: 8192, maxPods: 35 },
  "m5.large": { vcpu: 2, memoryMiB: 8192, maxPods: 29 },
  "m5.xlarge": { vcpu: 4, memoryMiB: 16384, maxPods: 58 },
  "m6i.large": { vcpu: 2, memoryMiB: 8192, maxPods: 29 },
  "m6i.xlarge": { vcpu: 4, memoryMiB: 16384, maxPods: 58 },
  "m6i.2xlarge": { vcpu: 8, memoryMiB: 32768, maxPods: 58 },
  "m7g.large": { vcpu: 2, memoryMiB: 8192, maxPods: 29 },
  "c6i.large": { vcpu: 2, memoryMiB: 4096, maxPods: 29 },
  "r6i.large": { vcpu: 2, memoryMiB: 16384, maxPods: 29 },
};

/** Allocatable resources of one node: CPU in cores, memory in MiB, pods. */
export interface Resources {
  readonly cpu: number;
  readonly memoryMiB: number;
}

/** The CPU the kubelet keeps for itself, in millicores, by the AMI's steps. */
export function reservedMillicores(vcpu: number): number {
  const steps: [cores: number, share: number][] = [
    [1, 0.06],
    [1, 0.01],
    [2, 0.005],
    [Number.POSITIVE_INFINITY, 0.0025],
  ];
  let left = vcpu;
  let reserved = 0;
  for (const [cores, share] of steps) {
    const here = Math.min(left, cores);
    reserved += here * 1000 * share;
    left -= here;
    if (left <= 0) break;
  }
  return reserved;
}

/** What a node of `type` can give pods, or undefined for a type not in the table. */
export function allocatable(type: string): (Resources & { pods: number }) | undefined {
  const t = INSTANCE_TYPES[type];
  if (!t) return undefined;
  return {
    cpu: (t.vcpu * 1000 - reservedMillicores(t.vcpu)) / 1000,
    memoryMiB: t.memoryMiB - (11 * t.maxPods + 255) - 100,
    pods: t.maxPods,
  };
}
