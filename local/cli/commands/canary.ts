/**
 * `cplane canary abort|promote|pause|resume <service>`: a person's command to the service's running
 * canary; `cplane traffic list|set`: the local traffic scenario, to make a release behave badly (or well).
 */
import { printJson, printTable } from "../io.ts";
import { admin, type Target, UsageError } from "../target.ts";
import { parseDuration } from "./local.ts";

const COMMANDS = ["abort", "promote", "pause", "resume"];
const str = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

export async function canary(
  target: Target,
  action: string,
  args: string[],
  options: Record<string, unknown>,
): Promise<number> {
  const service = args[0];
  if (!COMMANDS.includes(action) || !service || args.length > 1)
    throw new UsageError(
      "usage: cplane canary abort|promote|pause|resume SERVICE [--reason WHY] [--as NAME]",
    );
  const out = await admin<{ status: string; executionArn: string | null }>(
    target,
    "POST",
    `/canary/${service}/${action}`,
    {
      ...(str(options.reason) ? { reason: str(options.reason) } : {}),
      ...(str(options.as) ? { as: str(options.as) } : {}),
    },
  );
  if (options.json === true) printJson(out);
  else
    process.stdout.write(
      out.status === "delivered"
        ? `${action}: sent to ${out.executionArn}; it acts now\n`
        : `${action}: kept for ${out.executionArn}; it acts at its next analysis wait\n`,
    );
  return 0;
}

/** A rate given as 0.05 or 5%. */
function rate(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = text.endsWith("%") ? Number(text.slice(0, -1)) / 100 : Number(text);
  if (!Number.isFinite(value) || value < 0 || value > 1)
    throw new UsageError(`--${name} takes a rate between 0 and 1 (or a percentage): got ${text}`);
  return value;
}

export async function traffic(
  target: Target,
  action: string,
  options: Record<string, unknown>,
): Promise<number> {
  if (action === "list" || action === "") {
    const out = await admin<{ services: Record<string, { services?: Record<string, unknown>[] }> }>(
      target,
      "GET",
      "/traffic",
    );
    if (options.json === true) {
      printJson(out.services);
      return 0;
    }
    const rows: string[][] = [];
    for (const [region, kinds] of Object.entries(out.services)) {
      for (const s of kinds.services ?? []) {
        const versions = {
          ...((s.versions ?? {}) as Record<string, Record<string, unknown>>),
          ...((s.releases ?? {}) as Record<string, Record<string, unknown>>),
        };
        for (const [version, b] of Object.entries(versions)) {
          const last = b.lastMinute as { share?: number; requests?: number; errors?: number } | undefined;
          rows.push([
            region,
            String(s.service),
            version,
            String(b.requestsPerMinute ?? ""),
            String(b.errorRate ?? ""),
            String(b.latencyP99Ms ?? ""),
            String(b.businessSuccessRate ?? ""),
            last
              ? `${Math.round((last.share ?? 0) * 100)}% ${last.requests ?? 0} req ${last.errors ?? 0} err`
              : "",
          ]);
        }
      }
    }
    printTable([
      ["REGION", "SERVICE", "VERSION", "REQ/MIN", "ERROR RATE", "P99 MS", "BUSINESS OK", "LAST MINUTE"],
      ...rows,
    ]);
    return 0;
  }
  if (action !== "set")
    throw new UsageError(
      "usage: cplane traffic list [--json] | traffic set --service S --version V [--error-rate 0.05] [--p99 800ms] [--business-success 0.9] [--requests-per-minute N]",
    );
  const service = str(options.service);
  const version = str(options.version);
  if (!service || !version)
    throw new UsageError("traffic set needs --service S and --version V (stable, canary or an image tag)");
  const p99 = str(options.p99);
  const rpm = str(options["requests-per-minute"]);
  if (rpm !== undefined && !(Number(rpm) >= 0))
    throw new UsageError(`--requests-per-minute takes a number: got ${rpm}`);
  const setting = {
    service,
    version,
    ...(rate("error-rate", str(options["error-rate"])) !== undefined
      ? { errorRate: rate("error-rate", str(options["error-rate"])) }
      : {}),
    ...(p99 !== undefined ? { latencyP99Ms: parseDuration(p99) } : {}),
    ...(rate("business-success", str(options["business-success"])) !== undefined
      ? { businessSuccessRate: rate("business-success", str(options["business-success"])) }
      : {}),
    ...(rpm !== undefined ? { requestsPerMinute: Number(rpm) } : {}),
  };
  const out = await admin<{ regions: string[] }>(target, "POST", "/traffic", setting);
  if (options.json === true) printJson(out);
  else process.stdout.write(`${service} ${version}: set in ${out.regions.join(", ")}\n`);
  return 0;
}
