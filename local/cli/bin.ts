#!/usr/bin/env node
/**
 * The `cplane` CLI. Every command but `start` talks to a running control plane through the AWS SDK:
 * the local runtime by default, a deployed stage with `--target aws --region R --stage S`.
 */
import { parseArgs } from "node:util";
import { dispatch } from "./commands/dispatch.ts";
import { UsageError } from "./target.ts";

const HELP = `cplane — the control plane's CLI

  cplane start [--port 4600] [--speed real|instant|manual|<factor>] [--data-dir .cplane] [--fresh] [--fleet N]
  cplane run <workflow> --input <file|json> [--name N] [--follow]
  cplane executions list [workflow] | describe ARN | history ARN | stop ARN | redrive ARN
  cplane tasks list | approve|reject APPROVAL_ID --reason WHY [--as NAME]
                    | approve TOKEN [--output JSON] | reject TOKEN [--error E --cause C]
  cplane events put <file|json|sample>... [--no-validate] | events list [--bus cplane|default] | events samples
  cplane rules list
  cplane schedules list | trigger NAME
  cplane tenants list
  cplane reports list [workflow] [--limit N] [--next TOKEN] | show <execution> [--json]
  cplane cloud describe
  cplane fault list | clear | region-down R | region-up R | add --service S [--operation O] (--throttle N | --error E | --latency 2s)
  cplane clock | clock advance 10m
  cplane reset

Global: --target local|aws, --region R, --stage S, --endpoint URL (default http://127.0.0.1:4600), --json
`;

/** Options that take a value; every other `--flag` is a switch. */
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
] as const;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: false,
    options: {
      help: { type: "boolean", short: "h" },
      json: { type: "boolean" },
      follow: { type: "boolean", short: "f" },
      fresh: { type: "boolean" },
      // events put: send a detail its contract refuses, as EventBridge itself would accept it
      "no-validate": { type: "boolean" },
      ...Object.fromEntries(STRING_OPTIONS.map((name) => [name, { type: "string" as const }])),
    },
  });
  const [command, ...rest] = positionals;
  if (!command || values.help || command === "help") {
    process.stdout.write(HELP);
    return command || values.help ? 0 : 2;
  }
  return dispatch(command, rest, values);
}

// `cplane ... | head` closes stdout early: that is the reader's choice, not an error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`cplane: ${error.message}\n`);
      process.exitCode = 2;
      return;
    }
    const e = error as { name?: string; message?: string };
    process.stderr.write(`cplane: ${e.name ?? "Error"}: ${e.message ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
