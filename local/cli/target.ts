/**
 * Where the CLI's commands go: the local runtime (default, `http://127.0.0.1:4600` or CPLANE_ENDPOINT)
 * or a deployed stage on AWS (`--target aws --region R --stage S`), through the same SDK clients.
 */
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { SFNClient } from "@aws-sdk/client-sfn";

export const DEFAULT_PORT = 4600;
export const LOCAL_ACCOUNT = "000000000000";

export class UsageError extends Error {
  override name = "UsageError";
}

/** Nothing answers at the local endpoint: the runtime is not running there (or stopped meanwhile). */
export class RuntimeUnreachableError extends Error {
  override name = "RuntimeUnreachableError";
  readonly endpoint: string;
  constructor(endpoint: string, options?: ErrorOptions & { reason?: string }) {
    super(
      `the local runtime does not answer at ${endpoint}${options?.reason ? ` (${options.reason})` : ""}: start it with \`npm start\`, or point the CLI at yours with --endpoint URL, CPLANE_ENDPOINT or CPLANE_PORT`,
      options,
    );
    this.endpoint = endpoint;
  }
}

/** The runtime failed a request of its admin API (a 5xx), or answered it with something else than JSON. */
export class RuntimeRequestError extends Error {
  override name = "RuntimeRequestError";
}

const CONNECTION_ERRORS = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EHOSTUNREACH",
  "ENOTFOUND",
  "EPIPE",
  "ETIMEDOUT",
]);

/** Whether an error (or its cause, as `fetch` wraps them) is a failure to reach the endpoint at all. */
export function isConnectionError(error: unknown): boolean {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (typeof e.code === "string" && CONNECTION_ERRORS.has(e.code)) return true;
    if (typeof e !== "object") return false;
  }
  return false;
}

/** A middleware for the local runtime's clients: "the runtime is not there" rather than a socket error. */
function explainUnreachable(endpoint: string) {
  return <Args, Output>(next: (args: Args) => Promise<Output>) =>
    async (args: Args): Promise<Output> => {
      try {
        return await next(args);
      } catch (error) {
        if (isConnectionError(error)) throw new RuntimeUnreachableError(endpoint, { cause: error });
        throw error;
      }
    };
}
const EXPLAIN = { step: "initialize", name: "cplaneExplainUnreachable" } as const;

export interface Target {
  readonly kind: "local" | "aws";
  readonly region: string;
  readonly stage: string;
  readonly endpoint?: string;
  readonly sfn: SFNClient;
  readonly events: EventBridgeClient;
  /** The state machine name a workflow has on this target. */
  stateMachineName(workflow: string): string;
  /** The bus our events go to on this target. */
  readonly busName: string;
  /** The tenant registry table on this target. */
  readonly tenantTable: string;
}

export interface TargetOptions {
  target?: string;
  region?: string;
  stage?: string;
  endpoint?: string;
}

/** `--endpoint`, else CPLANE_ENDPOINT, else 127.0.0.1 on CPLANE_PORT or 4600; refused unless an http(s) URL. */
function localEndpoint(options: TargetOptions, env: NodeJS.ProcessEnv): string {
  const [endpoint, from] = options.endpoint
    ? [options.endpoint, "--endpoint"]
    : env.CPLANE_ENDPOINT
      ? [env.CPLANE_ENDPOINT, "CPLANE_ENDPOINT"]
      : [`http://127.0.0.1:${env.CPLANE_PORT ?? DEFAULT_PORT}`, "CPLANE_PORT"];
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch {
    url = undefined;
  }
  if (!url || !["http:", "https:"].includes(url.protocol) || (from === "CPLANE_PORT" && url.port === "")) {
    throw new UsageError(`${from} does not make an http URL of the runtime: ${endpoint}`);
  }
  return endpoint.replace(/\/+$/, "");
}

export function resolveTarget(options: TargetOptions, env: NodeJS.ProcessEnv = process.env): Target {
  const kind = options.target ?? "local";
  if (kind !== "local" && kind !== "aws") throw new UsageError(`--target must be local or aws; got ${kind}`);
  if (kind === "local") {
    const endpoint = localEndpoint(options, env);
    const region = options.region ?? "us-east-1";
    const config = {
      endpoint,
      region,
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
      maxAttempts: 1,
    };
    const sfn = new SFNClient(config);
    sfn.middlewareStack.add(explainUnreachable(endpoint), EXPLAIN);
    const events = new EventBridgeClient(config);
    events.middlewareStack.add(explainUnreachable(endpoint), EXPLAIN);
    return {
      kind,
      region,
      stage: "local",
      endpoint,
      sfn,
      events,
      // As stacks/ names them on a stage; the local runtime's stage is `local`.
      stateMachineName: (workflow) => `cplane-local-${workflow}`,
      busName: "cplane",
      tenantTable: "cplane-local-tenants",
    };
  }
  const region = options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) throw new UsageError("--target aws needs --region (or AWS_REGION)");
  const stage = options.stage ?? env.CPLANE_STAGE;
  if (!stage) throw new UsageError("--target aws needs --stage (or CPLANE_STAGE)");
  return {
    kind,
    region,
    stage,
    sfn: new SFNClient({ region }),
    events: new EventBridgeClient({ region }),
    stateMachineName: (workflow) => `cplane-${stage}-${workflow}`,
    busName: `cplane-${stage}-bus`,
    tenantTable: `cplane-${stage}-tenants`,
  };
}

/** Calls the local runtime's own admin API (what AWS has no API for: clock, faults, cloud, tasks). */
export async function admin<T>(
  target: Target,
  method: "GET" | "POST",
  path: string,
  body?: unknown,
): Promise<T> {
  if (target.kind !== "local" || !target.endpoint) {
    throw new UsageError(`this command works against the local runtime only (not --target ${target.kind})`);
  }
  let response: Response;
  try {
    response = await fetch(`${target.endpoint}/_cplane${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    // fetch says only "fetch failed"; its cause says why when it is not a plain refusal (a port fetch
    // will not use, for one): nothing was sent either way.
    const reason = isConnectionError(error)
      ? undefined
      : ((error as { cause?: { message?: string } }).cause?.message ?? (error as Error).message);
    throw new RuntimeUnreachableError(target.endpoint, { cause: error, reason });
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    throw new RuntimeRequestError(
      `${target.endpoint} answered ${method} ${path} with something other than JSON (${response.status}): is it a cplane runtime?`,
    );
  }
  if (!response.ok) {
    const { error, message: said } = parsed as { error?: string; message?: string };
    const message = `${error ? `${error}: ` : ""}${said ?? text}`;
    // 4xx: the runtime refused the request and changed nothing, as the CLI refuses a bad command line.
    if (response.status < 500) throw new UsageError(message);
    throw new RuntimeRequestError(`${method} ${path}: ${response.status} ${message}`);
  }
  return parsed as T;
}
