/**
 * The one factory through which every AWS SDK v3 client is created. It sets the defaults every
 * handler shares (region, adaptive retries), wraps the client with the tracer, and is the single
 * place where the local runtime attaches itself: when a local cloud is bound, each command is
 * answered by it instead of AWS. Handlers cannot tell which of the two they run on.
 */
import type { AwsCredentialIdentity, HandlerExecutionContext } from "@smithy/types";
import { awsRegion } from "./env.ts";
import { tracer } from "./observability.ts";

/** One AWS call as the local cloud receives it. */
export interface LocalCloudCall {
  /** Service id as the client names itself without the `Client` suffix: `RDS`, `SecretsManager`, `EKS`. */
  readonly service: string;
  /** Operation without the `Command` suffix: `CreateDBCluster`. */
  readonly operation: string;
  readonly input: unknown;
  readonly region: string;
}

/** What the local runtime binds: something that answers AWS calls in AWS's shapes and error names. */
export interface LocalCloudBinding {
  send(call: LocalCloudCall): Promise<Record<string, unknown>>;
  /** The local cloud's time in epoch ms, which runs faster than the wall clock (see `awsNow`). */
  now?(): number;
  /**
   * The credentials of the function calling now, when the local runtime gives each function its own role
   * (local IAM); undefined otherwise. What a handler signs with itself (an EKS token) must use them.
   */
  credentials?(): AwsCredentialIdentity | undefined;
}

const BINDING = Symbol.for("cplane.local-cloud.binding");
type BindingHolder = { [BINDING]?: LocalCloudBinding };

/** Binds (or, with `undefined`, unbinds) the local cloud for every client, already created or not. */
export function bindLocalCloud(binding: LocalCloudBinding | undefined): void {
  (globalThis as BindingHolder)[BINDING] = binding;
}

export function boundLocalCloud(): LocalCloudBinding | undefined {
  return (globalThis as BindingHolder)[BINDING];
}

/**
 * The time of the cloud the handler runs against, in epoch milliseconds: the wall clock on AWS, the
 * local cloud's simulated clock locally, so that timestamps a handler writes (registry history, TTLs)
 * agree with the engine's and the cloud's, which may run hours ahead of the wall clock.
 */
export function awsNow(): number {
  return boundLocalCloud()?.now?.() ?? Date.now();
}

/**
 * The credentials to sign a request with oneself (a presigned URL): the calling function's own when the
 * local runtime says so, the client's otherwise (on AWS, the function's role session).
 */
export async function signingCredentials(client: {
  readonly config: { readonly credentials: () => Promise<AwsCredentialIdentity> };
}): Promise<AwsCredentialIdentity> {
  return boundLocalCloud()?.credentials?.() ?? (await client.config.credentials());
}

/** The part of an SDK v3 client the factory touches; every generated client has it. */
interface SdkClient {
  readonly config: { readonly region?: unknown };
  readonly middlewareStack: {
    add(middleware: unknown, options: object): void;
    remove(name: string): boolean;
  };
}

export interface ClientFactoryOptions {
  /** Region; defaults to the function's own (`AWS_REGION`). */
  region?: string;
  /** Trace with X-Ray through Powertools (default true). */
  trace?: boolean;
  /** The SDK's logger; without one, its logger middleware is left out (see below). */
  logger?: unknown;
}

/**
 * Creates an AWS SDK client with the shared defaults. Example:
 * `const rds = createAwsClient(RDSClient)` at module scope, or with `{ region }` for the other region.
 */
export function createAwsClient<C extends SdkClient, Config extends object>(
  ClientClass: new (config: Config) => C,
  config: Partial<Config> & ClientFactoryOptions = {},
): C {
  const { trace = true, ...rest } = config;
  const client = new ClientClass({
    // Read at the first call, not here: a module that makes its clients on import (every handler) can be
    // imported where AWS_REGION is unset (stacks/ under `sst deploy`, the CLI), and fails by name only if it calls AWS.
    region: rest.region ?? (async () => awsRegion()),
    maxAttempts: 3,
    retryMode: "adaptive",
    ...rest,
  } as unknown as Config);
  // The SDK's logger middleware walks every input and output through its schema to filter sensitive
  // members for a logger that, unless one is given, discards the result (NoOpLogger): a walk of each
  // response for nothing, which Lambda bills and which was a tenth of a DR copy round's CPU locally.
  if (!("logger" in rest)) client.middlewareStack.remove("loggerMiddleware");
  client.middlewareStack.add(localCloudMiddleware(client), {
    step: "initialize",
    name: "cplaneLocalCloud",
    priority: "high",
  });
  return trace ? tracer.captureAWSv3Client(client) : client;
}

function localCloudMiddleware(client: SdkClient) {
  return (next: (args: { input: unknown }) => Promise<unknown>, context: HandlerExecutionContext) =>
    async (args: { input: unknown }) => {
      const binding = boundLocalCloud();
      if (!binding) return next(args);
      const regionConfig: unknown = client.config.region;
      const region = typeof regionConfig === "function" ? await regionConfig() : regionConfig;
      const output = await binding.send({
        service: (context.clientName ?? "").replace(/Client$/, ""),
        operation: (context.commandName ?? "").replace(/Command$/, ""),
        input: args.input,
        region: String(region),
      });
      return { output: { $metadata: { httpStatusCode: 200 }, ...output }, response: {} };
    };
}

/**
 * A client made at its first use and kept: for modules that tools import without a Lambda environment
 * (the CLI reading a stage, stacks/ under `sst deploy`). `const rds = lazyAwsClient(RDSClient)`, then `rds().send(...)`.
 */
export function lazyAwsClient<C extends SdkClient, Config extends object>(
  ClientClass: new (config: Config) => C,
): () => C {
  let client: C | undefined;
  return () => {
    client ??= createAwsClient(ClientClass);
    return client;
  };
}
