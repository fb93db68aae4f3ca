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

export function resolveTarget(options: TargetOptions, env: NodeJS.ProcessEnv = process.env): Target {
  const kind = options.target ?? "local";
  if (kind !== "local" && kind !== "aws") throw new UsageError(`--target must be local or aws; got ${kind}`);
  if (kind === "local") {
    const endpoint =
      options.endpoint ?? env.CPLANE_ENDPOINT ?? `http://127.0.0.1:${env.CPLANE_PORT ?? DEFAULT_PORT}`;
    const region = options.region ?? "us-east-1";
    const config = {
      endpoint,
      region,
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
      maxAttempts: 1,
    };
    return {
      kind,
      region,
      stage: "local",
      endpoint,
      sfn: new SFNClient(config),
      events: new EventBridgeClient(config),
      stateMachineName: (workflow) => workflow,
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
    throw new UsageError(
      `the local runtime does not answer at ${target.endpoint}: start it with \`npm start\``,
      {
        cause: error,
      },
    );
  }
  const text = await response.text();
  const parsed: unknown = text ? JSON.parse(text) : {};
  if (!response.ok) {
    const { error, message } = parsed as { error?: string; message?: string };
    throw new UsageError(
      `${method} ${path}: ${response.status} ${error ? `${error}: ` : ""}${message ?? text}`,
    );
  }
  return parsed as T;
}
