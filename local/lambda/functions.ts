/**
 * Lambda, locally: the catalog's handler modules loaded in-process and invoked as Lambda would —
 * with a context object, the function's environment, and its timeout enforced on the shared clock.
 * The engine's `lambda:invoke` integration and the bus's Lambda targets call `invoke`.
 */
import { randomUUID } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Context } from "aws-lambda";
import type { FunctionId, FunctionSpec } from "../../functions/shared/catalog.ts";
import { functionIdOf } from "../../workflows/asl.ts";
import type { Clock } from "../clock/clock.ts";
import { type Caller, runAs } from "../iam/identity.ts";
import { StallMeter } from "./stalls.ts";

/** One event loop per process: every runtime in it shares the measure of its stalls. */
const processStalls = new StallMeter();

const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

type Handler = (event: unknown, context: Context) => Promise<unknown>;

export class ResourceNotFoundException extends Error {
  override name = "ResourceNotFoundException";
}

/** Lambda's own error when a function runs past its timeout (the name Step Functions reports). */
export class SandboxTimedoutError extends Error {
  override name = "Sandbox.Timedout";
}

export class ConflictingEnvironmentError extends Error {
  override name = "ConflictingEnvironmentError";
}

export interface LocalFunctionsOptions {
  readonly catalog: ReadonlyMap<FunctionId, FunctionSpec>;
  readonly clock: Clock;
  readonly region: string;
  readonly account: string;
  /** Each function's environment as the runtime resolves it (table names, bus name, ...). */
  readonly environment: (spec: FunctionSpec) => Record<string, string>;
  /** Where handler modules live; the project root by default. */
  readonly root?: string;
  /**
   * Who a function's handler runs as: its AWS calls are authorized as that role (local IAM). Without it
   * handlers run as no one in particular, and nothing is authorized.
   */
  readonly callerOf?: (id: FunctionId) => Caller;
  /** Measures the thread's stalls, which no handler is charged for (one per process by default). */
  readonly stalls?: StallMeter;
}

export interface InvokeOptions {
  readonly signal?: AbortSignal;
}

export interface LocalFunctions {
  /** The ARN a function has locally (what stacks/ would substitute on AWS). */
  arnOf(id: FunctionId): string;
  /** Resolves a function name, ARN or `cplane:function:` placeholder to its catalog id. */
  resolve(name: string): FunctionId;
  /** Runs the handler and returns its result; a handler's error is rethrown as it was thrown. */
  invoke(name: string, payload: unknown, options?: InvokeOptions): Promise<unknown>;
}

/** The ARN a function has locally: `cplane-<group>-<name>` in the runtime's region and account. */
export function localFunctionArn(id: FunctionId, region: string, account: string): string {
  return `arn:aws:lambda:${region}:${account}:function:cplane-${id.replace("/", "-")}`;
}

/**
 * Sets every function's environment on this process (they share it locally) and refuses two
 * functions that want different values for one variable, which would make one of them wrong.
 */
export function createLocalFunctions(options: LocalFunctionsOptions): LocalFunctions {
  const { catalog, clock, region, account } = options;
  const root = options.root ?? PROJECT_ROOT;
  const stalls = options.stalls ?? processStalls;
  const setBy = new Map<string, string>();
  for (const spec of catalog.values()) {
    for (const [key, value] of Object.entries(options.environment(spec))) {
      const owner = setBy.get(key);
      if (owner !== undefined && process.env[key] !== value) {
        throw new ConflictingEnvironmentError(
          `functions ${owner} and ${spec.id} want different values for ${key}; locally they share one process`,
        );
      }
      setBy.set(key, spec.id);
      process.env[key] = value;
    }
  }
  process.env.AWS_REGION = region;

  const modules = new Map<FunctionId, Promise<Handler>>();
  const arnOf = (id: FunctionId) => localFunctionArn(id, region, account);
  const byArn = new Map<string, FunctionId>();
  for (const id of catalog.keys()) {
    byArn.set(arnOf(id), id);
    byArn.set(`cplane-${id.replace("/", "-")}`, id);
  }

  function resolve(name: string): FunctionId {
    const unqualified = name.replace(/:(\$LATEST|\d+)$/, "");
    const id =
      functionIdOf(unqualified) ??
      byArn.get(unqualified) ??
      (catalog.has(unqualified as FunctionId) ? (unqualified as FunctionId) : undefined);
    if (!id || !catalog.has(id)) {
      throw new ResourceNotFoundException(`Function not found: ${arnOf((id ?? name) as FunctionId)}`);
    }
    return id;
  }

  function load(spec: FunctionSpec): Promise<Handler> {
    let loading = modules.get(spec.id);
    if (!loading) {
      loading = import(pathToFileURL(join(root, spec.handler)).href).then((module: { handler?: unknown }) => {
        if (typeof module.handler !== "function") {
          throw new ResourceNotFoundException(`${spec.handler} does not export a handler function`);
        }
        return module.handler as Handler;
      });
      modules.set(spec.id, loading);
    }
    return loading;
  }

  async function invoke(name: string, payload: unknown, invokeOptions: InvokeOptions = {}): Promise<unknown> {
    const id = resolve(name);
    const spec = catalog.get(id) as FunctionSpec;
    const handler = await load(spec);
    // A handler's own run time is real: the clock's speed scales waiting (Wait states, AWS
    // lifecycles), not computing, so a function's timeout is measured in wall time, less the
    // stalls of the thread it shares with everything else (see stalls.ts).
    const limitMs = spec.timeoutSeconds * 1000;
    const started = Date.now();
    const measuring = stalls.begin();
    const charged = () => Date.now() - started - measuring.stalledSince();
    const functionName = `cplane-${id.replace("/", "-")}`;
    const context: Context = {
      callbackWaitsForEmptyEventLoop: false,
      functionName,
      functionVersion: "$LATEST",
      invokedFunctionArn: arnOf(id),
      memoryLimitInMB: String(spec.memoryMB),
      awsRequestId: randomUUID(),
      logGroupName: `/aws/lambda/${functionName}`,
      logStreamName: `local/[$LATEST]${randomUUID().replaceAll("-", "")}`,
      getRemainingTimeInMillis: () => Math.max(0, limitMs - charged()),
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    };
    // A deep copy: a handler must not be able to change the caller's object, as over the wire.
    const event: unknown = payload === undefined ? {} : structuredClone(payload);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      const check = () => {
        const left = limitMs - charged();
        if (left > 0) timer = setTimeout(check, left);
        else
          reject(new SandboxTimedoutError(`Task timed out after ${spec.timeoutSeconds.toFixed(2)} seconds`));
      };
      timer = setTimeout(check, limitMs);
    });
    const signal = invokeOptions.signal;
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      onAbort = () => reject(signal?.reason);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
    try {
      const caller = options.callerOf?.(id);
      const run = () => handler(event, context);
      const result = await Promise.race([
        clock.track(caller ? runAs(caller, run) : run()),
        timedOut,
        aborted,
      ]);
      return result === undefined ? null : JSON.parse(JSON.stringify(result));
    } finally {
      clearTimeout(timer);
      measuring.end();
      if (onAbort) signal?.removeEventListener("abort", onAbort);
    }
  }

  return { arnOf, resolve, invoke };
}
