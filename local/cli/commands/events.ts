/** `cplane events put`, `cplane rules list`, `cplane schedules ...`: the bus and the scheduler. */
import { existsSync, readdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ListRulesCommand, PutEventsCommand, type PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import { eventRegistry } from "../../../events/registry.ts";
import { printJson, printTable, readJsonArgument } from "../io.ts";
import { admin, type Target, UsageError } from "../target.ts";

/** An event's detail does not match its registered contract (or no contract is registered); nothing was sent. */
export class InvalidEventError extends UsageError {
  override name = "InvalidEventError";
}

const SAMPLES = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "events", "samples");

export function sampleNames(): string[] {
  return existsSync(SAMPLES)
    ? readdirSync(SAMPLES)
        .filter((f) => f.endsWith(".json"))
        .map((f) => basename(f, ".json"))
        .sort()
    : [];
}

/** A sample by name (`cplane.tenants.tenant-requested`, or just `tenant-requested`), else a file/JSON. */
function loadEvent(reference: string): unknown {
  const names = sampleNames();
  const exact = names.find((n) => n === reference) ?? names.find((n) => n.endsWith(`.${reference}`));
  if (exact) return readJsonArgument(join(SAMPLES, `${exact}.json`), reference);
  const inline = /^\s*[[{]/.test(reference);
  if (!inline && !existsSync(reference)) {
    const near = names.filter((n) => n.includes(reference));
    throw new UsageError(
      `${reference} is not a sample, a file or inline JSON; ${
        near.length > 0 ? `samples like it: ${near.join(", ")}` : "`cplane events samples` lists the samples"
      }`,
    );
  }
  return readJsonArgument(reference, reference);
}

/** Accepts an event envelope (`detail-type`, `detail`) or a PutEvents entry (`DetailType`, `Detail`). */
export function toEntry(event: unknown, target: Target): PutEventsRequestEntry {
  if (event === null || typeof event !== "object") throw new UsageError("an event must be a JSON object");
  const e = event as Record<string, unknown>;
  if (typeof e.DetailType === "string") {
    return {
      ...(e as PutEventsRequestEntry),
      EventBusName: (e.EventBusName as string | undefined) ?? busFor(String(e.Source), target),
    };
  }
  if (typeof e["detail-type"] !== "string" || typeof e.source !== "string") {
    throw new UsageError(
      "an event needs source and detail-type (an envelope) or Source and DetailType (an entry)",
    );
  }
  return {
    Source: e.source,
    DetailType: e["detail-type"],
    Detail: JSON.stringify(e.detail ?? {}),
    Resources: Array.isArray(e.resources) ? (e.resources as string[]) : undefined,
    EventBusName: busFor(e.source, target),
  };
}

/** Our sources go to our bus; AWS services' events to the default bus, where AWS puts them. */
function busFor(source: string, target: Target): string {
  return source.startsWith("aws.") ? "default" : target.busName;
}

/**
 * Why an entry's detail is refused: no contract for its source and detail-type, a detail that is not
 * JSON, or each issue its contract finds. Empty when the contract accepts it.
 */
export function contractIssues(entry: PutEventsRequestEntry): string[] {
  const source = entry.Source ?? "";
  const detailType = entry.DetailType ?? "";
  if (!eventRegistry.has(source, detailType)) {
    return [`no contract is registered for "${detailType}" from ${source} (events/registry.ts)`];
  }
  let detail: unknown;
  try {
    detail = JSON.parse(entry.Detail ?? "{}");
  } catch (error) {
    return [`detail is not valid JSON: ${(error as Error).message}`];
  }
  const parsed = eventRegistry.get(source, detailType).detail.safeParse(detail);
  return parsed.success
    ? []
    : parsed.error.issues.map((issue) => `${["detail", ...issue.path].join(".")}: ${issue.message}`);
}

/** A sample's or file's name as given; inline JSON by its position. */
const label = (reference: string | undefined, i: number) =>
  reference === undefined || reference.trimStart().startsWith("{") ? `event ${i + 1}` : reference;

/**
 * Puts events on the bus, each checked against its registered contract first: one invalid event and
 * nothing is sent (InvalidEventError, exit 2). `validate: false` (`--no-validate`) sends them as they
 * are, as EventBridge itself would accept them, to see what a bad publisher causes.
 */
export async function putEvents(
  target: Target,
  references: string[],
  options: { json?: boolean; validate?: boolean },
): Promise<number> {
  if (references.length === 0) {
    throw new UsageError(
      `usage: cplane events put <file|json|sample>... [--no-validate]; samples: ${sampleNames().join(", ")}`,
    );
  }
  const entries = references.map((ref) => toEntry(loadEvent(ref), target));
  if (options.validate !== false) {
    const refused = entries.flatMap((entry, i) => {
      const issues = contractIssues(entry);
      return issues.length === 0
        ? []
        : [`${label(references[i], i)} (${entry.Source} / ${entry.DetailType}):\n  ${issues.join("\n  ")}`];
    });
    if (refused.length > 0) {
      throw new InvalidEventError(
        `refused ${refused.length} of ${entries.length} events; nothing was sent (--no-validate sends them anyway):\n${refused.join("\n")}`,
      );
    }
  }
  const out = await target.events.send(new PutEventsCommand({ Entries: entries }));
  if (options.json) printJson({ FailedEntryCount: out.FailedEntryCount, Entries: out.Entries });
  else {
    out.Entries?.forEach((entry, i) => {
      const what = `${entries[i]?.Source} / ${entries[i]?.DetailType}`;
      process.stdout.write(
        entry.EventId
          ? `put ${what}: ${entry.EventId}\n`
          : `FAILED ${what}: ${entry.ErrorCode} ${entry.ErrorMessage}\n`,
      );
    });
  }
  return out.FailedEntryCount ? 1 : 0;
}

export async function listRules(target: Target, options: { json?: boolean }): Promise<number> {
  const rows: string[][] = [["BUS", "NAME", "STATE", "PATTERN"]];
  const all: unknown[] = [];
  for (const bus of [target.busName, "default"]) {
    const out = await target.events.send(new ListRulesCommand({ EventBusName: bus }));
    for (const rule of out.Rules ?? []) {
      all.push(rule);
      rows.push([bus, rule.Name ?? "", rule.State ?? "", rule.EventPattern ?? rule.ScheduleExpression ?? ""]);
    }
  }
  if (options.json) printJson(all);
  else printTable(rows);
  return 0;
}

interface ScheduleView {
  readonly name: string;
  readonly expression?: string;
  readonly timezone: string;
  readonly state?: string;
  readonly workflow: string;
  readonly loaded: boolean;
  readonly nextRun?: string;
  readonly reason?: string;
  readonly lastRun?: { invokedAt: string; attempt: number; ok: boolean; error?: string };
}

/** `ok <time>`, or `failed <time> (attempt N): why` for a run that did not start its target. */
function lastRun(s: ScheduleView): string {
  const run = s.lastRun;
  if (!run) return "-";
  if (run.ok) return `ok ${run.invokedAt}`;
  const why = run.error ?? "unknown error";
  return `failed ${run.invokedAt} (attempt ${run.attempt}): ${why.length > 100 ? `${why.slice(0, 99)}…` : why}`;
}

/** Every schedule of events/schedules.ts; one whose workflow is not built yet says so instead of a next run. */
export async function schedules(target: Target, action: string, args: string[], options: { json?: boolean }) {
  if (action === "list") {
    const out = await admin<{ schedules: ScheduleView[]; metrics?: Record<string, number> }>(
      target,
      "GET",
      "/schedules",
    );
    if (options.json) printJson(out.schedules);
    else {
      printTable([
        ["NAME", "WORKFLOW", "EXPRESSION", "TIMEZONE", "STATE", "NEXT RUN", "LAST RUN"],
        ...out.schedules.map((s) => [
          s.name,
          s.workflow,
          s.expression ?? "-",
          s.timezone,
          s.state ?? "-",
          !s.loaded
            ? `not loaded: ${s.reason ?? "unknown reason"}`
            : s.state === "DISABLED"
              ? "- (disabled)"
              : (s.nextRun ?? "none"),
          lastRun(s),
        ]),
      ]);
      const errors = out.metrics?.TargetErrorCount ?? 0;
      if (errors > 0) {
        const m = out.metrics ?? {};
        process.stdout.write(
          `Scheduler: ${m.InvocationAttemptCount} attempts, ${errors} failed (target errors), ${m.InvocationDroppedCount ?? 0} runs dropped, ${m.InvocationsSentToDeadLetterCount ?? 0} dead-lettered (AWS/Scheduler)\n`,
        );
      }
    }
    return 0;
  }
  if (action === "trigger") {
    const name = args[0];
    if (!name) throw new UsageError("usage: cplane schedules trigger NAME");
    const out = await admin<{ workflow?: string; executionArn?: string; started?: boolean; error?: string }>(
      target,
      "POST",
      `/schedules/${encodeURIComponent(name)}/trigger`,
    );
    if (out.started === false) {
      // Scheduler could not start it (its role may not, say): no execution exists to describe.
      process.stderr.write(
        `${name} fired, but it did not start ${out.workflow ?? "its workflow"}: ${out.error ?? "unknown error"}\n` +
          "  Scheduler retries it under the schedule's retry policy, then dead-letters it\n",
      );
      return 1;
    }
    process.stdout.write(
      `${name} fired: it starts ${out.workflow ?? "its workflow"} as ${out.executionArn ?? "-"}; see cplane executions describe ARN\n`,
    );
    return 0;
  }
  throw new UsageError("usage: cplane schedules list [--json] | trigger NAME");
}

interface LoggedEventView {
  readonly busName: string;
  readonly ingestedAt: number;
  readonly event: { id: string; source: string; "detail-type": string; time: string };
}

/** The bus's event log, newest last (`--bus cplane|default`, `--limit N`, default 50), and how much it holds. */
export async function listEvents(target: Target, options: { json?: boolean; bus?: string; limit?: string }) {
  const query = new URLSearchParams();
  if (options.bus) query.set("bus", options.bus);
  if (options.limit !== undefined) {
    const limit = Number(options.limit);
    if (!Number.isInteger(limit) || limit < 1) {
      throw new UsageError(`--limit must be a positive integer; got ${options.limit}`);
    }
    query.set("limit", String(limit));
  }
  const out = await admin<{
    events: LoggedEventView[];
    total: number;
    retention: { count: number; maxAgeMs: number };
  }>(target, "GET", `/events?${query}`);
  if (options.json) printJson(out.events);
  else {
    printTable([
      ["TIME", "BUS", "SOURCE", "DETAIL TYPE", "ID"],
      ...out.events.map((e) => [e.event.time, e.busName, e.event.source, e.event["detail-type"], e.event.id]),
    ]);
    const kept = `the log keeps the last ${out.retention.count} events of the last ${out.retention.maxAgeMs / 86_400_000} simulated days`;
    const more = out.events.length < out.total ? "; --limit N shows more" : "";
    process.stdout.write(
      `${out.events.length} of ${out.total} event(s)${options.bus ? ` on ${options.bus}` : ""}, newest last (${kept}${more})\n`,
    );
  }
  return 0;
}
