/** Routes a command line to its command; global options pick the target. */
import { join } from "node:path";
import { resolveTarget, type Target, UsageError } from "../target.ts";
import { canary, traffic } from "./canary.ts";
import { dr } from "./dr.ts";
import { listEvents, listRules, putEvents, sampleNames, schedules } from "./events.ts";
import { iam } from "./iam.ts";
import { clock, cloud, fault, reset, tenants } from "./local.ts";
import { reports } from "./reports.ts";
import { executions, runWorkflow, tasks } from "./workflows.ts";

type Options = Record<string, string | boolean | string[] | undefined>;

const str = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

export async function dispatch(command: string, args: string[], options: Options): Promise<number> {
  if (command === "start") {
    const { refuseNpmTakenOptions, start } = await import("../../start.ts");
    refuseNpmTakenOptions(process.env);
    if (args.length > 0) {
      throw new UsageError(
        `start takes options, not arguments (got ${args.join(" ")}); through npm, options go after --: npm start -- --port 4700`,
      );
    }
    return start({
      port: str(options.port),
      speed: str(options.speed),
      dataDir: str(options["data-dir"]),
      fresh: options.fresh === true,
      fleet: str(options.fleet),
    });
  }
  // Offline: the catalogs' roles as the local runtime creates them.
  if (command === "iam") {
    const [action = "", ...more] = args;
    return iam(action, more, options);
  }
  const target: Target = resolveTarget({
    target: str(options.target),
    region: str(options.region),
    stage: str(options.stage),
    endpoint: str(options.endpoint),
  });
  const json = options.json === true;
  const [action = "", ...more] = args;
  switch (command) {
    case "run":
      return runWorkflow(target, action, {
        input: str(options.input),
        name: str(options.name),
        follow: options.follow === true,
        json,
      });
    case "executions":
      return executions(target, action, more, options);
    case "tasks":
      return tasks(target, action, more, options);
    case "events":
      if (action === "samples") {
        process.stdout.write(`${sampleNames().join("\n")}\n`);
        return 0;
      }
      if (action === "list")
        return listEvents(target, { json, bus: str(options.bus), limit: str(options.limit) });
      if (action !== "put") {
        throw new UsageError(
          "usage: cplane events put <file|json|sample>... [--no-validate] | events list [--bus B] [--limit N] | events samples",
        );
      }
      return putEvents(target, more, { json, validate: options["no-validate"] !== true });
    case "rules":
      return listRules(target, { json });
    case "schedules":
      return schedules(target, action, more, { json });
    case "tenants":
      return tenants(target, action || "list", { json });
    case "dr":
      return dr(target, action, { json, refresh: options.refresh === true });
    case "reports":
      return reports(target, action, more, { json, limit: str(options.limit), next: str(options.next) });
    case "cloud":
      return cloud(target, action || "describe", { json });
    case "fault":
      return fault(target, action, more, options);
    case "clock":
      return clock(target, action, more);
    case "canary":
      return canary(target, action, more, options);
    case "traffic":
      if (more.length > 0)
        throw new UsageError(`traffic takes options, not arguments (got ${more.join(" ")})`);
      return traffic(target, action, options);
    case "reset":
      if (action) throw new UsageError(`reset takes no arguments (got ${args.join(" ")}); see cplane --help`);
      return reset(target, str(options["data-dir"]) ?? join(process.cwd(), ".cplane"));
    default:
      throw new UsageError(`unknown command "${command}"; see cplane --help`);
  }
}
