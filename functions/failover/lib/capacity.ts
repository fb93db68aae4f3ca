/**
 * Whether the standby region's node group can take what a failover scales up there: its maximum size
 * times what one node can give pods (lib/instance-types.ts), against the Deployments' wanted replicas
 * times each pod's requests (the sum of its containers'). Pure arithmetic: readiness reads the node
 * group and the mirrored Deployments and asks here; a node group of mixed types counts its smallest.
 */
import { allocatable, type Resources } from "./instance-types.ts";

/** A Deployment as a failover would run it in the standby region. */
export interface DeploymentDemand {
  readonly name: string;
  readonly replicas: number;
  /** Per pod, from its containers' requests. */
  readonly cpu: number;
  readonly memoryMiB: number;
}

export interface Demand extends Resources {
  readonly deployments: number;
  readonly pods: number;
  /** Deployments whose containers request nothing: they count as zero and are named. */
  readonly withoutRequests: readonly string[];
}

export interface NodegroupSize {
  readonly maxSize: number;
  readonly instanceTypes: readonly string[];
}

export type CapacityVerdict =
  | { readonly known: false; readonly reason: string }
  | {
      readonly known: true;
      readonly capacity: Resources & { pods: number };
      readonly demand: Demand;
      /** What is missing (zero where it fits); fits when both are zero. */
      readonly shortfall: Resources & { pods: number };
      readonly fits: boolean;
    };

const UNITS: Record<string, number> = {
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  m: 1e-3,
  "": 1,
};

/** A Kubernetes quantity (`500m`, `1.5`, `512Mi`, `1G`, `1e3`) as a number of base units, or NaN. */
export function parseQuantity(text: string): number {
  const match = /^([+]?[0-9.]+(?:[eE][+-]?[0-9]+)?)(Ki|Mi|Gi|Ti|k|M|G|T|m)?$/.exec(text.trim());
  if (!match) return Number.NaN;
  return Number(match[1]) * (UNITS[match[2] ?? ""] ?? Number.NaN);
}

type Container = { resources?: { requests?: Record<string, unknown> } };

/** A pod's requests: the sum of its containers' (CPU in cores, memory in MiB). */
export function podRequests(containers: readonly Container[]): Resources & { declared: boolean } {
  let cpu = 0;
  let memoryMiB = 0;
  let declared = false;
  for (const c of containers) {
    const requests = c.resources?.requests ?? {};
    if (requests.cpu !== undefined) {
      cpu += parseQuantity(String(requests.cpu));
      declared = true;
    }
    if (requests.memory !== undefined) {
      memoryMiB += parseQuantity(String(requests.memory)) / 1024 ** 2;
      declared = true;
    }
  }
  return { cpu, memoryMiB, declared };
}

export function totalDemand(deployments: readonly (DeploymentDemand & { declared?: boolean })[]): Demand {
  return {
    cpu: deployments.reduce((sum, d) => sum + d.replicas * d.cpu, 0),
    memoryMiB: deployments.reduce((sum, d) => sum + d.replicas * d.memoryMiB, 0),
    pods: deployments.reduce((sum, d) => sum + d.replicas, 0),
    deployments: deployments.length,
    withoutRequests: deployments.filter((d) => d.declared === false && d.replicas > 0).map((d) => d.name),
  };
}

/** The node group at its maximum against the demand. */
export function judgeCapacity(group: NodegroupSize, demand: Demand): CapacityVerdict {
  const nodes = group.instanceTypes.map((type) => ({ type, node: allocatable(type) }));
  const unknown = nodes.filter((n) => !n.node).map((n) => n.type);
  if (nodes.length === 0 || unknown.length > 0)
    return {
      known: false,
      reason: `instance type ${unknown.join(", ") || "(none)"} not known: capacity not checked`,
    };
  const smallest = (key: "cpu" | "memoryMiB" | "pods") => Math.min(...nodes.map((n) => n.node?.[key] ?? 0));
  const capacity = {
    cpu: group.maxSize * smallest("cpu"),
    memoryMiB: group.maxSize * smallest("memoryMiB"),
    pods: group.maxSize * smallest("pods"),
  };
  const shortfall = {
    cpu: Math.max(0, demand.cpu - capacity.cpu),
    memoryMiB: Math.max(0, demand.memoryMiB - capacity.memoryMiB),
    pods: Math.max(0, demand.pods - capacity.pods),
  };
  const fits = shortfall.cpu === 0 && shortfall.memoryMiB === 0 && shortfall.pods === 0;
  return { known: true, capacity, demand, shortfall, fits };
}

const cores = (n: number) => `${Math.round(n * 100) / 100} CPU`;
const gib = (mib: number) => `${Math.round((mib / 1024) * 100) / 100} GiB`;

/** The verdict in a sentence, naming the shortfall. */
export function describeCapacity(group: NodegroupSize, verdict: CapacityVerdict): string {
  if (!verdict.known) return verdict.reason;
  const { capacity: c, demand: d, shortfall: s } = verdict;
  const holds = `${group.maxSize} × ${group.instanceTypes.join("/")} hold ${cores(c.cpu)}, ${gib(c.memoryMiB)}, ${c.pods} pods`;
  const needs = `the failover scales up ${d.deployments} Deployments to ${d.pods} pods requesting ${cores(d.cpu)}, ${gib(d.memoryMiB)}`;
  const unrequested =
    d.withoutRequests.length > 0
      ? ` (${d.withoutRequests.length} request nothing: ${d.withoutRequests.slice(0, 3).join(", ")})`
      : "";
  if (verdict.fits) return `${holds}; ${needs}${unrequested}`;
  const short = [
    s.cpu > 0 ? cores(s.cpu) : "",
    s.memoryMiB > 0 ? gib(s.memoryMiB) : "",
    s.pods > 0 ? `${s.pods} pods` : "",
  ].filter(Boolean);
  return `short of ${short.join(", ")}: ${holds}; ${needs}${unrequested}`;
}
