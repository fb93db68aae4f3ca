/**
 * The local cloud: the slice of AWS and Kubernetes that cplane's handlers call, emulated at the SDK
 * client boundary. `createLocalCloud()` returns the binding for `bindLocalCloud()` (its `send`), the
 * fault plan, the Kubernetes endpoints, `describe()`, and persistence under a data directory.
 */
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import type { LocalCloudCall } from "../../functions/shared/aws-clients.ts";
import type { Clock } from "../clock/clock.ts";
import { writeAtomically } from "../persistence/files.ts";
import { ChangeTokens, JsonText, objectText, type SavedState } from "./changes.ts";
import { CloudWatch } from "./cloudwatch.ts";
import type { CloudContext, CloudEvent, Durations, EmitEvent, Job, Json, Regions } from "./context.ts";
import { DEFAULT_DURATIONS, Jobs } from "./context.ts";
import { Databases, type DatabasesOptions } from "./databases.ts";
import { DynamoDb } from "./dynamodb.ts";
import { Eks } from "./eks.ts";
import { awsError, CloudFault, outageError, throttlingErrorName } from "./errors.ts";
import { Faults } from "./faults.ts";
import { Iam } from "./iam.ts";
import { Rds } from "./rds.ts";
import { RdsData } from "./rds-data.ts";
import { Route53 } from "./route53.ts";
import { SecretsManager, Sts } from "./secrets.ts";
import type { EmulatedService } from "./service.ts";
import { Ticker } from "./ticker.ts";
import { Traffic } from "./traffic.ts";

export interface LocalCloudOptions {
  clock: Clock;
  regions?: Partial<Regions>;
  /** Account id in ARNs and `GetCallerIdentity` (default 123456789012). */
  account?: string;
  /** Where `save()`/`load()` keep state (e.g. `.cplane/cloud`). */
  dataDir?: string;
  durations?: Partial<Durations>;
  /** Receives events the cloud emits (CloudWatch alarm state changes), as full EventBridge envelopes. */
  emitEvent?: EmitEvent;
  /** How many tenant databases (PGlite) stay open at once, and how long an idle one stays open. */
  databases?: Pick<DatabasesOptions, "maxOpen" | "idleMs" | "minIdleMs">;
  /**
   * DynamoDB tables of the control plane itself (the runtime's registry). Like the runtime's engine and
   * bus, they stay outside the emulated failure domain: a region outage does not reach them, as on AWS a
   * control plane run from the surviving region (its registry a global table) still reaches its own.
   */
  controlPlaneTables?: readonly string[];
}

/** Every table a DynamoDB call names (TableName, RequestItems, TransactItems). */
function tablesOf(input: unknown): string[] {
  if (!input || typeof input !== "object") return [];
  const call = input as {
    TableName?: unknown;
    RequestItems?: Record<string, unknown>;
    TransactItems?: Record<string, { TableName?: unknown }>[];
  };
  const names: unknown[] = [call.TableName, ...Object.keys(call.RequestItems ?? {})];
  for (const item of call.TransactItems ?? [])
    for (const op of Object.values(item)) names.push(op?.TableName);
  return names.filter((name): name is string => typeof name === "string");
}

export interface CallRecord {
  service: string;
  operation: string;
  region: string;
  at: number;
  error?: string;
}

export interface LocalCloud {
  /** The binding: pass the cloud (or `{ send: cloud.send }`) to `bindLocalCloud`. */
  send(call: LocalCloudCall): Promise<Record<string, unknown>>;
  /** The simulated time, for handlers' timestamps through `awsNow()`. */
  now(): number;
  readonly faults: Faults;
  readonly regions: Regions;
  readonly account: string;
  readonly clock: Clock;
  readonly durations: Durations;
  /** Every call answered, newest last (bounded to the last 10,000). */
  readonly calls: CallRecord[];
  /** Events emitted so far (also handed to `emitEvent`). */
  readonly events: CloudEvent[];
  readonly services: Readonly<Record<string, EmulatedService>>;
  readonly rds: Rds;
  readonly secrets: SecretsManager;
  readonly dynamodb: DynamoDb;
  readonly eks: Eks;
  readonly iam: Iam;
  readonly cloudwatch: CloudWatch;
  readonly route53: Route53;
  readonly traffic: Traffic;
  /** The minute heartbeat (traffic, health checks, alarms); `tickNow()` runs one round at once. */
  readonly ticker: Ticker;
  /** Every emulated EKS cluster's Kubernetes API: `{ region, name, endpoint }`. */
  kubernetesEndpoints(): { region: string; name: string; endpoint: string }[];
  describe(): Record<string, Record<string, Record<string, unknown[]>>>;
  /**
   * Writes state (resources, pending lifecycles, database files) under `dataDir`: the state at the
   * moment of the call (taken synchronously), `cloud.json` replaced atomically once every file it
   * names is written. One save runs at a time; a call while one runs waits for it first.
   */
  save(options?: SaveOptions): Promise<SaveReport>;
  /**
   * Calls `listener` after a change worth saving: an API call that is not a read, a lifecycle step,
   * a Kubernetes write, a fault added or removed, an event emitted. Metrics the minute heartbeat
   * records are not reported (they are saved with the rest, but do not call for a save of their own).
   */
  onChange(listener: () => void): () => void;
  /** Reads state written by `save()`; returns false when there is none. */
  load(): Promise<boolean>;
  /** Removes the saved state. */
  reset(): Promise<void>;
  /** Stops timers, closes databases and servers. */
  close(): Promise<void>;
  /** Lets services register late (the runtime adds its own). */
  register(service: EmulatedService): void;
  readonly context: CloudContext;
}

export interface SaveOptions {
  /** A write that must be on disk before `cloud.json` is replaced (it is awaited just before). */
  readonly commitAfter?: Promise<unknown>;
  /**
   * Let time go on while the files are written (a checkpoint of a running runtime). By default an
   * instant clock stands still until the save is done, so that the cloud after it is the one saved.
   */
  readonly background?: boolean;
}

export interface SaveReport {
  /** Bytes of `cloud.json`. */
  readonly bytes: number;
  /** Virtual time of the state saved. */
  readonly savedAt: number;
}

export const DEFAULT_REGIONS: Regions = { primary: "us-east-1", secondary: "us-west-2" };

/** Wall-clock milliseconds a closing cloud waits for the calls it is serving. */
const CLOSE_GRACE_MS = 10_000;

/** Operations that change nothing (by their name, as AWS names them). */
const READ_OPERATION = /^(Describe|List|Get|BatchGet|Query|Scan|Test|Check|Lookup|Search)/;

/**
 * The services whose state a call to a service may change (its change tokens, changes.ts): itself and
 * every service it was given (the constructors in `createLocalCloud`), whether it writes to it today or
 * not. Traffic is given EKS and is left out of EKS's list on purpose: it only reads Kubernetes objects
 * (`list` returns copies) and it runs on every minute's tick, which would make every checkpoint
 * serialize EKS again. Calls are marked whether they read or write, unless the service lists the
 * operation among its pure reads (proven harmless by test/local/cloud/pure-reads.test.ts).
 */
const REACHES: Readonly<Record<string, readonly string[]>> = {
  RDS: ["RDS", "SecretsManager"],
  RDSData: ["RDSData", "RDS", "SecretsManager"],
};

/**
 * The services a job may change, by its kind or else the prefix of its kind (a kind not listed may
 * change any). A snapshot's lifecycle and the daily backup change RDS alone (proven with the
 * operations' reaches in test/local/cloud/pure-reads.test.ts); a cluster that goes takes its managed
 * secret with it.
 */
const JOB_REACHES: Readonly<Record<string, readonly string[]>> = {
  "rds.snapshot.available": ["RDS"],
  "rds.backup.daily": ["RDS"],
  rds: ["RDS", "SecretsManager"],
  eks: ["EKS"],
  // Kubernetes objects count their own changes (kubernetes.ts); a rollout step also runs as EKS.
  k8s: ["EKS"],
  secrets: ["SecretsManager"],
  route53: ["Route53"],
};

export function createLocalCloud(options: LocalCloudOptions): LocalCloud {
  const { clock } = options;
  const regions: Regions = { ...DEFAULT_REGIONS, ...options.regions };
  const account = options.account ?? "123456789012";
  const durations: Durations = { ...DEFAULT_DURATIONS, ...options.durations };
  const track = <T>(work: Promise<T>) => clock.track(work);
  const changeListeners = new Set<() => void>();
  const changed = () => {
    for (const listener of changeListeners) {
      try {
        listener();
      } catch {
        // A listener's failure must not break the cloud.
      }
    }
  };
  const changes = new ChangeTokens();
  const reachOf = (service: string) => REACHES[service] ?? [service];
  const jobs = new Jobs(clock, track, changed, (job, run) =>
    changes.during(
      JOB_REACHES[job.kind] ?? JOB_REACHES[job.kind.split(".")[0] ?? ""] ?? Object.keys(services),
      run,
    ),
  );
  const events: CloudEvent[] = [];
  const calls: CallRecord[] = [];
  const services: Record<string, EmulatedService> = {};
  const regionListeners: ((region: string, down: boolean) => void)[] = [];
  let eventSeq = 0;
  let tickerRef: Ticker | undefined;

  const faults = new Faults({
    corruptSnapshot: (snapshot, region, mode) =>
      changes.during(reachOf("RDS"), () => rds.corruptSnapshot(snapshot, region, mode)),
    regionChanged: (region, down) => {
      for (const listener of regionListeners) listener(region, down);
    },
    changed,
  });

  const context: CloudContext & { onRegionChange(listener: (region: string, down: boolean) => void): void } =
    {
      clock,
      regions,
      account,
      durations,
      jobs,
      track,
      isRegionDown: (region) => faults.isRegionDown(region),
      regionList: () => [regions.primary, regions.secondary],
      activity: () => tickerRef?.poke(),
      changed,
      changes,
      emit: (partial) => {
        const event: CloudEvent = {
          version: "0",
          id: `${Date.now().toString(16)}-${(++eventSeq).toString(16).padStart(8, "0")}`,
          account,
          time: partial.time ?? new Date(clock.now()).toISOString().replace(/\.\d{3}Z$/, "Z"),
          ...partial,
        };
        events.push(event);
        if (events.length > 10_000) events.shift();
        changed();
        if (options.emitEvent) {
          try {
            const result = options.emitEvent(event);
            if (result instanceof Promise) void track(result).catch(() => undefined);
          } catch {
            // A failing sink must not break the cloud; the event stays in `events`.
          }
        }
      },
      onRegionChange: (listener) => {
        regionListeners.push(listener);
      },
    };

  const databases = new Databases({
    track,
    ...options.databases,
    // Closed databases keep their images beside the saved ones: a checkpoint refers to them, never copies.
    folder: options.dataDir ? join(options.dataDir, "rds") : undefined,
  });
  const secrets = new SecretsManager(context);
  const rds = new Rds(context, databases, secrets);
  const register = (service: EmulatedService) => {
    services[service.name] = service;
  };
  const dynamodb = new DynamoDb(context, options.dataDir);
  const iam = new Iam(context);
  const eks = new Eks(context, (arn) => iam.roleExists(arn));
  const ticker = new Ticker(context);
  tickerRef = ticker;
  const cloudwatch = new CloudWatch(context, ticker);
  const route53 = new Route53(context, cloudwatch, ticker);
  const traffic = new Traffic(context, cloudwatch, eks, ticker);
  regionListeners.push(() => ticker.poke());
  // A cluster's write activity, read by the DR copy pipeline: computed from the Data API's writes when asked.
  cloudwatch.provide({
    namespace: "AWS/RDS",
    name: "VolumeWriteIOPs",
    dimension: "DBClusterIdentifier",
    points: (region, id, start, end) => rds.volumeWrites(region, id, start, end),
  });
  // Aurora global databases report their replication lag per secondary every minute, as AWS/RDS does,
  // except while the writer's region is down (nothing leaves it): computed when read, so that a fleet
  // of global databases costs nothing per minute and keeps no datapoints. Outages are remembered from
  // this process's start (a saved region-down fault counts from its load).
  const outages: { region: string; from: number; to?: number }[] = [];
  regionListeners.push((region, down) => {
    if (down) outages.push({ region, from: clock.now() });
    else for (const o of outages) if (o.region === region && o.to === undefined) o.to = clock.now();
  });
  const downAt = (region: string, t: number) =>
    outages.some((o) => o.region === region && o.from <= t && (o.to === undefined || t < o.to));
  const lagPoints = (region: string, id: string, start: number, end: number) => {
    const member = rds.globalMembers().find((m) => m.region === region && m.id === id.toLowerCase());
    if (!member || member.isWriter) return [];
    const since = rds.cluster(region, member.id).createTime.getTime();
    const points: { t: number; value: number }[] = [];
    const until = Math.min(end, clock.now());
    for (let t = Math.ceil(Math.max(start, since) / 60_000) * 60_000; t < until; t += 60_000) {
      if (!downAt(member.writerRegion, t)) points.push({ t, value: durations.replicationLag });
    }
    return points;
  };
  for (const name of ["AuroraGlobalDBReplicationLag", "AuroraGlobalDBRPOLag"]) {
    cloudwatch.provide({ namespace: "AWS/RDS", name, dimension: "DBClusterIdentifier", points: lagPoints });
  }
  const all = [
    secrets,
    new Sts(context),
    iam,
    rds,
    new RdsData(context, rds, databases, secrets),
    dynamodb,
    eks,
    cloudwatch,
    route53,
    traffic,
  ];
  for (const service of all) {
    register(service);
  }

  const controlPlaneTables = new Set(options.controlPlaneTables ?? []);
  /** A call only on the control plane's own tables, which an outage does not reach. */
  const spared = (call: LocalCloudCall) => {
    if (call.service !== "DynamoDB" || controlPlaneTables.size === 0) return false;
    const tables = tablesOf(call.input);
    return tables.length > 0 && tables.every((table) => controlPlaneTables.has(table));
  };

  /** Calls being served: a closing cloud lets them finish before its engines close under them. */
  const inFlight = new Set<Promise<unknown>>();
  let closing = false;

  async function send(call: LocalCloudCall): Promise<Record<string, unknown>> {
    if (closing) {
      throw Object.assign(new Error(`the local cloud is closing (${call.service}:${call.operation})`), {
        name: "LocalCloudClosed",
      });
    }
    const served = serve(call);
    inFlight.add(served);
    try {
      return await served;
    } finally {
      inFlight.delete(served);
    }
  }

  async function serve(call: LocalCloudCall): Promise<Record<string, unknown>> {
    const record: CallRecord = {
      service: call.service,
      operation: call.operation,
      region: call.region,
      at: clock.now(),
    };
    calls.push(record);
    if (calls.length > 10_000) calls.shift();
    const service = services[call.service];
    ticker.poke();
    try {
      if (!service) {
        throw Object.assign(
          new Error(`the local cloud does not emulate ${call.service} (${call.operation})`),
          {
            name: "LocalCloudUnsupportedService",
          },
        );
      }
      const operation = service.operations[call.operation];
      if (!operation) {
        throw awsError(
          call.service,
          "UnknownOperationException",
          `the local cloud does not emulate ${call.service}:${call.operation}`,
        );
      }
      if (!service.global && faults.isRegionDown(call.region) && !spared(call))
        throw outageError(call.service, call.region);
      for (const fault of faults.take(call.service, call.operation, call.region)) {
        if (fault.kind === "latency") await clock.sleep(fault.ms);
        else if (fault.kind === "throttle") {
          throw awsError(call.service, fault.error ?? throttlingErrorName(call.service), "Rate exceeded");
        } else {
          throw awsError(call.service, fault.error, fault.message ?? `Injected fault: ${fault.error}`, {
            fault: fault.fault,
            status: fault.status,
          });
        }
      }
      const input = structuredClone(call.input ?? {});
      const reach = service.pureReads?.has(call.operation)
        ? []
        : (service.reaches?.[call.operation] ?? reachOf(call.service));
      const output = await changes.during(reach, () =>
        track(
          Promise.resolve().then(() =>
            (operation as (input: unknown, region: string) => unknown)(input, call.region),
          ),
        ),
      );
      if (!READ_OPERATION.test(call.operation)) changed();
      return clean(output);
    } catch (error) {
      const translated =
        error instanceof CloudFault
          ? awsError(call.service, error.name, error.message, error.options)
          : error;
      record.error = translated instanceof Error ? translated.name : String(translated);
      throw translated;
    }
  }

  const dataDir = options.dataDir;
  const requireDir = () => {
    if (!dataDir) throw new Error("the local cloud was created without a dataDir; save/load need one");
    return dataDir;
  };

  let saving: Promise<SaveReport> | undefined;
  /** Takes every service's state in this tick, then writes the files and replaces `cloud.json`. */
  function saveNow(options: SaveOptions): Promise<SaveReport> {
    const dir = requireDir();
    // Awaited only before the commit: a failure before then must not count as unhandled.
    options.commitAfter?.catch(() => undefined);
    const savers = Object.values(services).filter((service) => service.save);
    const pending = savers.map((service) => Promise.resolve(service.save?.(dir) ?? null));
    const savedAt = clock.now();
    // Serialized now: jobs and faults change as soon as this tick ends.
    const jobsText = new JsonText(JSON.stringify(jobs.list()));
    const faultsText = new JsonText(JSON.stringify(faults.list()));
    return (async () => {
      const states = await Promise.all(pending);
      const state: Record<string, SavedState> = {};
      savers.forEach((service, i) => {
        state[service.name] = states[i] ?? null;
      });
      await options.commitAfter;
      // The services' texts are written as they are, never parsed or serialized again.
      const document = objectText({
        version: 1,
        savedAt,
        jobs: jobsText,
        faults: faultsText,
        services: objectText(state),
      });
      const bytes = await writeAtomically(join(dir, "cloud.json"), document.parts);
      for (const service of savers) await service.afterCommit?.(dir);
      return { bytes, savedAt };
    })();
  }

  const cloud: LocalCloud = {
    send,
    now: () => clock.now(),
    faults,
    regions,
    account,
    clock,
    durations,
    calls,
    events,
    services,
    rds,
    secrets,
    dynamodb,
    eks,
    iam,
    cloudwatch,
    route53,
    traffic,
    ticker,
    kubernetesEndpoints: () => eks.endpoints(),
    context,
    register,
    describe() {
      const out: Record<string, Record<string, Record<string, unknown[]>>> = {};
      for (const service of Object.values(services)) out[service.name] = service.describe();
      return out;
    },
    async save(options: SaveOptions = {}) {
      const previous = saving;
      if (previous) await previous.catch(() => undefined);
      const done = options.background ? saveNow(options) : track(saveNow(options));
      saving = done;
      try {
        return await done;
      } finally {
        if (saving === done) saving = undefined;
      }
    },
    onChange(listener) {
      changeListeners.add(listener);
      return () => changeListeners.delete(listener);
    },
    async load() {
      const dir = requireDir();
      let text: string;
      try {
        text = await readFile(join(dir, "cloud.json"), "utf8");
      } catch {
        return false;
      }
      const saved = JSON.parse(text) as {
        jobs: Job[];
        faults: Parameters<Faults["add"]>[0][];
        services: Record<string, Json>;
      };
      for (const service of Object.values(services)) {
        const state = saved.services[service.name];
        if (state !== undefined && service.load) await service.load(state, dir);
      }
      jobs.clear();
      jobs.restore(saved.jobs);
      faults.clear();
      for (const fault of saved.faults) {
        if (fault.kind !== "corrupt-snapshot") faults.add(fault);
      }
      // Every service holds state it did not serialize: the next save serializes all of it.
      changes.markAll();
      return true;
    },
    async reset() {
      await rm(requireDir(), { recursive: true, force: true });
    },
    async close() {
      closing = true;
      // A write still inside DynamoDB or Postgres when its engine closes fails there, out of any
      // caller's reach (dynalite throws "Database is closed" from a callback). Bounded: a call
      // waiting on a fault's latency must not hold the close for ever.
      await Promise.race([
        Promise.allSettled([...inFlight]),
        new Promise((resolve) => setTimeout(resolve, CLOSE_GRACE_MS).unref()),
      ]);
      ticker.close();
      jobs.clear();
      for (const service of Object.values(services)) await service.close?.();
      await databases.close();
    },
  };
  return cloud;
}

/** Copies an output so callers never hold the cloud's own objects; drops undefined members. */
function clean(output: unknown): Record<string, unknown> {
  if (output === undefined || output === null) return {};
  return copyWithoutUndefined(output) as Record<string, unknown>;
}

/**
 * A deep copy in one walk (an SDK output is plain objects, arrays, dates and bytes); anything else is
 * left to structuredClone. One walk, not a strip then a clone: a listing of hundreds of snapshots is
 * copied on every call.
 */
function copyWithoutUndefined(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(copyWithoutUndefined);
  if (value instanceof Date) return new Date(value.getTime());
  // A copy of the bytes as the SDK gives them (a Buffer's slice would share its memory).
  if (value instanceof Uint8Array) return new Uint8Array(value);
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return structuredClone(value);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = copyWithoutUndefined(v);
  }
  return out;
}
