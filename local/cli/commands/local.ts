/** Commands for what only the local runtime has: its cloud, faults, clock, state, and the tenant list. */
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { TenantSummary } from "../../../functions/tenant/lib/registry.ts";
import { InvalidClockOptionError, parseClockMode } from "../../clock/clock.ts";
import type { ActiveFault } from "../../cloud/faults.ts";
import { assertDataDirFree } from "../../persistence/lock.ts";
import { printJson, printTable } from "../io.ts";
import { admin, RuntimeUnreachableError, type Target, UsageError } from "../target.ts";

const UNITS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `90s`, `10m`, `2h`, `1d`, combined from the largest unit down (`1h30m`, `1d12h`), or plain milliseconds. */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (/^\d+(?:\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed));
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  const order = parts.map((part) => UNITS[part[2] as keyof typeof UNITS]);
  if (
    parts.length === 0 ||
    parts.map((part) => part[0]).join("") !== trimmed ||
    order.some((unit, i) => i > 0 && unit >= (order[i - 1] ?? 0))
  ) {
    throw new UsageError(`not a duration: ${text} (use e.g. 90s, 10m, 2h, 1d, 1h30m)`);
  }
  return Math.round(parts.reduce((ms, part, i) => ms + Number(part[1]) * (order[i] ?? 0), 0));
}

export async function clock(target: Target, action: string, args: string[]): Promise<number> {
  if (action === "advance") {
    const by = args[0];
    if (!by) throw new UsageError("usage: cplane clock advance DURATION (e.g. 10m)");
    const out = await admin<{ now: string }>(target, "POST", "/clock/advance", { ms: parseDuration(by) });
    process.stdout.write(`simulated time is now ${out.now}\n`);
    return 0;
  }
  if (action === "speed") {
    const speed = args[0];
    if (!speed) throw new UsageError("usage: cplane clock speed real|instant|manual|FACTOR (e.g. 60)");
    try {
      parseClockMode(speed);
    } catch (error) {
      if (error instanceof InvalidClockOptionError) throw new UsageError(error.message);
      throw error;
    }
    const out = await admin<{ now: string; mode: string }>(target, "POST", "/clock/speed", { speed });
    process.stdout.write(`clock speed now ${out.mode}; simulated time ${out.now}\n`);
    return 0;
  }
  if (action !== undefined && action !== "") {
    throw new UsageError(
      `unknown clock action ${action}; use cplane clock, clock advance DURATION or clock speed SPEED`,
    );
  }
  const out = await admin<{ now: string; mode: string }>(target, "GET", "/clock");
  process.stdout.write(`simulated time ${out.now} (${out.mode})\n`);
  return 0;
}

export async function cloud(target: Target, action: string, options: { json?: boolean }): Promise<number> {
  if (action !== "describe") throw new UsageError("usage: cplane cloud describe [--json]");
  const out = await admin<unknown>(target, "GET", "/cloud");
  if (options.json) printJson(out);
  else process.stdout.write(outline(out));
  return 0;
}

interface CloudView {
  readonly RDS?: Record<
    string,
    { clusters?: { id: string }[]; snapshots?: { id: string; cluster: string; status: string }[] }
  >;
}

/**
 * Every available snapshot of `cluster`, in the region where the cluster is (or `region`): whichever
 * one a restore picks (backup verification takes the newer of the latest automated and weekly ones) is
 * corrupted, without knowing which.
 */
async function snapshotsOf(
  target: Target,
  cluster: string,
  region: string | undefined,
): Promise<{ id: string; region: string }[]> {
  const rds = (await admin<CloudView>(target, "GET", "/cloud")).RDS ?? {};
  const where = region ?? Object.keys(rds).find((r) => rds[r]?.clusters?.some((c) => c.id === cluster));
  const found = (where ? (rds[where]?.snapshots ?? []) : [])
    .filter((s) => s.cluster === cluster && s.status === "available")
    .map((s) => ({ id: s.id, region: where ?? "" }));
  if (found.length === 0) {
    throw new UsageError(
      `no available snapshot of ${cluster}${where ? ` in ${where}` : " (no such cluster)"}; cplane cloud describe lists the clusters and snapshots`,
    );
  }
  return found;
}

/** An indented outline of nested JSON, for people. */
function outline(value: unknown, depth = 0): string {
  const pad = "  ".repeat(depth);
  if (Array.isArray(value)) {
    if (value.length === 0) return "";
    return value
      .map((item) =>
        item !== null && typeof item === "object"
          ? `${pad}-\n${outline(item, depth + 1)}`
          : `${pad}- ${String(item)}\n`,
      )
      .join("");
  }
  if (value !== null && typeof value === "object") {
    return Object.entries(value)
      .map(([key, item]) =>
        item !== null && typeof item === "object"
          ? `${pad}${key}:\n${outline(item, depth + 1)}`
          : `${pad}${key}: ${String(item)}\n`,
      )
      .join("");
  }
  return `${pad}${String(value)}\n`;
}

export async function fault(
  target: Target,
  action: string,
  args: string[],
  options: Record<string, unknown>,
) {
  switch (action) {
    case "list": {
      const { faults } = await admin<{ faults: ActiveFault[] }>(target, "GET", "/faults");
      if (options.json === true) printJson(faults);
      else
        printTable([
          ["ID", "KIND", "SERVICE", "OPERATION", "REGION", "EFFECT", "HITS", "TIMES"],
          ...faults.map((f) => [
            f.id,
            f.kind,
            ("service" in f && f.service) || "*",
            ("operation" in f && f.operation) || "*",
            f.region ?? "*",
            effect(f),
            String(f.hits),
            "times" in f && f.times !== undefined ? String(f.times) : "until cleared",
          ]),
        ]);
      return 0;
    }
    case "clear": {
      await admin(target, "POST", "/faults/clear");
      process.stdout.write("faults cleared\n");
      return 0;
    }
    case "region-down":
    case "region-up": {
      const region = args[0];
      if (!region) throw new UsageError(`usage: cplane fault ${action} REGION`);
      await admin(target, "POST", `/faults/${action}`, { region });
      process.stdout.write(`${region}: ${action === "region-down" ? "down" : "up"}\n`);
      return 0;
    }
    case "corrupt-snapshot": {
      // Local only: the snapshot's data differs from its source from now on (backup verification must notice).
      const mode = options.mode === undefined ? "rows" : String(options.mode);
      const allOf = typeof options["all-of"] === "string" ? options["all-of"] : undefined;
      const region = typeof options.region === "string" ? options.region : undefined;
      if (!args[0] === !allOf || (mode !== "rows" && mode !== "unrestorable"))
        throw new UsageError(
          "usage: cplane fault corrupt-snapshot (SNAPSHOT | --all-of CLUSTER) [--region R] [--mode rows|unrestorable]",
        );
      const snapshots = args[0] ? [{ id: args[0], region }] : await snapshotsOf(target, allOf ?? "", region);
      for (const snapshot of snapshots) {
        const spec = {
          kind: "corrupt-snapshot",
          snapshot: snapshot.id,
          mode,
          ...(snapshot.region ? { region: snapshot.region } : {}),
        };
        const out = await admin<{ id: string }>(target, "POST", "/faults", spec);
        process.stdout.write(
          `fault ${out.id} added: snapshot ${snapshot.id} ${mode === "rows" ? "loses rows" : "cannot be restored"}\n`,
        );
      }
      return 0;
    }
    case "add": {
      const str = (value: unknown) => (typeof value === "string" ? value : undefined);
      const match = {
        service: str(options.service),
        operation: str(options.operation),
        region: str(options.region),
      };
      if (!match.service) throw new UsageError("fault add needs --service (e.g. RDS, DynamoDB, EKS)");
      const times = options.times === undefined ? undefined : Number(options.times);
      let spec: Record<string, unknown>;
      if (options.throttle !== undefined)
        spec = { kind: "throttle", ...match, times: Number(options.throttle) };
      else if (typeof options.error === "string") {
        spec = { kind: "error", ...match, error: options.error, message: str(options.message), times };
      } else if (options.latency !== undefined) {
        spec = { kind: "latency", ...match, ms: parseDuration(String(options.latency)), times };
      } else throw new UsageError("fault add needs one of --throttle N, --error NAME, --latency DURATION");
      const out = await admin<{ id: string }>(target, "POST", "/faults", spec);
      process.stdout.write(`fault ${out.id} added\n`);
      return 0;
    }
    default:
      throw new UsageError(
        "usage: cplane fault list | clear | region-down REGION | region-up REGION | corrupt-snapshot SNAPSHOT [--mode rows|unrestorable] |\n" +
          "       add --service S [--operation O] [--region R] (--throttle N | --error NAME [--times N] | --latency 2s)",
      );
  }
}

/** What a fault does to the calls it matches, in a few words. */
function effect(fault: ActiveFault): string {
  switch (fault.kind) {
    case "throttle":
      return fault.error ?? "the service's throttling error";
    case "error":
      return fault.message ? `${fault.error}: ${fault.message}` : fault.error;
    case "latency":
      return `+${fault.ms} ms`;
    case "region-down":
      return "every call to the region fails";
    case "corrupt-snapshot":
      return `snapshot ${fault.snapshot}: ${fault.mode === "rows" ? "rows missing after restore" : "restore fails"}`;
  }
}

/**
 * Clears the saved local state (.cplane/ or --data-dir). Refuses while a runtime is running on the
 * endpoint, whose in-memory state would be written back at its stop: stop it, or start it with --fresh.
 */
export async function reset(target: Target, dataDir: string): Promise<number> {
  const running = await admin(target, "GET", "/clock").then(
    () => true,
    (error: unknown) => {
      // Only a runtime that is not there lets the reset go on; any other answer is a reason to stop.
      if (error instanceof RuntimeUnreachableError) return false;
      throw error;
    },
  );
  if (running) {
    throw new UsageError(
      `a runtime is running at ${target.endpoint}: stop it first, or start it with --fresh`,
    );
  }
  // A runtime on another port holds the directory just the same.
  await assertDataDirFree(dataDir);
  if (!existsSync(dataDir)) {
    process.stdout.write(`nothing to clear: ${dataDir} does not exist\n`);
    return 0;
  }
  // Only ever a directory the runtime wrote: a mistyped --data-dir must not delete something else.
  if (
    !["cloud", "clock.json", "executions.json", "runtime.lock"].some((entry) =>
      existsSync(join(dataDir, entry)),
    )
  ) {
    throw new UsageError(`${dataDir} does not look like a cplane data directory; nothing was deleted`);
  }
  await rm(dataDir, { recursive: true, force: true });
  process.stdout.write(
    `cleared ${dataDir}: executions, events, cloud resources and tenants start from nothing\n`,
  );
  return 0;
}

/**
 * A deployed stage has no admin API: read its registry table with the caller's credentials. Imported
 * here, not at the top: the handlers' modules set up Powertools on import, and `cplane start` must load
 * them only after the runtime has given them its Lambda-like environment (quiet logs, no metrics).
 */
async function deployedTenants(target: Target): Promise<TenantSummary[]> {
  const { DynamoDBClient } = await import("@aws-sdk/client-dynamodb");
  const { listTenants, tenantSummary } = await import("../../../functions/tenant/lib/registry.ts");
  const client = new DynamoDBClient({ region: target.region });
  return (await listTenants({ client, tableName: target.tenantTable })).map(tenantSummary);
}

export async function tenants(target: Target, action: string, options: { json?: boolean }): Promise<number> {
  if (action !== "list") throw new UsageError("usage: cplane tenants list [--json]");
  const listed =
    target.kind === "aws"
      ? await deployedTenants(target)
      : (await admin<{ tenants: TenantSummary[] }>(target, "GET", "/tenants")).tenants;
  if (options.json) printJson(listed);
  else {
    printTable([
      ["SLUG", "TIER", "STATUS", "REGION", "TENANT ID", "UPDATED", "LEFT IN"],
      ...listed.map((t) => [
        t.slug,
        t.tier,
        t.status,
        t.region ?? "-",
        t.tenantId,
        t.updatedAt ?? "-",
        // An offboarding's leftovers, per region that did not answer: the readiness run removes them.
        [...new Set((t.leftovers ?? []).map((l) => l.region))].join(" ") || "-",
      ]),
    ]);
  }
  return 0;
}
