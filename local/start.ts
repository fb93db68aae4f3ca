/**
 * `cplane start` (what `npm start` runs): the whole control plane on this machine, listening on
 * 127.0.0.1:4600 (CPLANE_PORT to change) for the AWS SDK and CLI, until Ctrl-C.
 */

import { createServer as createNetServer } from "node:net";
import { join } from "node:path";
import { DEFAULT_PORT, UsageError } from "./cli/target.ts";
import { parseClockMode } from "./clock/clock.ts";
import { consoleRoutes } from "./console/routes.ts";
import { assertDataDirFree } from "./persistence/lock.ts";
import { createRuntime, type Runtime, stateMachineName } from "./runtime.ts";
import { adminRoutes } from "./server/admin.ts";
import { type LocalServer, listen } from "./server/http.ts";

export interface StartOptions {
  readonly port?: string;
  readonly speed?: string;
  readonly dataDir?: string;
  readonly fresh?: boolean;
  /** Tenants to onboard at start (`--fleet N`): a demo fleet for the backup and failover walkthroughs. */
  readonly fleet?: string;
}

/** The largest `--fleet`: onboardings beyond a few hundred say more about the machine than the runtime. */
const MAX_FLEET = 1_000;
const FLEET_TIERS = ["basic", "standard", "premium"] as const;

/** `--fleet N`, checked before anything starts. */
function parseFleet(text: string | undefined): number {
  if (text === undefined) return 0;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > MAX_FLEET) {
    throw new UsageError(`--fleet must be a number of tenants from 0 to ${MAX_FLEET}; got ${text}`);
  }
  return n;
}

/**
 * Tenants onboarding at once while a fleet is built. Fifty at once complete on 2 cores (bench/README.md),
 * but at speed 60 every onboarding's 3 simulated hours run out in 3 real minutes, and a loaded laptop
 * would spend them queueing: a demo fleet gains nothing from starting everything together.
 */
export const FLEET_CONCURRENCY = 8;

/**
 * Onboards `count` tenants (`fleet-001`...; tiers basic, standard, premium in turn), at most
 * `concurrency` at a time, as the tenant-onboarding workflow does for any tenant; tenants already
 * there from an earlier start join again. Resolves with the executions that did not succeed.
 */
export async function onboardFleet(
  runtime: Runtime,
  count: number,
  progress: (done: number, failed: number) => void = () => undefined,
  concurrency: number = FLEET_CONCURRENCY,
): Promise<{ arn: string; error?: string }[]> {
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new UsageError(`fleet concurrency must be a positive integer; got ${concurrency}`);
  const width = String(count).length;
  const suffix = Date.now().toString(36);
  let next = 0;
  let done = 0;
  const failed: { arn: string; error?: string }[] = [];
  const onboardNext = async (): Promise<void> => {
    for (let i = next++; i < count; i = next++) {
      const n = String(i + 1).padStart(Math.max(3, width), "0");
      const { executionArn } = runtime.engine.startExecution({
        stateMachineArn: runtime.stateMachineArn("tenant-onboarding"),
        name: `fleet-${n}-${suffix}`,
        input: JSON.stringify({
          name: `Fleet ${n}`,
          tier: FLEET_TIERS[i % FLEET_TIERS.length],
          adminEmail: `ops+fleet-${n}@example.com`,
        }),
      });
      const result = await runtime.engine.waitForExecution(executionArn);
      done++;
      if (result.status !== "SUCCEEDED")
        failed.push({ arn: executionArn, error: result.error ?? result.status });
      progress(done, failed.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, onboardNext));
  return failed;
}

/**
 * Builds a demo fleet (`onboardFleet`) on an instant clock when the runtime's clock flows: simulated
 * time then jumps only when nothing runs, so that a cluster's ten simulated minutes cost no wall time and
 * no onboarding's deadline runs out while a loaded machine queues its work (at speed 60, 50 onboardings
 * on a busy laptop all passed their 3 simulated hours: bench/README.md). The clock returns to its mode
 * afterwards, unless someone chose a speed meanwhile; the instant clock is never saved as the speed.
 */
export async function buildFleet(
  runtime: Runtime,
  count: number,
  progress?: (done: number, failed: number) => void,
): Promise<{ arn: string; error?: string }[]> {
  const before = runtime.clock.mode;
  const flows = before.kind === "scaled" || before.kind === "real";
  // Transient: a checkpoint meanwhile saves the chosen speed, not the instant clock of the build.
  if (flows) runtime.clock.setMode({ kind: "instant" }, { transient: true });
  try {
    return await onboardFleet(runtime, count, progress);
  } finally {
    if (flows && runtime.clock.mode.kind === "instant") runtime.clock.setMode(before, { transient: true });
  }
}

/** The clock's speed when neither --speed nor the data directory names one: an hour a minute. */
export const DEFAULT_SPEED = "60";

/** What the banner says of where the speed came from. */
const SPEED_FROM: Record<Runtime["clockSpeedFrom"], string> = {
  option: "",
  saved: " (as the last run left it; --speed to choose)",
  default: "",
};

/** The options of `start`, as npm would take them for its own config when written before `--`. */
const START_OPTIONS = ["port", "speed", "data-dir", "fresh", "fleet"];

/**
 * `npm start --port 4700` gives the script no `--port`: npm takes it as its own config (npm_config_port)
 * and passes `4700` on as an argument. Say so instead of starting on the default port.
 */
export function refuseNpmTakenOptions(env: NodeJS.ProcessEnv): void {
  if (env.npm_lifecycle_event !== "start") return;
  const taken = START_OPTIONS.filter((name) => env[`npm_config_${name.replace(/-/g, "_")}`] !== undefined);
  if (taken.length > 0) {
    throw new UsageError(
      `npm took ${taken.map((name) => `--${name}`).join(", ")} for itself: write options after --, e.g. npm start -- --port 4700`,
    );
  }
}

export async function serve(runtime: Runtime, port: number): Promise<LocalServer> {
  return listen({
    port,
    services: runtime.services,
    // The console's page and files beside the admin API; the same listener guards both.
    routes: [
      ...adminRoutes(runtime),
      ...consoleRoutes({ regions: [runtime.region, runtime.secondaryRegion] }),
    ],
  });
}

/** Fails before anything is created when the port is not a port or is taken. */
async function checkPort(text: string): Promise<number> {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new UsageError(`--port must be a TCP port (1-65535); got ${text}`);
  }
  await new Promise<void>((resolve, reject) => {
    const probe = createNetServer();
    probe.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "EADDRINUSE"
          ? new UsageError(
              `port ${port} is in use: is a runtime already running? (--port or CPLANE_PORT to choose another)`,
            )
          : error,
      ),
    );
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve()));
  });
  return port;
}

/** What the last run left to this one: nothing, executions a stop cut off, or a crash to recover from. */
function describeResumed(runtime: Runtime): string {
  const count = runtime.resumed.length;
  if (runtime.recoveredFrom) {
    return `the last runtime (pid ${runtime.recoveredFrom.pid}) ended without a clean stop; ${count} execution(s) redriven from its last checkpoint`;
  }
  return count === 0 ? "nothing" : `${count} execution(s) the last stop cut off`;
}

/** The CLI finds a runtime on the default port by itself; on another port it needs to be told. */
function cliEnvironment(port: number): string {
  return port === DEFAULT_PORT
    ? ""
    : `  export CPLANE_PORT=${port}          # the CLI's commands go to this runtime\n`;
}

/** What `start` prints once it serves: what it loaded, and commands that reach this runtime. */
export function banner(runtime: Runtime, url: string, port: number, dataDir: string): string {
  const workflows = runtime.engine
    .listStateMachines()
    .stateMachines.map((sm) => sm.name.replace(stateMachineName(""), ""));
  const mode = runtime.clock.mode;
  const loaded = (items: readonly { name: string; loaded: boolean; reason?: string }[]) =>
    items.map((i) => `${i.name}${i.loaded ? "" : ` (not loaded: ${i.reason})`}`).join("\n               ") ||
    "none";
  return `cplane local runtime on ${url}
  clock        ${mode.kind === "scaled" ? `${mode.factor}x real time` : mode.kind}${SPEED_FROM[runtime.clockSpeedFrom]} (simulated ${runtime.clock.date().toISOString()})
  regions      ${runtime.region} (primary), ${runtime.secondaryRegion} (secondary)
  workflows    ${workflows.join(", ") || "none yet"}
  rules        ${loaded(runtime.rules.map((r) => ({ ...r, name: r.rule })))}
  schedules    ${loaded(runtime.schedules.map((s) => ({ ...s, name: s.schedule })))}
  data         ${dataDir} (checkpointed while running)
  resumed      ${describeResumed(runtime)}
  webhook      POST ${url}/webhooks/git (GitHub or GitLab; secret cplane/local/git-webhook)
  iam          ${runtime.iam ? "on: each handler's AWS calls are authorized as its function's role (CPLANE_IAM=off turns it off)" : "OFF (CPLANE_IAM=off): handlers' AWS calls are not authorized; a missing permission shows only on AWS"}

Try, in another terminal:
${cliEnvironment(port)}  npx cplane events samples
  npx cplane events put tenant-requested
  npx cplane executions list
  aws --endpoint-url ${url} stepfunctions list-state-machines

Ctrl-C stops it.
`;
}

export async function start(options: StartOptions): Promise<number> {
  const fleet = parseFleet(options.fleet);
  const dataDir = options.dataDir ?? join(process.cwd(), ".cplane");
  // Chosen for this start (--speed, or CPLANE_SPEED in the shell): wins over the speed the data
  // directory saved. Chosen by nobody: the saved one, else the default.
  const speed = options.speed ?? process.env.CPLANE_SPEED;
  try {
    if (speed !== undefined) parseClockMode(speed);
  } catch (error) {
    // Refused like any other bad option: before anything is created, with exit code 2.
    throw new UsageError(`--speed (or CPLANE_SPEED): ${(error as Error).message}`);
  }
  // Another runtime on this directory is also the likelier reason for a taken port: say so first.
  await assertDataDirFree(dataDir);
  const port = await checkPort(options.port ?? process.env.CPLANE_PORT ?? String(DEFAULT_PORT));
  const runtime = await createRuntime({
    speed,
    defaultSpeed: DEFAULT_SPEED,
    dataDir,
    fresh: options.fresh,
    demoFleet: true,
  });
  const server = await serve(runtime, port);
  process.stdout.write(banner(runtime, server.url, port, dataDir));
  if (fleet > 0) {
    const started = performance.now();
    let said = 0;
    process.stdout.write(
      `fleet: onboarding ${fleet} tenants (fleet-001..., basic/standard/premium), ${FLEET_CONCURRENCY} at a time, on an instant clock (back to --speed when done)\n`,
    );
    void buildFleet(runtime, fleet, (done, failed) => {
      // A line per tenth of the fleet, not per tenant.
      if (done < fleet && done - said < Math.max(1, Math.ceil(fleet / 10))) return;
      said = done;
      process.stdout.write(`fleet: ${done}/${fleet} done${failed > 0 ? `, ${failed} failed` : ""}\n`);
    }).then(
      (failed) =>
        process.stdout.write(
          `fleet: ${fleet - failed.length} of ${fleet} tenants onboarded in ${((performance.now() - started) / 1000).toFixed(0)} s${
            failed.length > 0 ? `; failed: ${failed.map((f) => `${f.arn} (${f.error})`).join(", ")}` : ""
          }\n`,
        ),
      (error: unknown) => process.stderr.write(`fleet: ${(error as Error).message}\n`),
    );
  }
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  process.stdout.write("\nstopping…\n");
  await server.close();
  await runtime.close();
  process.stdout.write("stopped\n");
  return 0;
}
