/**
 * The local runtime, assembled: one clock shared by the engine, the bus, the scheduler and the local
 * cloud; the catalog's handlers in-process; the catalog's state machines in the engine with local
 * function ARNs; the rules and schedules stacks/ deploys. Nothing here is special-cased per workflow.
 */

// Must stay the first import: it sets the Lambda-like environment before handler modules load.
import "./lambda/environment.ts";

import { existsSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { type DeployContext, renderEnvironment } from "../deploy/context.ts";
import { deployable } from "../deploy/deployable.ts";
import { tenantAccessPolicies } from "../deploy/tenant-access-policies.ts";
import { functionRules } from "../events/function-rules.ts";
import { workflowRules } from "../events/rules.ts";
import { workflowSchedules } from "../events/schedules.ts";
import { functionCatalog } from "../functions/catalog.ts";
import { bindLocalCloud, createAwsClient } from "../functions/shared/aws-clients.ts";
import type { FunctionId } from "../functions/shared/catalog.ts";
import { clearKubernetesCache } from "../functions/shared/kubernetes.ts";
import { listTenants } from "../functions/tenant/lib/registry.ts";
import { substituteFunctions } from "../workflows/asl.ts";
import { workflowCatalog } from "../workflows/catalog.ts";
import { bootstrap } from "./bootstrap.ts";
import {
  createLocalEventBridge,
  installFunctionRules,
  installWorkflowRules,
  type LocalEventBridge,
  type TargetDispatcher,
} from "./bus/index.ts";
import { inBackground } from "./clock/background.ts";
import { type Clock, type ClockMode, createClock, formatClockMode, parseClockMode } from "./clock/clock.ts";
import { createLocalCloud, type LocalCloud } from "./cloud/cloud.ts";
import { createDemoFleet } from "./cloud/demo.ts";
import { toPutEventsEntry } from "./cloud/index.ts";
import { Engine, ExecutionAlreadyExists, type SavedExecution } from "./engine/index.ts";
import { type Authorizer, createAuthorizer } from "./iam/authorizer.ts";
import { bootstrapFunctionRoles } from "./iam/bootstrap.ts";
import { currentCaller } from "./iam/identity.ts";
import { functionRoleName, roleArnOf, startRoleName, stateMachineRoleName } from "./iam/roles.ts";
import { bootstrapServiceRoles } from "./iam/service-roles.ts";
import { createServiceAuthorization } from "./iam/services.ts";
import { recordUsage } from "./iam/usage.ts";
import { createLocalFunctions, type LocalFunctions } from "./lambda/functions.ts";
import {
  type AcknowledgedRecord,
  journaledServices,
  type ReplayReport,
  replayAcknowledged,
} from "./persistence/acknowledged.ts";
import { type CheckpointReport, Checkpoints, type CheckpointTiming } from "./persistence/checkpoints.ts";
import { EventLogStore } from "./persistence/event-log.ts";
import { ExecutionStore } from "./persistence/executions.ts";
import { removeLeftoverTemporaries, writeAtomically } from "./persistence/files.ts";
import { Journal } from "./persistence/journal.ts";
import { acquireDataDirLock, type DataDirLock, type LockHolder } from "./persistence/lock.ts";
import { createLocalScheduler, installWorkflowSchedules, type LocalScheduler } from "./scheduler/index.ts";
import { type AwsJsonService, callOperation, toWire } from "./server/aws-json.ts";
import { eventBridgeService } from "./server/events.ts";
import { stepFunctionsService } from "./server/sfn.ts";

export const LOCAL_ACCOUNT = "000000000000";
export const LOCAL_APP = "cplane";
export const LOCAL_STAGE = "local";
export const TENANT_TABLE = "cplane-local-tenants";
export const BUS_NAME = "cplane";
/**
 * The error of executions a stopping runtime cut off, or a crash did (they were running at the last
 * checkpoint); the next start redrives them.
 */
export const RUNTIME_STOPPED = "cplane.RuntimeStopped";
export const EKS_CLUSTER_NAME = `${LOCAL_APP}-${LOCAL_STAGE}-tenants`;
/**
 * A workflow's state machine is named as stacks/ names it on AWS, `<app>-<stage>-<workflow>`: the ARNs
 * the catalogs' IAM statements name (`execution:${app}-${stage}-*:*`) are then the ones the runtime makes.
 */
export const stateMachineName = (workflow: string) => `${LOCAL_APP}-${LOCAL_STAGE}-${workflow}`;
export const WEBHOOK_SECRET_NAME = `cplane/${LOCAL_STAGE}/git-webhook`;
/** What local Git webhook deliveries are signed with (CPLANE_WEBHOOK_SECRET to change). */
export const DEFAULT_WEBHOOK_SECRET = "cplane-local-webhook-secret";

export interface RuntimeOptions {
  /**
   * `real`, `instant`, `manual` or a factor such as `60`, chosen for this start: it wins over the speed
   * the data directory saved. Ignored when `clock` is given.
   */
  readonly speed?: string;
  /** The speed when `speed` is not given and the data directory saved none (default `instant`). */
  readonly defaultSpeed?: string;
  readonly clock?: Clock;
  readonly region?: string;
  readonly secondaryRegion?: string;
  /** Where state persists between starts; none when undefined (tests). */
  readonly dataDir?: string;
  /** Start from nothing even when `dataDir` holds saved state. */
  readonly fresh?: boolean;
  /**
   * Create the local cloud's demo fleet when nothing was loaded: the platform's EKS clusters, an
   * Aurora global database, Route 53 failover records, two services with traffic, the alarms.
   */
  readonly demoFleet?: boolean;
  /** Shortened AWS durations for tests, e.g. `{ auroraClusterCreate: 60_000 }`. */
  readonly durations?: Parameters<typeof createLocalCloud>[0]["durations"];
  /**
   * With `dataDir`: checkpoints while running (default timing `DEFAULT_CHECKPOINT_TIMING`), or
   * false to write state only at a clean stop, as before checkpoints (what a crash then loses).
   */
  readonly checkpoints?: Partial<CheckpointTiming> | false;
  /**
   * With checkpoints: journal what the server acknowledges before answering (default). False answers
   * at once, and a crash loses what was answered since the last checkpoint: for measuring the journal.
   */
  readonly journal?: boolean;
  /**
   * Local IAM: every handler's AWS calls authorized as its role (its catalog statements), the Kubernetes
   * API as EKS access entries say. On unless false, or `CPLANE_IAM=off` in the environment.
   */
  readonly iam?: boolean;
}

export interface WorkflowRuleStatus {
  readonly rule: string;
  readonly workflow: string;
  readonly loaded: boolean;
  readonly reason?: string;
}

/** A schedule of events/schedules.ts and whether this runtime runs it (and why not). */
export interface WorkflowScheduleStatus {
  readonly schedule: string;
  readonly workflow: string;
  readonly loaded: boolean;
  readonly reason?: string;
}

export interface Runtime {
  readonly clock: Clock;
  readonly region: string;
  readonly secondaryRegion: string;
  readonly engine: Engine;
  readonly bus: LocalEventBridge;
  readonly scheduler: LocalScheduler;
  readonly functions: LocalFunctions;
  readonly cloud: LocalCloud;
  /**
   * The Step Functions and EventBridge APIs over the engine and bus, as the server serves them
   * (with a journal, StartExecution and PutEvents answer once what they did is on disk).
   */
  readonly services: readonly AwsJsonService[];
  /** Resources created at this start (empty when everything was loaded from the data directory). */
  readonly bootstrapped: readonly string[];
  /** Executions the previous stop (or crash) cut off, redriven at this start. */
  readonly resumed: readonly string[];
  /** Tenants whose operation's execution a crash lost (registry ahead of the checkpoint), marked failed. */
  readonly orphans: readonly string[];
  /** Where state persists; undefined when nothing does. */
  readonly dataDir: string | undefined;
  /** The state written while running; undefined without a data directory or with checkpoints off. */
  readonly checkpoints: Checkpoints | undefined;
  /**
   * What the server acknowledged since the last checkpoint (StartExecution, PutEvents), on disk before
   * each answer; undefined when checkpoints are.
   */
  readonly journal: Journal<AcknowledgedRecord> | undefined;
  /** What this start applied again from the journal the last runtime left. */
  readonly replayed: ReplayReport;
  /** The runtime before this one on the data directory, when it ended without a clean stop. */
  readonly recoveredFrom: LockHolder | undefined;
  /**
   * Where the clock's speed came from: this start's `speed`, the data directory (the speed the last
   * run left, `cplane clock speed` included), or the default.
   */
  readonly clockSpeedFrom: "option" | "saved" | "default";
  readonly rules: readonly WorkflowRuleStatus[];
  /** Every schedule of events/schedules.ts, loaded or not. */
  readonly schedules: readonly WorkflowScheduleStatus[];
  /** Local IAM's authorizer, or undefined when it is off (`iam: false`, `CPLANE_IAM=off`). */
  readonly iam: Authorizer | undefined;
  stateMachineArn(workflow: string): string;
  close(): Promise<void>;
}

/** What the runtime's functions see as their deployment: local names for the shared resources. */
export function localDeployContext(
  region: string,
  drRegion = "us-west-2",
  webhookSecretArn?: string,
): DeployContext {
  return {
    app: LOCAL_APP,
    stage: LOCAL_STAGE,
    region,
    drRegion,
    account: LOCAL_ACCOUNT,
    partition: "aws",
    resources: {
      tenantTable: {
        name: TENANT_TABLE,
        arn: `arn:aws:dynamodb:${region}:${LOCAL_ACCOUNT}:table/${TENANT_TABLE}`,
      },
      bus: { name: BUS_NAME, arn: `arn:aws:events:${region}:${LOCAL_ACCOUNT}:event-bus/${BUS_NAME}` },
      // Its full ARN once bootstrap made the secret (what IAM statements must name); a partial ARN before.
      gitWebhookSecret: {
        name: WEBHOOK_SECRET_NAME,
        arn:
          webhookSecretArn ??
          `arn:aws:secretsmanager:${region}:${LOCAL_ACCOUNT}:secret:${WEBHOOK_SECRET_NAME}`,
      },
    },
  };
}

/**
 * After a crash the registry (DynamoDB keeps every write) may be ahead of the last checkpoint: a tenant
 * `onboarding` or `offboarding` whose execution the checkpoint does not have. Nothing drives it any
 * more, so it is marked failed through the workflows' own failure step, with the reason and the failure
 * event; a new request takes it over (validate-and-register joins only operations that still run).
 */
async function failOrphanedTenants(engine: Engine, functions: LocalFunctions): Promise<string[]> {
  const tenants = await listTenants({ client: createAwsClient(DynamoDBClient), tableName: TENANT_TABLE });
  const known = (arn: string) => {
    try {
      engine.describeExecution(arn);
      return true;
    } catch {
      return false;
    }
  };
  const orphans = tenants.filter(
    (t) => (t.status === "onboarding" || t.status === "offboarding") && !known(t.executionArn),
  );
  for (const tenant of orphans) {
    await functions.invoke(functions.arnOf("tenant/record-failure"), {
      workflow: tenant.status === "onboarding" ? "onboarding" : "offboarding",
      executionArn: tenant.executionArn,
      slug: tenant.slug,
      failure: {
        step: "execution",
        error: "cplane.ExecutionLost",
        cause: `the local runtime ended without a clean stop before it saved execution ${tenant.executionArn}; request the ${tenant.status === "onboarding" ? "onboarding" : "offboarding"} again to resume`,
      },
    });
  }
  return orphans.map((t) => t.slug);
}

export class CorruptStateError extends Error {
  override name = "CorruptStateError";
}

async function loadExecutions(store: ExecutionStore | undefined): Promise<SavedExecution[] | undefined> {
  try {
    return await store?.load();
  } catch (error) {
    throw new CorruptStateError(
      `saved executions in ${store?.file} cannot be read (${(error as Error).message}); start with --fresh or run cplane reset`,
      { cause: error },
    );
  }
}

/** Loads saved state with `load`; what cannot be read is a `CorruptStateError` naming `what`. */
async function loadSaved<T>(what: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    throw new CorruptStateError(
      `saved state ${what} cannot be read (${(error as Error).message}); start with --fresh or run cplane reset`,
      { cause: error },
    );
  }
}

async function readSaved<T>(file: string): Promise<T> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as T;
  } catch (error) {
    throw new CorruptStateError(
      `saved state ${file} cannot be read (${(error as Error).message}); start with --fresh or run cplane reset`,
      { cause: error },
    );
  }
}

/**
 * The speed a data directory saved, or undefined when it saved none (written before speeds were).
 * One it cannot read is said and ignored: the clock's time matters, its speed is the user's to set again.
 */
function savedClockMode(speed: unknown, file: string | undefined): ClockMode | undefined {
  if (speed === undefined) return undefined;
  try {
    return parseClockMode(String(speed));
  } catch (error) {
    process.stderr.write(`cplane: the speed saved in ${file} is ignored: ${(error as Error).message}\n`);
    return undefined;
  }
}

/** Local IAM is on unless the options or `CPLANE_IAM=off` say otherwise. */
export function iamEnabled(options: Pick<RuntimeOptions, "iam">): boolean {
  return options.iam ?? process.env.CPLANE_IAM?.toLowerCase() !== "off";
}

/**
 * Assembles the runtime. With a data directory it first takes the directory's lock (one runtime per
 * directory, `DataDirLockedError` otherwise), loads what was saved there, redrives what the last
 * stop or crash cut off, and checkpoints from then on.
 */
export async function createRuntime(options: RuntimeOptions = {}): Promise<Runtime> {
  const lock = options.dataDir ? await acquireDataDirLock(options.dataDir) : undefined;
  try {
    if (options.dataDir) {
      // Held alone now: what a crashed writer left half-written can go.
      await removeLeftoverTemporaries(options.dataDir);
      await removeLeftoverTemporaries(join(options.dataDir, "cloud"));
      await removeLeftoverTemporaries(join(options.dataDir, "journal"));
    }
    return await assemble(options, lock);
  } catch (error) {
    await lock?.release();
    throw error;
  }
}

async function assemble(options: RuntimeOptions, lock: DataDirLock | undefined): Promise<Runtime> {
  const region = options.region ?? process.env.AWS_REGION ?? "us-east-1";
  const secondaryRegion = options.secondaryRegion ?? "us-west-2";
  // Simulated time never runs backwards across a restart: saved lifecycles are due on its timeline.
  const clockFile = options.dataDir ? join(options.dataDir, "clock.json") : undefined;
  const savedClock =
    clockFile && !options.fresh && existsSync(clockFile)
      ? await readSaved<{ now: number; speed?: unknown }>(clockFile)
      : undefined;
  const savedNow = savedClock?.now ?? 0;
  // A speed chosen for this start wins; else the one the last run left (set at start or changed while
  // it ran, `cplane clock speed`), as a user who slowed the clock expects to find it; else the default.
  const savedSpeed = savedClockMode(savedClock?.speed, clockFile);
  const clockSpeedFrom =
    options.speed !== undefined ? "option" : savedSpeed !== undefined ? "saved" : "default";
  const clock =
    options.clock ??
    createClock({
      mode: options.speed
        ? parseClockMode(options.speed)
        : (savedSpeed ?? parseClockMode(options.defaultSpeed ?? "instant")),
      start: Math.max(savedNow, Date.now()),
    });
  const baseCtx = localDeployContext(region, secondaryRegion);

  let bus: LocalEventBridge | undefined;
  const cloud = createLocalCloud({
    clock,
    account: LOCAL_ACCOUNT,
    regions: { primary: region, secondary: secondaryRegion },
    dataDir: options.dataDir ? join(options.dataDir, "cloud") : undefined,
    durations: options.durations,
    // The registry is the control plane's own, like the engine and the bus: a region outage spares it.
    controlPlaneTables: [TENANT_TABLE],
    // AWS services publish to the default bus (CloudWatch alarm state changes).
    emitEvent: (event) => {
      bus?.putEvents({ Entries: [{ ...toPutEventsEntry(event), EventBusName: "default" }] });
    },
  });
  if (options.dataDir && options.fresh) await cloud.reset();
  const loaded = options.dataDir && !options.fresh ? await cloud.load() : false;
  if (!loaded && options.demoFleet) await createDemoFleet(cloud);
  const authorizer = iamEnabled(options) ? createAuthorizer(cloud) : undefined;
  if (authorizer) cloud.eks.kubernetesAuthorizer = authorizer.kubernetes;
  // Handlers reach our own bus and engine through the same SDK clients as every other service, each call
  // authorized as the calling function's role (calls outside any handler are the local operator's).
  const ownServices: Record<string, AwsJsonService> = {};
  bindLocalCloud({
    credentials: () => {
      const caller = currentCaller();
      return caller && authorizer ? authorizer.credentialsFor(caller) : undefined;
    },
    send: async (call) => {
      const caller = currentCaller();
      if (caller && authorizer) await authorizer.authorize(call, caller);
      const own = Object.hasOwn(ownServices, call.service) ? ownServices[call.service] : undefined;
      if (!own) return cloud.send(call);
      // As over HTTP: the input in its wire form (dates as epoch seconds, no undefined members),
      // validated against AWS's model by the server's own path.
      return (await callOperation(own, call.operation, toWire(call.input ?? {}))) as Record<string, unknown>;
    },
    now: () => clock.now(),
  });

  // What exists before any handler runs (redriven executions included): the resources stacks/ deploys and
  // the platform runs, and every function's role.
  const { created, webhookSecretArn } = await bootstrap({
    clock,
    account: LOCAL_ACCOUNT,
    regions: [region, secondaryRegion],
    primaryRegion: region,
    tenantTable: TENANT_TABLE,
    eksClusterName: EKS_CLUSTER_NAME,
    webhookSecretName: WEBHOOK_SECRET_NAME,
    webhookSecretValue: process.env.CPLANE_WEBHOOK_SECRET ?? DEFAULT_WEBHOOK_SECRET,
    tenantAccess: tenantAccessPolicies(baseCtx),
  });
  const ctx = localDeployContext(region, secondaryRegion, webhookSecretArn);
  created.push(...(await bootstrapFunctionRoles(functionCatalog, ctx)));

  const functions = createLocalFunctions({
    catalog: functionCatalog,
    clock,
    region,
    account: LOCAL_ACCOUNT,
    callerOf: (id) => ({ functionId: id, roleName: functionRoleName(id, ctx) }),
    environment: (spec) => {
      // Handlers share one process (and one Powertools logger) locally, so the per-group service
      // name that stacks/ sets on each Lambda gives way to one for the whole runtime.
      const { POWERTOOLS_SERVICE_NAME: _perGroup, ...env } = renderEnvironment(spec, ctx);
      return { ...env, POWERTOOLS_SERVICE_NAME: "cplane-local" };
    },
  });

  // Step Functions, EventBridge and Scheduler act as their roles: each Task, each start is authorized.
  const services = authorizer
    ? createServiceAuthorization(authorizer, { region, account: LOCAL_ACCOUNT })
    : undefined;
  const engine = new Engine({
    clock,
    region,
    accountId: LOCAL_ACCOUNT,
    runtime: {
      ...(services ? { authorizeTask: services.authorizeTask } : {}),
      invokeFunction: async (name, payload, context) =>
        (await functions.invoke(name, payload, { signal: context.signal })) as never,
      putEvents: async (entries) => {
        if (!bus) throw new Error("the bus is not ready");
        return bus.putEvents({ Entries: entries });
      },
    },
  });

  const stateMachines = new Map<string, string>();
  for (const workflow of workflowCatalog.values()) {
    const definition = substituteFunctions(workflow.definition, (id: FunctionId) => functions.arnOf(id));
    const { stateMachineArn } = engine.createStateMachine({
      name: stateMachineName(workflow.name),
      definition,
      roleArn: roleArnOf(stateMachineRoleName(workflow.name, ctx), ctx),
    });
    stateMachines.set(workflow.name, stateMachineArn);
  }
  created.push(
    ...(await bootstrapServiceRoles({
      workflows: workflowCatalog.values(),
      functionArns: Object.fromEntries([...functionCatalog.keys()].map((id) => [id, functions.arnOf(id)])),
      stateMachineArn: (workflow) => stateMachines.get(workflow) as string,
      rules: workflowRules,
      schedules: workflowSchedules,
      ctx,
    })),
  );

  // Rules and schedules reach their targets the same way.
  const dispatcher: TargetDispatcher = {
    startExecution: async (stateMachineArn, input, delivery, roleArn) => {
      if (roleArn) await services?.authorizeStart(roleArn, stateMachineArn);
      if (!delivery) return engine.startExecution({ stateMachineArn, input });
      try {
        return engine.startExecution({ stateMachineArn, input, name: delivery.id });
      } catch (error) {
        // A delivery names its execution after itself: one under that name is what this delivery
        // started before (an event applied again after a crash, whose execution the checkpoint kept).
        if (!(error instanceof ExecutionAlreadyExists)) throw error;
        return { executionArn: `${stateMachineArn.replace(":stateMachine:", ":execution:")}:${delivery.id}` };
      }
    },
    invokeFunction: async (functionArn: string, payload: string) =>
      functions.invoke(functionArn, JSON.parse(payload)),
  };
  const busReady = createLocalEventBridge({
    clock,
    region,
    account: LOCAL_ACCOUNT,
    buses: [BUS_NAME],
    dispatcher,
  });
  bus = busReady;
  const scheduler = createLocalScheduler({ clock, region, account: LOCAL_ACCOUNT, dispatcher });
  const schedules = deployable(workflowSchedules, new Set(stateMachines.keys()));
  installWorkflowSchedules(
    scheduler,
    schedules.ready,
    (workflow) => stateMachines.get(workflow) as string,
    (schedule) => roleArnOf(startRoleName("scheduler", schedule.name, ctx), ctx),
  );
  const scheduleStatus: WorkflowScheduleStatus[] = workflowSchedules.map((schedule) =>
    schedules.ready.includes(schedule)
      ? { schedule: schedule.name, workflow: schedule.workflow, loaded: true }
      : {
          schedule: schedule.name,
          workflow: schedule.workflow,
          loaded: false,
          reason: `workflow ${schedule.workflow} not built yet`,
        },
  );

  const triggers = deployable(workflowRules, new Set(stateMachines.keys()));
  const rules: WorkflowRuleStatus[] = triggers.waiting.map((rule) => ({
    rule: rule.name,
    workflow: rule.workflow,
    loaded: false,
    reason: `workflow ${rule.workflow} not built yet`,
  }));
  installWorkflowRules(
    busReady,
    triggers.ready,
    (workflow) => stateMachines.get(workflow) as string,
    (rule) => roleArnOf(startRoleName("events", rule.name, ctx), ctx),
  );
  for (const rule of triggers.ready) rules.push({ rule: rule.name, workflow: rule.workflow, loaded: true });
  installFunctionRules(busReady, functionRules, (id) => functions.arnOf(id));

  // Step Functions announces every execution status change on the default bus, as on AWS.
  const unsubscribe = engine.subscribe((event) => {
    if (event.kind !== "status" || !bus) return;
    const e = event.execution;
    bus.putEvents({
      Entries: [
        {
          Source: "aws.states",
          DetailType: "Step Functions Execution Status Change",
          Resources: [e.executionArn],
          Detail: JSON.stringify({
            executionArn: e.executionArn,
            stateMachineArn: e.stateMachineArn,
            name: e.name,
            status: e.status,
            startDate: e.startDate.getTime(),
            stopDate: e.stopDate?.getTime() ?? null,
            error: e.error ?? null,
            cause: e.cause ?? null,
          }),
        },
      ],
    });
  });

  ownServices.EventBridge = eventBridgeService(busReady);
  ownServices.SFN = stepFunctionsService(engine);

  // The bus's log persists with the rest: restored before anything is logged at this start.
  const eventLogStore = options.dataDir ? new EventLogStore(options.dataDir) : undefined;
  if (eventLogStore && options.fresh) await eventLogStore.remove();
  else if (eventLogStore) {
    const savedEvents = await loadSaved(eventLogStore.file, () => eventLogStore.load());
    if (savedEvents) busReady.eventLog.restore(savedEvents);
  }

  // Executions persist with the cloud: those the last stop cut off continue where they stood.
  const resumed: string[] = [];
  const executionStore = options.dataDir ? new ExecutionStore(options.dataDir) : undefined;
  const checkpointing = options.dataDir !== undefined && options.checkpoints !== false;
  const saved = options.fresh ? undefined : await loadExecutions(executionStore);
  if (executionStore && options.fresh) await executionStore.remove();
  else if (executionStore && saved) {
    // Without checkpoints they are taken: until the next clean stop writes them anew, a crash must
    // not redrive these a second time against a cloud that moved on. With checkpoints they stay:
    // this runtime holds the directory alone and its checkpoints replace them as soon as anything
    // changes; a crash before that leaves cloud and executions as they were, to redrive again.
    if (!checkpointing) await executionStore.remove();
    // A clean stop leaves no execution RUNNING; a checkpoint does, when a crash followed it. Those
    // are cut off now as the stop would have cut them off, and redriven alike.
    const interrupted = {
      error: RUNTIME_STOPPED,
      cause: `The local runtime${lock?.tookOverFrom ? ` (pid ${lock.tookOverFrom.pid})` : ""} ended without a clean stop while this execution ran; the next start redrove it from its last checkpoint.`,
    };
    for (const arn of engine.importExecutions(saved, { interrupted })) {
      if (engine.describeExecution(arn).error !== RUNTIME_STOPPED) continue;
      engine.redriveExecution(arn);
      resumed.push(arn);
    }
  }

  // What the last runtime acknowledged after its last checkpoint is applied again, in order.
  let journal: Journal<AcknowledgedRecord> | undefined;
  let replayed: ReplayReport = { started: [], events: [], failed: [] };
  if (options.dataDir && checkpointing && options.journal !== false) {
    const journalDir = join(options.dataDir, "journal");
    if (options.fresh) await rm(journalDir, { recursive: true, force: true });
    const opened = await loadSaved(journalDir, () => Journal.open<AcknowledgedRecord>(journalDir));
    journal = opened.journal;
    replayed = replayAcknowledged(opened.records, { engine, bus: busReady });
    for (const { lsn, reason } of replayed.failed) {
      process.stderr.write(`cplane: journal record ${lsn} could not be applied again: ${reason}\n`);
    }
  }
  const served = journal ? journaledServices(Object.values(ownServices), journal, busReady) : undefined;

  /**
   * One moment of the runtime on disk: clock, executions and cloud are taken synchronously, then
   * committed clock first, cloud next, executions last, each file atomically. A crash between two
   * commits leaves time ahead of the cloud and the cloud ahead of the executions, never the other
   * way: a redrive then reruns a step whose effects may already be there, which handlers are
   * written for (never one whose effects are missing).
   */
  async function writeState(dataDir: string): Promise<CheckpointReport> {
    const started = performance.now();
    const now = clock.now();
    // The journal's records up to here are in the state taken now (each is appended after its act).
    const journaledUpTo = journal?.rotate();
    const writeExecutions = executionStore?.capture(engine);
    const writeEvents = eventLogStore?.capture(busReady.eventLog);
    const clockWritten = writeAtomically(
      join(dataDir, "clock.json"),
      JSON.stringify({ now, speed: formatClockMode(clock.chosenMode) }),
    );
    const cloudSaved = cloud.save({ commitAfter: clockWritten, background: true });
    const captureMs = performance.now() - started;
    const [clockBytes, { bytes: cloudBytes }] = await Promise.all([clockWritten, cloudSaved]);
    const executionsBytes = (await writeExecutions?.()) ?? 0;
    // After the executions: an event on disk has the executions its deliveries started on disk too.
    const eventsBytes = (await writeEvents?.()) ?? 0;
    // Last: the journal's records this state includes are no longer needed.
    if (journaledUpTo !== undefined) await journal?.cover(journaledUpTo);
    return { clock: now, captureMs, bytes: clockBytes + cloudBytes + executionsBytes + eventsBytes };
  }

  const dataDir = options.dataDir;
  let checkpoints: Checkpoints | undefined;
  if (dataDir && checkpointing) {
    const reported = new Set<string>();
    const live = new Checkpoints({
      write: () => writeState(dataDir),
      timing: options.checkpoints || undefined,
      onError: (error) => {
        // Said once per distinct failure; the status (GET /_cplane/checkpoint) keeps the latest.
        const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        if (reported.has(message)) return;
        reported.add(message);
        process.stderr.write(`cplane: a checkpoint of ${dataDir} failed (retried): ${message}\n`);
      },
    });
    checkpoints = live;
  }

  const orphans = loaded ? await failOrphanedTenants(engine, functions) : [];

  // Checkpoints from here on (a start that failed before must write nothing after releasing the lock).
  if (checkpoints) {
    const live = checkpoints;
    // Changes by the schedules' own runs wait longer for their checkpoint (checkpoints.ts).
    const changed = () => live.changed(inBackground() ? "background" : "request");
    engine.onChange(changed);
    cloud.onChange(changed);
    // A speed changed while running is state too: the next start without --speed takes it up.
    clock.onModeChange(() => live.changed());
    busReady.onLog(changed);
    // What this start loaded, redrove and created is the first state to write.
    live.changed();
  }

  return {
    clock,
    cloud,
    services: served ?? Object.values(ownServices),
    journal,
    replayed,
    bootstrapped: created,
    resumed,
    orphans,
    dataDir,
    checkpoints,
    recoveredFrom: lock?.tookOverFrom,
    clockSpeedFrom,
    region,
    secondaryRegion,
    engine,
    bus: busReady,
    scheduler,
    functions,
    rules,
    schedules: scheduleStatus,
    iam: authorizer,
    stateMachineArn(workflow: string): string {
      const arn = stateMachines.get(workflow);
      if (!arn)
        throw new Error(`no workflow named ${workflow}; known: ${[...stateMachines.keys()].join(", ")}`);
      return arn;
    },
    async close() {
      try {
        await stop();
      } finally {
        await lock?.release();
      }
    },
  };

  async function stop(): Promise<void> {
    // Nothing new starts while the runtime winds down: no schedule fires, no status event is published.
    scheduler.dispose();
    if (authorizer) recordUsage(authorizer.used);
    unsubscribe();
    // A checkpoint in flight lands first; the final state below is written the same way.
    await checkpoints?.close();
    // Step Functions would carry on; a stopped runtime cannot. Stop what runs, naming why, so
    // that the next start redrives it from the state it was in (handlers are safe to rerun).
    const running = engine
      .executionStamps()
      .filter((e) => e.running)
      .map((e) => e.arn);
    for (const arn of running) {
      engine.stopExecution(arn, {
        error: RUNTIME_STOPPED,
        cause: "The local runtime stopped while this execution ran; the next start redrives it.",
      });
    }
    await Promise.all(running.map((arn) => engine.waitForExecution(arn)));
    if (dataDir) await writeState(dataDir);
    await journal?.close();
    await cloud.close();
    // Handlers keep Kubernetes access per cluster name: this runtime's API servers are gone, and a
    // next runtime in this process serves the same names elsewhere.
    clearKubernetesCache();
    // A handler still unwinding must not reach real AWS with the local credentials.
    bindLocalCloud({
      send: async (call) => {
        throw new Error(`the local runtime is closed (${call.service}:${call.operation})`);
      },
    });
    clock.dispose();
  }
}
