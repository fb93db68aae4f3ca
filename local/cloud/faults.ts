/**
 * Declarative fault injection. A plan is a list of specs; each matches calls by service, operation and
 * region (any of them omitted matches all) and throttles, fails with a named error, or adds latency,
 * `times` times or until removed. Region outages and snapshot corruption are specs too, so a whole
 * plan can come from a JSON file (`cplane cloud faults apply plan.json`).
 */
import { z } from "zod";

const match = {
  service: z.string().optional(),
  operation: z.string().optional(),
  region: z.string().optional(),
  /** How many matching calls it affects; omitted: every call until removed. */
  times: z.number().int().positive().optional(),
};

export const FaultSpecSchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("throttle"),
    ...match,
    /** Error name; default the service's own (`ThrottlingException`, or `Throttling` for RDS/STS/CloudWatch/Route 53). */
    error: z.string().optional(),
  }),
  z.object({
    kind: z.literal("error"),
    ...match,
    error: z.string().min(1),
    message: z.string().optional(),
    fault: z.enum(["client", "server"]).optional(),
    status: z.number().int().optional(),
  }),
  z.object({ kind: z.literal("latency"), ...match, ms: z.number().nonnegative() }),
  z.object({ kind: z.literal("region-down"), region: z.string().min(1) }),
  z.object({
    kind: z.literal("corrupt-snapshot"),
    region: z.string().optional(),
    snapshot: z.string().min(1),
    /** `rows`: restores, but about half of every table's rows are gone; `unrestorable`: the restore fails. */
    mode: z.enum(["rows", "unrestorable"]).default("rows"),
  }),
]);

export type FaultSpec = z.input<typeof FaultSpecSchema>;

/** A plan as a file holds it: a list of specs (`cplane cloud faults apply plan.json`). */
export const FaultPlanSchema = z.array(FaultSpecSchema);

/** Parses a plan from JSON text, with zod's message naming the bad entry on error. */
export function parseFaultPlan(text: string): FaultSpec[] {
  return FaultPlanSchema.parse(JSON.parse(text));
}
type ParsedSpec = z.output<typeof FaultSpecSchema>;
export type ActiveFault = ParsedSpec & { id: string; hits: number };

export type CallFault =
  | { kind: "throttle"; error?: string }
  | { kind: "error"; error: string; message?: string; fault?: "client" | "server"; status?: number }
  | { kind: "latency"; ms: number };

export interface FaultHooks {
  corruptSnapshot(snapshot: string, region: string | undefined, mode: "rows" | "unrestorable"): void;
  regionChanged(region: string, down: boolean): void;
  /** The set of faults changed (added, removed, cleared): state worth saving. */
  changed?(): void;
}

export class Faults {
  private readonly active: ActiveFault[] = [];
  private seq = 0;
  private readonly hooks: FaultHooks;

  constructor(hooks: FaultHooks) {
    this.hooks = hooks;
  }

  /** Adds one fault (validated); returns its id for `remove`. */
  add(spec: FaultSpec): string {
    const parsed = FaultSpecSchema.parse(spec);
    const id = `fault-${++this.seq}`;
    if (parsed.kind === "corrupt-snapshot") {
      this.hooks.corruptSnapshot(parsed.snapshot, parsed.region, parsed.mode);
    }
    this.active.push({ ...parsed, id, hits: 0 });
    if (parsed.kind === "region-down") this.hooks.regionChanged(parsed.region, true);
    this.hooks.changed?.();
    return id;
  }

  /** Applies a whole plan; returns the ids. */
  apply(plan: readonly FaultSpec[]): string[] {
    return plan.map((spec) => this.add(spec));
  }

  throttle(spec: Omit<Extract<FaultSpec, { kind: "throttle" }>, "kind">): string {
    return this.add({ kind: "throttle", ...spec });
  }

  fail(spec: Omit<Extract<FaultSpec, { kind: "error" }>, "kind">): string {
    return this.add({ kind: "error", ...spec });
  }

  latency(spec: Omit<Extract<FaultSpec, { kind: "latency" }>, "kind">): string {
    return this.add({ kind: "latency", ...spec });
  }

  regionDown(region: string): string {
    return this.add({ kind: "region-down", region });
  }

  regionUp(region: string): void {
    const before = this.isRegionDown(region);
    this.removeWhere((f) => f.kind === "region-down" && f.region === region);
    if (before) this.hooks.regionChanged(region, false);
    this.hooks.changed?.();
  }

  corruptSnapshot(
    snapshot: string,
    options: { region?: string; mode?: "rows" | "unrestorable" } = {},
  ): string {
    return this.add({ kind: "corrupt-snapshot", snapshot, ...options });
  }

  isRegionDown(region: string): boolean {
    return this.active.some((f) => f.kind === "region-down" && f.region === region);
  }

  remove(id: string): void {
    const fault = this.active.find((f) => f.id === id);
    this.removeWhere((f) => f.id === id);
    if (fault?.kind === "region-down" && !this.isRegionDown(fault.region)) {
      this.hooks.regionChanged(fault.region, false);
    }
    this.hooks.changed?.();
  }

  clear(): void {
    const down = this.active.filter((f) => f.kind === "region-down").map((f) => f.region);
    this.active.length = 0;
    for (const region of new Set(down)) this.hooks.regionChanged(region, false);
    this.hooks.changed?.();
  }

  list(): ActiveFault[] {
    return this.active.map((f) => ({ ...f }));
  }

  /** The faults that apply to this call, consuming one of each's `times`. Latency first, then the first failure. */
  take(service: string, operation: string, region: string): CallFault[] {
    const out: CallFault[] = [];
    let failed = false;
    for (const fault of [...this.active]) {
      if (fault.kind !== "throttle" && fault.kind !== "error" && fault.kind !== "latency") continue;
      if (fault.service !== undefined && fault.service !== service) continue;
      if (fault.operation !== undefined && fault.operation !== operation) continue;
      if (fault.region !== undefined && fault.region !== region) continue;
      if (fault.kind !== "latency") {
        if (failed) continue;
        failed = true;
      }
      fault.hits++;
      if (fault.times !== undefined && fault.hits >= fault.times) this.removeWhere((f) => f.id === fault.id);
      if (fault.kind === "latency") out.unshift({ kind: "latency", ms: fault.ms });
      else if (fault.kind === "throttle") out.push({ kind: "throttle", error: fault.error });
      else
        out.push({
          kind: "error",
          error: fault.error,
          message: fault.message,
          fault: fault.fault,
          status: fault.status,
        });
    }
    return out;
  }

  private removeWhere(predicate: (fault: ActiveFault) => boolean): void {
    for (let i = this.active.length - 1; i >= 0; i--) {
      const fault = this.active[i];
      if (fault && predicate(fault)) this.active.splice(i, 1);
    }
  }
}
