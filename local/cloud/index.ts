/**
 * The local cloud's public surface for the runtime and the CLI:
 *
 * ```ts
 * const cloud = createLocalCloud({ clock, regions: { primary, secondary }, account, dataDir: ".cplane/cloud", emitEvent });
 * if (!(await cloud.load())) await createDemoFleet(cloud);
 * bindLocalCloud(cloud);                 // every createAwsClient() client now talks to it
 * cloud.faults.regionDown("us-east-1");  // fault plans: throttle, fail, latency, region-down, corrupt-snapshot
 * console.log(formatDescription(cloud.describe()));
 * await cloud.save(); await cloud.close();
 * ```
 */
import type { CloudEvent } from "./context.ts";
import type { EmulatedService } from "./service.ts";

export type { CallRecord, LocalCloud, LocalCloudOptions } from "./cloud.ts";
export { createLocalCloud, DEFAULT_REGIONS } from "./cloud.ts";
export type { CloudEvent, Durations, EmitEvent, Regions } from "./context.ts";
export { DEFAULT_DURATIONS } from "./context.ts";
export type { DemoFleet, DemoFleetOptions } from "./demo.ts";
export { createDemoFleet } from "./demo.ts";
export type { ActiveFault, FaultSpec } from "./faults.ts";
export { FaultPlanSchema, FaultSpecSchema, parseFaultPlan } from "./faults.ts";
export { clusterCa } from "./kubernetes.ts";
export type { EmulatedService } from "./service.ts";
export type { TrafficServiceSpec, VersionBehaviour } from "./traffic.ts";
export { TRAFFIC_NAMESPACE } from "./traffic.ts";

/** Renders `describe()` as indented text: service, region, kind, one line per resource. */
export function formatDescription(
  description: Record<string, Record<string, Record<string, unknown[]>>>,
): string {
  const lines: string[] = [];
  for (const [service, regions] of Object.entries(description)) {
    const kinds = Object.entries(regions).flatMap(([region, byKind]) =>
      Object.entries(byKind).map(([kind, items]) => ({ region, kind, items })),
    );
    if (kinds.every((k) => k.items.length === 0)) continue;
    lines.push(service);
    for (const [region, byKind] of Object.entries(regions)) {
      if (Object.values(byKind).every((items) => items.length === 0)) continue;
      lines.push(`  ${region}`);
      for (const [kind, items] of Object.entries(byKind)) {
        if (items.length === 0) continue;
        lines.push(`    ${kind} (${items.length})`);
        for (const item of items) lines.push(`      ${summarize(item)}`);
      }
    }
  }
  return lines.join("\n");
}

function summarize(item: unknown): string {
  if (!item || typeof item !== "object") return String(item);
  return Object.entries(item)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : String(v)}`)
    .join(" ");
}

/** An EventBridge `PutEvents` entry for an event the cloud emitted (for a bus that takes entries). */
export function toPutEventsEntry(event: CloudEvent): {
  Source: string;
  DetailType: string;
  Detail: string;
  Resources: string[];
  Time: Date;
} {
  return {
    Source: event.source,
    DetailType: event["detail-type"],
    Detail: JSON.stringify(event.detail),
    Resources: [...event.resources],
    Time: new Date(event.time),
  };
}

/**
 * Registers a service the cloud does not own (EventBridge on the runtime's bus, Step Functions on the
 * engine): its operations receive the SDK input and the caller's region and return the SDK output.
 */
export function externalService(
  name: string,
  operations: Record<string, (input: never, region: string) => unknown>,
): EmulatedService {
  return { name, operations, describe: () => ({}) };
}
