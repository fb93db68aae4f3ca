/**
 * The `cplane` command line: parses it, runs the command, and turns every error into a message on
 * stderr and a non-zero exit code (2 for a command line or input refused before anything happened,
 * 1 for anything else). No command reports success after an error.
 */
import { parseArgs } from "node:util";
import { dispatch } from "./commands/dispatch.ts";
import { UsageError } from "./target.ts";

export const HELP = `cplane — the control plane's CLI

  cplane start [--port 4600] [--speed real|instant|manual|<factor>] [--data-dir .cplane] [--fresh] [--fleet N]
  cplane run <workflow> --input <file|json> [--name N] [--follow] [--json]
  cplane executions list [workflow] [--status S] [--json] | describe ARN | history ARN [--json] | stop ARN [--error E --cause C] | redrive ARN
  cplane tasks list [--json] | approve|reject APPROVAL_ID --reason WHY [--as NAME] | approve TOKEN [--output JSON] | reject TOKEN [--error E --cause C]
  cplane events put <file|json|sample>... [--no-validate] [--json] | events list [--bus cplane|default] [--limit N] [--json] | events samples
  cplane rules list [--json]
  cplane schedules list [--json] | trigger NAME
  cplane tenants list [--json]
  cplane dr status [--refresh] [--json]
  cplane reports list [workflow] [--limit N] [--next T] | reports show <execution> [--json]
  cplane cloud describe [--json]
  cplane fault list [--json] | clear | region-down R | region-up R | corrupt-snapshot (SNAPSHOT | --all-of CLUSTER) [--region R] [--mode rows|unrestorable] | add --service S [--operation O] [--region R] (--throttle N | --error NAME [--message M] [--times N] | --latency 2s [--times N])
  cplane canary abort|promote|pause|resume SERVICE [--reason WHY] [--as NAME] [--json]
  cplane traffic list [--json] | set --service S --version V [--error-rate 0.05] [--p99 800ms] [--business-success 0.9] [--requests-per-minute N]
  cplane clock | clock advance 10m | clock speed real|instant|manual|<factor>
  cplane iam explain <function|workflow|rule|schedule> <operation> [--resource ARN] [--context key=value]... [--json]
  cplane reset [--data-dir .cplane]

Where commands go (every command but start and reset):
  --endpoint URL        the local runtime (default http://127.0.0.1:4600)
  CPLANE_ENDPOINT=URL   the same, for every command of a shell
  CPLANE_PORT=N         a local runtime on another port (http://127.0.0.1:N); also the port start listens on
  --target aws --region R --stage S   a deployed stage (AWS_REGION and CPLANE_STAGE also work), with your AWS credentials

--json prints the result as JSON. Durations: 90s, 10m, 2h, 1d, or combined (1h30m).
Exit codes: 0 done, 1 failed, 2 refused (bad command line or input). --help (-h) prints this.
`;

/** Options that take a value; every other option is a switch. */
const STRING_OPTIONS = [
  "target",
  "region",
  "stage",
  "endpoint",
  "input",
  "name",
  "port",
  "speed",
  "data-dir",
  "status",
  "error",
  "cause",
  "output",
  "service",
  "operation",
  "throttle",
  "times",
  "latency",
  "message",
  "bus",
  "limit",
  "reason",
  "as",
  "next",
  "fleet",
  "mode",
  "version",
  "error-rate",
  "p99",
  "business-success",
  "requests-per-minute",
  "resource",
  "all-of",
] as const;

export const OPTIONS = {
  help: { type: "boolean", short: "h" },
  json: { type: "boolean" },
  follow: { type: "boolean", short: "f" },
  fresh: { type: "boolean" },
  // dr status: assess readiness now rather than show the last stored
  refresh: { type: "boolean" },
  // events put: send a detail its contract refuses, as EventBridge itself would accept it
  "no-validate": { type: "boolean" },
  // iam explain: a condition key of the request, key=value, repeatable
  context: { type: "string", multiple: true },
  ...Object.fromEntries(STRING_OPTIONS.map((name) => [name, { type: "string" as const }])),
} as const;

function parse(argv: string[]) {
  try {
    return parseArgs({ args: argv, allowPositionals: true, strict: true, options: OPTIONS });
  } catch (error) {
    // node:util's messages name the option and say what is wrong with it.
    const message = (error as Error).message.replace(/\. To specify a positional argument.*$/s, "");
    throw new UsageError(`${message}; see cplane --help`);
  }
}

export async function cli(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = parse(argv);
    const [command, ...rest] = positionals;
    if (!command || values.help || command === "help") {
      process.stdout.write(HELP);
      return command || values.help ? 0 : 2;
    }
    return await dispatch(command, rest, values);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`cplane: ${error.message}\n`);
      return 2;
    }
    const e = error as { name?: string; message?: string };
    process.stderr.write(`cplane: ${e.name ?? "Error"}: ${e.message ?? String(error)}\n`);
    return 1;
  }
}
