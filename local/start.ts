/**
 * `cplane start` (what `npm start` runs): the whole control plane on this machine, listening on
 * 127.0.0.1:4600 (CPLANE_PORT to change) for the AWS SDK and CLI, until Ctrl-C.
 */

import { createServer as createNetServer } from "node:net";
import { join } from "node:path";
import { DEFAULT_PORT, UsageError } from "./cli/target.ts";
import { assertDataDirFree } from "./persistence/lock.ts";
import { createRuntime, type Runtime } from "./runtime.ts";
import { adminRoutes } from "./server/admin.ts";
import { type LocalServer, listen } from "./server/http.ts";

export interface StartOptions {
  readonly port?: string;
  readonly speed?: string;
  readonly dataDir?: string;
  readonly fresh?: boolean;
}

export async function serve(runtime: Runtime, port: number): Promise<LocalServer> {
  return listen({
    port,
    services: runtime.services,
    routes: adminRoutes(runtime),
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

export async function start(options: StartOptions): Promise<number> {
  const dataDir = options.dataDir ?? join(process.cwd(), ".cplane");
  // Another runtime on this directory is also the likelier reason for a taken port: say so first.
  await assertDataDirFree(dataDir);
  const port = await checkPort(options.port ?? process.env.CPLANE_PORT ?? String(DEFAULT_PORT));
  const runtime = await createRuntime({
    speed: options.speed ?? process.env.CPLANE_SPEED ?? "60",
    dataDir,
    fresh: options.fresh,
    demoFleet: true,
  });
  const server = await serve(runtime, port);
  const workflows = runtime.engine.listStateMachines().stateMachines.map((sm) => sm.name);
  process.stdout.write(`cplane local runtime on ${server.url}
  clock        ${runtime.clock.mode.kind === "scaled" ? `${runtime.clock.mode.factor}x real time` : runtime.clock.mode.kind} (simulated ${runtime.clock.date().toISOString()})
  regions      ${runtime.region} (primary), ${runtime.secondaryRegion} (secondary)
  workflows    ${workflows.join(", ") || "none yet"}
  rules        ${runtime.rules.map((r) => `${r.rule}${r.loaded ? "" : ` (not loaded: ${r.reason})`}`).join("\n               ")}
  data         ${dataDir} (checkpointed while running)
  resumed      ${describeResumed(runtime)}
  webhook      POST ${server.url}/webhooks/git (GitHub or GitLab; secret cplane/local/git-webhook)

Try, in another terminal:
  npx cplane events samples
  npx cplane events put tenant-requested
  npx cplane executions list
  aws --endpoint-url ${server.url} stepfunctions list-state-machines

Ctrl-C stops it.
`);
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
