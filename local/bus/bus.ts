/**
 * The local EventBridge: event buses (`default` and ours), PutEvents with EventBridge's validation
 * and per-entry results, rules and targets with the API's field and error names (the local server
 * speaks the AWS JSON 1.1 protocol over these methods), delivery through a pluggable dispatcher with
 * a retry policy on the virtual clock, a dead-letter log, per-rule metrics, and an event log with
 * replay. local/bus/README.md states the rules for what a target receives, with their AWS sources.
 */
import { createHash, randomUUID } from "node:crypto";
import type { Clock } from "../clock/clock.ts";
import { MAX_JSON_DEPTH, nestedDeeperThan } from "../engine/json.ts";
import { EventLog, type LoggedEvent } from "./event-log.ts";
import {
  type TargetInputConfig,
  targetInput,
  UndeliverableInputError,
  validateTargetInput,
} from "./input.ts";
import {
  type CompiledPattern,
  compilePattern,
  InvalidEventPatternException,
  testEventPattern,
} from "./pattern.ts";
import { createRuleSet, type RuleSet } from "./ruleset.ts";

/** Errors carry AWS's error names; the server puts `name` into `__type`. */
export class EventBridgeApiError extends Error {
  constructor(
    name: "ResourceNotFoundException" | "ValidationException" | "ResourceAlreadyExistsException",
    message: string,
  ) {
    super(message);
    this.name = name;
  }
}

/**
 * One delivery of one event to one target: `id` is the same every time this event reaches this target
 * through this rule (retries, and a replay of the event after a crash), and UUID-shaped, so that it can
 * name what the delivery starts and a second delivery finds it there.
 */
export interface DeliveryKey {
  readonly id: string;
}

/** How targets are reached; the runtime provides it, the bus knows nothing of the engine. */
export interface TargetDispatcher {
  /**
   * `roleArn` is the target's `RoleArn`: what the start is made as. An error with an `errorCode` (such as
   * `NO_PERMISSIONS`) is one retrying cannot mend: dead-lettered at once with that code.
   */
  startExecution(
    stateMachineArn: string,
    input: string,
    delivery?: DeliveryKey,
    roleArn?: string,
  ): Promise<unknown>;
  invokeFunction(functionArn: string, payload: string): Promise<unknown>;
  /** Any other target type (SQS, SNS, another bus...); without it such targets fail. */
  deliver?(arn: string, input: string): Promise<unknown>;
}

export interface PutEventsRequestEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  EventBusName?: string;
  Resources?: string[];
  /** A Date, epoch seconds (the JSON protocol) or an ISO string. */
  Time?: Date | number | string;
  TraceHeader?: string;
}

export interface PutEventsResultEntry {
  EventId?: string;
  ErrorCode?: string;
  ErrorMessage?: string;
}

export interface PutEventsResponse {
  FailedEntryCount: number;
  Entries: PutEventsResultEntry[];
}

export interface EventEnvelope {
  version: "0";
  id: string;
  "detail-type": string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
  "replay-name"?: string;
}

export interface RetryPolicy {
  MaximumRetryAttempts?: number;
  MaximumEventAgeInSeconds?: number;
}

export interface Target extends TargetInputConfig {
  Id: string;
  Arn: string;
  RoleArn?: string;
  RetryPolicy?: RetryPolicy;
  DeadLetterConfig?: { Arn?: string };
}

/** Targets EventBridge reaches only as the target's `RoleArn` ("Permissions for targets", EventBridge User Guide). */
const ROLE_REQUIRED =
  /^arn:aws[\w-]*:(states:[^:]*:[^:]*:stateMachine:|kinesis:[^:]*:[^:]*:stream\/|codebuild:)/;

export interface PutRuleRequest {
  Name: string;
  EventPattern?: string;
  ScheduleExpression?: string;
  /** `ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS` matches as `ENABLED` does (we have no CloudTrail). */
  State?: RuleStateName;
  Description?: string;
  EventBusName?: string;
}

export type RuleStateName = "ENABLED" | "DISABLED" | "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS";

export interface RuleDescription {
  Name: string;
  Arn: string;
  EventPattern?: string;
  ScheduleExpression?: string;
  State: RuleStateName;
  Description?: string;
  EventBusName: string;
  CreatedBy: string;
}

export interface DeadLetter {
  readonly event: EventEnvelope;
  readonly ruleArn: string;
  readonly targetId: string;
  readonly targetArn: string;
  readonly deadLetterArn: string | undefined;
  readonly attempts: number;
  readonly errorCode: string;
  readonly errorMessage: string;
  readonly time: string;
}

export interface Delivery {
  readonly eventId: string;
  readonly ruleName: string;
  readonly targetId: string;
  readonly targetArn: string;
  readonly input: string;
  readonly attempt: number;
  readonly ok: boolean;
  readonly error?: string;
}

/**
 * A rule's counters, as EventBridge reports them in CloudWatch (AWS/Events, by RuleName):
 * `Invocations` counts each target invocation that succeeded or failed for good (retries are not
 * counted until they fail for good), `FailedInvocations` those that failed for good,
 * `InvocationsSentToDlq` the failed ones put into the target's dead-letter queue.
 */
export interface RuleMetrics {
  MatchedEvents: number;
  Invocations: number;
  FailedInvocations: number;
  InvocationsSentToDlq: number;
}

export type { LoggedEvent } from "./event-log.ts";

export interface LocalEventBridgeOptions {
  clock: Clock;
  dispatcher: TargetDispatcher;
  region?: string;
  account?: string;
  /** Custom buses besides `default`. Default: `["cplane"]`. */
  buses?: readonly string[];
  /** How many events the log keeps (oldest dropped first). Default 10,000. */
  eventLogLimit?: number;
  /** How long (simulated ms) the log keeps an event. Default 7 days. */
  eventLogMaxAgeMs?: number;
  /** Back-off before retry `attempt` (1-based), in ms. Default: 1 s doubling, capped at 5 min. */
  backoffMs?: (attempt: number) => number;
}

interface RuleState {
  description: RuleDescription;
  pattern: CompiledPattern | undefined;
  targets: Map<string, Target>;
  metrics: RuleMetrics;
}

interface BusState {
  name: string;
  arn: string;
  rules: Map<string, RuleState>;
  ruleSet: RuleSet<string> | undefined;
}

export const MAX_ENTRIES = 10;
export const MAX_REQUEST_BYTES = 256 * 1024;
const DEFAULT_RETRY_ATTEMPTS = 185;
const DEFAULT_EVENT_AGE_SECONDS = 86_400;

export type LocalEventBridge = ReturnType<typeof createLocalEventBridge>;

export function createLocalEventBridge(options: LocalEventBridgeOptions) {
  const { clock, dispatcher } = options;
  const region = options.region ?? "us-east-1";
  const account = options.account ?? "000000000000";
  const eventLog = new EventLog(() => clock.now(), {
    ...(options.eventLogLimit !== undefined ? { count: options.eventLogLimit } : {}),
    ...(options.eventLogMaxAgeMs !== undefined ? { maxAgeMs: options.eventLogMaxAgeMs } : {}),
  });
  const backoffMs = options.backoffMs ?? ((attempt: number) => Math.min(1000 * 2 ** (attempt - 1), 300_000));
  const buses = new Map<string, BusState>();
  const logListeners = new Set<(logged: LoggedEvent) => void>();
  const deadLetters: DeadLetter[] = [];
  const deliveries: Delivery[] = [];
  const inFlight = new Set<Promise<void>>();
  let pendingRetries = 0;

  const busArn = (name: string) => `arn:aws:events:${region}:${account}:event-bus/${name}`;
  for (const name of ["default", ...(options.buses ?? ["cplane"])]) {
    buses.set(name, { name, arn: busArn(name), rules: new Map(), ruleSet: undefined });
  }

  const busNameOf = (nameOrArn: string | undefined): string => {
    if (!nameOrArn) return "default";
    const arn = /^arn:aws[\w-]*:events:[^:]*:[^:]*:event-bus\/(.+)$/.exec(nameOrArn);
    return arn?.[1] ?? nameOrArn;
  };

  const getBus = (nameOrArn: string | undefined): BusState => {
    const name = busNameOf(nameOrArn);
    const bus = buses.get(name);
    if (!bus) throw new EventBridgeApiError("ResourceNotFoundException", `Event bus ${name} does not exist.`);
    return bus;
  };

  const getRule = (name: string, busName: string | undefined): { bus: BusState; rule: RuleState } => {
    const bus = getBus(busName);
    const rule = bus.rules.get(name);
    if (!rule) {
      throw new EventBridgeApiError(
        "ResourceNotFoundException",
        `Rule ${name} does not exist on EventBus ${bus.name}.`,
      );
    }
    return { bus, rule };
  };

  const ruleArn = (bus: string, name: string) =>
    `arn:aws:events:${region}:${account}:rule/${bus === "default" ? "" : `${bus}/`}${name}`;

  const rebuild = (bus: BusState): void => {
    const patterns = new Map<string, unknown>();
    for (const [name, rule] of bus.rules) {
      if (rule.description.State !== "DISABLED" && rule.description.EventPattern !== undefined) {
        patterns.set(name, rule.description.EventPattern);
      }
    }
    bus.ruleSet = patterns.size > 0 ? createRuleSet(patterns) : undefined;
  };

  const isoSeconds = (ms: number) =>
    new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");

  function entrySize(entry: PutEventsRequestEntry): number {
    let size = entry.Time === undefined ? 0 : 14;
    for (const text of [entry.Source, entry.DetailType, entry.Detail, ...(entry.Resources ?? [])]) {
      if (text) size += Buffer.byteLength(text, "utf8");
    }
    return size;
  }

  function eventTime(time: PutEventsRequestEntry["Time"]): number | undefined {
    if (time === undefined) return clock.now();
    const ms =
      time instanceof Date ? time.getTime() : typeof time === "number" ? time * 1000 : Date.parse(time);
    return Number.isFinite(ms) ? ms : undefined;
  }

  function validateEntry(
    entry: PutEventsRequestEntry,
  ): PutEventsResultEntry | { event: EventEnvelope; bus: BusState } {
    const missing = (["Source", "DetailType", "Detail"] as const).filter((key) => !entry[key]);
    if (missing.length > 0) {
      return {
        ErrorCode: "InvalidArgument",
        ErrorMessage: `Parameter(s) ${missing.join(",")} is(are) required.`,
      };
    }
    let detail: unknown;
    try {
      detail = JSON.parse(entry.Detail as string);
    } catch {
      detail = undefined;
    }
    if (typeof detail !== "object" || detail === null || Array.isArray(detail)) {
      return { ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." };
    }
    // EventBridge processes JSON nested up to 1,000 levels; deeper, nothing downstream could serialize it.
    if (nestedDeeperThan(detail, MAX_JSON_DEPTH)) {
      return {
        ErrorCode: "MalformedDetail",
        ErrorMessage: `Detail is malformed: it nests JSON deeper than ${MAX_JSON_DEPTH} levels.`,
      };
    }
    const time = eventTime(entry.Time);
    if (time === undefined)
      return { ErrorCode: "InvalidArgument", ErrorMessage: "Parameter Time is not valid." };
    const bus = buses.get(busNameOf(entry.EventBusName));
    if (!bus) {
      return {
        ErrorCode: "ResourceNotFoundException",
        ErrorMessage: `Event bus ${busNameOf(entry.EventBusName)} does not exist.`,
      };
    }
    return {
      bus,
      event: {
        version: "0",
        id: randomUUID(),
        "detail-type": entry.DetailType as string,
        source: entry.Source as string,
        account,
        time: isoSeconds(time),
        region,
        resources: entry.Resources ?? [],
        detail: detail as Record<string, unknown>,
      },
    };
  }

  function route(bus: BusState, event: EventEnvelope, onlyRules?: ReadonlySet<string>): void {
    const ingestedAt = clock.now();
    const names = bus.ruleSet?.match(event) ?? [];
    for (const name of names) {
      if (onlyRules && !onlyRules.has(ruleArn(bus.name, name))) continue;
      const rule = bus.rules.get(name);
      if (!rule) continue;
      rule.metrics.MatchedEvents++;
      for (const target of rule.targets.values()) deliver(event, ingestedAt, rule.description, target, 1);
    }
  }

  /** Stable across retries and a replay after a crash; a StartReplay is a delivery of its own. */
  function deliveryKey(event: EventEnvelope, rule: RuleDescription, target: Target): DeliveryKey {
    const hex = createHash("sha256")
      .update(`${event.id}\n${event["replay-name"] ?? ""}\n${rule.Arn}\n${target.Id}`)
      .digest("hex");
    return {
      id: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`,
    };
  }

  const metricsOf = (rule: RuleDescription): RuleMetrics | undefined =>
    buses.get(rule.EventBusName)?.rules.get(rule.Name)?.metrics;

  function deliver(
    event: EventEnvelope,
    ingestedAt: number,
    rule: RuleDescription,
    target: Target,
    attempt: number,
  ): void {
    let input: string;
    try {
      input = targetInput(event as unknown as Record<string, unknown>, target, {
        ruleArn: rule.Arn,
        ruleName: rule.Name,
        ingestionTime: isoSeconds(ingestedAt),
      });
    } catch (error) {
      // EventBridge does not deliver an input it cannot build, and trying again builds the same
      // input: a failed invocation at once, into the dead-letter queue if the target has one.
      const code = error instanceof UndeliverableInputError ? error.errorCode : "InputTransformationError";
      failedForGood(event, rule, target, attempt, code, (error as Error).message);
      return;
    }
    const work = (async () => {
      try {
        await send(target, input, deliveryKey(event, rule, target));
        const metrics = metricsOf(rule);
        if (metrics) metrics.Invocations++;
        deliveries.push({
          eventId: event.id,
          ruleName: rule.Name,
          targetId: target.Id,
          targetArn: target.Arn,
          input,
          attempt,
          ok: true,
        });
      } catch (error) {
        const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        deliveries.push({
          eventId: event.id,
          ruleName: rule.Name,
          targetId: target.Id,
          targetArn: target.Arn,
          input,
          attempt,
          ok: false,
          error: message,
        });
        retryOrDeadLetter(event, ingestedAt, rule, target, attempt, error);
      }
    })();
    const tracked = clock.track(work);
    inFlight.add(tracked);
    void tracked.finally(() => inFlight.delete(tracked));
  }

  function send(target: Target, input: string, key: DeliveryKey): Promise<unknown> {
    const arn = target.Arn;
    if (/^arn:aws[\w-]*:states:[^:]*:[^:]*:stateMachine:/.test(arn))
      return dispatcher.startExecution(arn, input, key, target.RoleArn);
    if (/^arn:aws[\w-]*:lambda:[^:]*:[^:]*:function:/.test(arn)) return dispatcher.invokeFunction(arn, input);
    if (dispatcher.deliver) return dispatcher.deliver(arn, input);
    return Promise.reject(
      new EventBridgeApiError("ValidationException", `No local dispatcher for target ${arn}`),
    );
  }

  function retryOrDeadLetter(
    event: EventEnvelope,
    ingestedAt: number,
    rule: RuleDescription,
    target: Target,
    attempt: number,
    error: unknown,
  ): void {
    const maxRetries = target.RetryPolicy?.MaximumRetryAttempts ?? DEFAULT_RETRY_ATTEMPTS;
    const maxAgeMs = (target.RetryPolicy?.MaximumEventAgeInSeconds ?? DEFAULT_EVENT_AGE_SECONDS) * 1000;
    const delay = backoffMs(attempt);
    const age = clock.now() + delay - Date.parse(event.time);
    const code = error instanceof Error ? error.name : "Error";
    const message = error instanceof Error ? error.message : String(error);
    // Missing permissions to the target: "no retry attempts", straight to the dead-letter queue.
    const permanent = (error as { errorCode?: unknown } | undefined)?.errorCode;
    if (typeof permanent === "string") {
      failedForGood(event, rule, target, attempt, permanent, message);
      return;
    }
    if (attempt > maxRetries) {
      failedForGood(
        event,
        rule,
        target,
        attempt,
        code,
        `retries exhausted after ${attempt} attempts: ${message}`,
      );
      return;
    }
    if (age > maxAgeMs) {
      failedForGood(event, rule, target, attempt, code, `event older than ${maxAgeMs / 1000} s: ${message}`);
      return;
    }
    pendingRetries++;
    clock.setTimer(delay, () => {
      pendingRetries--;
      const current = buses.get(rule.EventBusName)?.rules.get(rule.Name)?.targets.get(target.Id);
      if (current) deliver(event, ingestedAt, rule, current, attempt + 1);
    });
  }

  /** An invocation that failed for good: counted, and kept in the dead-letter log. */
  function failedForGood(
    event: EventEnvelope,
    rule: RuleDescription,
    target: Target,
    attempts: number,
    code: string,
    message: string,
  ) {
    const metrics = metricsOf(rule);
    if (metrics) {
      metrics.Invocations++;
      metrics.FailedInvocations++;
      if (target.DeadLetterConfig?.Arn) metrics.InvocationsSentToDlq++;
    }
    deadLetters.push({
      event,
      ruleArn: rule.Arn,
      targetId: target.Id,
      targetArn: target.Arn,
      deadLetterArn: target.DeadLetterConfig?.Arn,
      attempts,
      errorCode: code,
      errorMessage: message,
      time: new Date(clock.now()).toISOString(),
    });
  }

  function log(logged: LoggedEvent): void {
    eventLog.append(logged);
    for (const listener of logListeners) listener(logged);
  }

  return {
    region,
    account,

    putEvents(request: { Entries: PutEventsRequestEntry[] }): PutEventsResponse {
      const entries = request.Entries;
      if (!Array.isArray(entries) || entries.length === 0 || entries.length > MAX_ENTRIES) {
        throw new EventBridgeApiError(
          "ValidationException",
          `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to ${MAX_ENTRIES} and greater than or equal to 1`,
        );
      }
      const total = entries.reduce((sum, entry) => sum + entrySize(entry), 0);
      if (total > MAX_REQUEST_BYTES) {
        throw new EventBridgeApiError(
          "ValidationException",
          "Total size of the entries in the request is over the limit.",
        );
      }
      const results: PutEventsResultEntry[] = [];
      let failed = 0;
      for (const entry of entries) {
        const checked = validateEntry(entry);
        if (!("event" in checked)) {
          failed++;
          results.push(checked);
          continue;
        }
        log({ busName: checked.bus.name, ingestedAt: clock.now(), event: checked.event });
        route(checked.bus, checked.event);
        results.push({ EventId: checked.event.id });
      }
      return { FailedEntryCount: failed, Entries: results };
    },

    putRule(request: PutRuleRequest): { RuleArn: string } {
      const bus = getBus(request.EventBusName);
      if (!/^[.\-_A-Za-z0-9]{1,64}$/.test(request.Name ?? "")) {
        throw new EventBridgeApiError(
          "ValidationException",
          `Rule name "${request.Name}" must match [.\\-_A-Za-z0-9]+ (1-64)`,
        );
      }
      if (request.EventPattern === undefined && request.ScheduleExpression === undefined) {
        throw new EventBridgeApiError(
          "ValidationException",
          "Parameter(s) EventPattern or ScheduleExpression must be specified.",
        );
      }
      const pattern = request.EventPattern === undefined ? undefined : compilePattern(request.EventPattern);
      const existing = bus.rules.get(request.Name);
      const description: RuleDescription = {
        Name: request.Name,
        Arn: ruleArn(bus.name, request.Name),
        EventPattern: request.EventPattern,
        ScheduleExpression: request.ScheduleExpression,
        State: request.State ?? "ENABLED",
        Description: request.Description,
        EventBusName: bus.name,
        CreatedBy: account,
      };
      bus.rules.set(request.Name, {
        description,
        pattern,
        targets: existing?.targets ?? new Map(),
        metrics: existing?.metrics ?? {
          MatchedEvents: 0,
          Invocations: 0,
          FailedInvocations: 0,
          InvocationsSentToDlq: 0,
        },
      });
      rebuild(bus);
      return { RuleArn: description.Arn };
    },

    deleteRule(request: { Name: string; EventBusName?: string; Force?: boolean }): void {
      const bus = getBus(request.EventBusName);
      const rule = bus.rules.get(request.Name);
      if (!rule) return;
      if (rule.targets.size > 0 && !request.Force) {
        throw new EventBridgeApiError("ValidationException", "Rule can't be deleted since it has targets.");
      }
      bus.rules.delete(request.Name);
      rebuild(bus);
    },

    describeRule(request: { Name: string; EventBusName?: string }): RuleDescription {
      return { ...getRule(request.Name, request.EventBusName).rule.description };
    },

    enableRule(request: { Name: string; EventBusName?: string }): void {
      const { bus, rule } = getRule(request.Name, request.EventBusName);
      rule.description.State = "ENABLED";
      rebuild(bus);
    },

    disableRule(request: { Name: string; EventBusName?: string }): void {
      const { bus, rule } = getRule(request.Name, request.EventBusName);
      rule.description.State = "DISABLED";
      rebuild(bus);
    },

    listRules(
      request: { NamePrefix?: string; EventBusName?: string; Limit?: number; NextToken?: string } = {},
    ): {
      Rules: RuleDescription[];
      NextToken?: string;
    } {
      const bus = getBus(request.EventBusName);
      const all = [...bus.rules.values()]
        .map((r) => r.description)
        .filter((r) => !request.NamePrefix || r.Name.startsWith(request.NamePrefix))
        .sort((a, b) => compareNames(a.Name, b.Name));
      // The token names the last rule returned (rules are listed by name), so rules put or deleted
      // while a caller pages neither repeat nor skip the rules it has not seen yet.
      const after = request.NextToken === undefined ? undefined : ruleTokenName(request.NextToken);
      const limit = request.Limit ?? 100;
      if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
        throw new EventBridgeApiError(
          "ValidationException",
          `1 validation error detected: Value '${limit}' at 'limit' failed to satisfy constraint: Member must have value between 1 and 100`,
        );
      }
      const rest = after === undefined ? all : all.filter((r) => compareNames(r.Name, after) > 0);
      const page = rest.slice(0, limit).map((r) => ({ ...r }));
      const last = page.at(-1);
      return rest.length > limit && last ? { Rules: page, NextToken: ruleToken(last.Name) } : { Rules: page };
    },

    putTargets(request: { Rule: string; EventBusName?: string; Targets: Target[] }): {
      FailedEntryCount: number;
      FailedEntries: { TargetId: string; ErrorCode: string; ErrorMessage: string }[];
    } {
      const { rule } = getRule(request.Rule, request.EventBusName);
      const failed: { TargetId: string; ErrorCode: string; ErrorMessage: string }[] = [];
      if (!Array.isArray(request.Targets) || request.Targets.length === 0 || request.Targets.length > 10) {
        throw new EventBridgeApiError("ValidationException", "Targets must hold between 1 and 10 targets.");
      }
      // Every target is checked before any is stored: a refused request changes nothing.
      for (const target of request.Targets) {
        if (!target.Id || !/^[.\-_A-Za-z0-9]{1,64}$/.test(target.Id) || !target.Arn) {
          throw new EventBridgeApiError(
            "ValidationException",
            "Each target needs an Id ([.\\-_A-Za-z0-9]{1,64}) and an Arn.",
          );
        }
        // EventBridge starts a state machine (and writes to a Kinesis stream, starts a CodeBuild build) only
        // as the role the target names, and refuses the whole request without one (400, as AWS answers:
        // hashicorp/terraform-provider-aws#19913, localstack/localstack#8224).
        if (ROLE_REQUIRED.test(target.Arn) && !target.RoleArn) {
          throw new EventBridgeApiError(
            "ValidationException",
            `RoleArn is required for target ${target.Arn}.`,
          );
        }
        try {
          validateTargetInput(target);
        } catch (error) {
          throw new EventBridgeApiError("ValidationException", (error as Error).message);
        }
        const retries = target.RetryPolicy?.MaximumRetryAttempts;
        const age = target.RetryPolicy?.MaximumEventAgeInSeconds;
        if (
          (retries !== undefined && !(retries >= 0 && retries <= 185)) ||
          (age !== undefined && !(age >= 60 && age <= 86_400))
        ) {
          throw new EventBridgeApiError(
            "ValidationException",
            "RetryPolicy: MaximumRetryAttempts must be 0-185 and MaximumEventAgeInSeconds 60-86400.",
          );
        }
      }
      for (const target of request.Targets) {
        if (!rule.targets.has(target.Id) && rule.targets.size >= 5) {
          failed.push({
            TargetId: target.Id,
            ErrorCode: "LimitExceededException",
            ErrorMessage: "A rule can have at most 5 targets.",
          });
          continue;
        }
        rule.targets.set(target.Id, structuredClone(target));
      }
      return { FailedEntryCount: failed.length, FailedEntries: failed };
    },

    removeTargets(request: { Rule: string; EventBusName?: string; Ids: string[] }): {
      FailedEntryCount: number;
      FailedEntries: [];
    } {
      const { rule } = getRule(request.Rule, request.EventBusName);
      for (const id of request.Ids) rule.targets.delete(id);
      return { FailedEntryCount: 0, FailedEntries: [] };
    },

    listTargetsByRule(request: { Rule: string; EventBusName?: string }): { Targets: Target[] } {
      const { rule } = getRule(request.Rule, request.EventBusName);
      return { Targets: [...rule.targets.values()].map((t) => structuredClone(t)) };
    },

    testEventPattern(request: { EventPattern: string; Event: string }): { Result: boolean } {
      try {
        return { Result: testEventPattern(request.EventPattern, request.Event) };
      } catch (error) {
        if (error instanceof InvalidEventPatternException) throw error;
        throw new EventBridgeApiError("ValidationException", (error as Error).message);
      }
    },

    listEventBuses(): { EventBuses: { Name: string; Arn: string }[] } {
      return { EventBuses: [...buses.values()].map((b) => ({ Name: b.name, Arn: b.arn })) };
    },

    /** The event log, oldest first; filter by bus and ingestion time (epoch ms, inclusive). */
    events(filter: { busName?: string; from?: number; to?: number } = {}): LoggedEvent[] {
      return eventLog
        .all()
        .filter(
          (e) =>
            (!filter.busName || e.busName === busNameOf(filter.busName)) &&
            (filter.from === undefined || e.ingestedAt >= filter.from) &&
            (filter.to === undefined || e.ingestedAt <= filter.to),
        );
    },

    /**
     * Replays logged events of a bus ingested in [EventStartTime, EventEndTime] through its current
     * rules (optionally only `FilterArns` rules), as StartReplay does; replayed events carry `replay-name`.
     */
    startReplay(request: {
      ReplayName: string;
      EventBusName?: string;
      EventStartTime: Date;
      EventEndTime: Date;
      FilterArns?: string[];
    }): { ReplayedCount: number } {
      const bus = getBus(request.EventBusName);
      if (request.EventEndTime.getTime() < request.EventStartTime.getTime()) {
        throw new EventBridgeApiError("ValidationException", "EventEndTime must be after EventStartTime.");
      }
      const selected = eventLog
        .all()
        .filter(
          (e) =>
            e.busName === bus.name &&
            e.ingestedAt >= request.EventStartTime.getTime() &&
            e.ingestedAt <= request.EventEndTime.getTime() &&
            e.event["replay-name"] === undefined,
        );
      const only = request.FilterArns ? new Set(request.FilterArns) : undefined;
      for (const logged of selected) route(bus, { ...logged.event, "replay-name": request.ReplayName }, only);
      return { ReplayedCount: selected.length };
    },

    /** A rule's counters since it was created (see RuleMetrics). */
    ruleMetrics(request: { Name: string; EventBusName?: string }): RuleMetrics {
      return { ...getRule(request.Name, request.EventBusName).rule.metrics };
    },

    /** The log itself: its retention, and what a store saves and restores. */
    eventLog,

    /** Tells `listener` of every event logged (for checkpoints: the log is part of the saved state). */
    onLog(listener: (logged: LoggedEvent) => void): () => void {
      logListeners.add(listener);
      return () => logListeners.delete(listener);
    },

    /**
     * Takes back an event ingested before a crash but not in the restored log: logs it as it was and
     * routes it through the current rules, each delivery with the key it had (so that what a delivery
     * already started is found, not started again). Returns false, doing nothing, for an event the
     * log holds.
     */
    reingest(logged: LoggedEvent): boolean {
      if (eventLog.get(logged.event.id)) return false;
      const bus = buses.get(logged.busName);
      if (!bus) return false;
      log(logged);
      route(bus, logged.event);
      return true;
    },

    deadLetters(): readonly DeadLetter[] {
      return deadLetters;
    },

    deliveries(): readonly Delivery[] {
      return deliveries;
    },

    /** Resolves when every delivery in flight has settled (retries scheduled on the clock excluded). */
    async drain(): Promise<void> {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },

    /** Retries waiting on the clock. */
    pendingRetries(): number {
      return pendingRetries;
    },
  };
}

/** Rule names in one fixed order (code units), which the page tokens rely on. */
function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A ListRules page token: the name of the last rule returned. */
function ruleToken(name: string): string {
  return Buffer.from(`r${name}`).toString("base64url");
}

function ruleTokenName(token: string): string {
  const text = Buffer.from(token, "base64url").toString();
  if (!text.startsWith("r") || text.length < 2 || ruleToken(text.slice(1)) !== token) {
    throw new EventBridgeApiError("ValidationException", `Invalid NextToken: '${token}'`);
  }
  return text.slice(1);
}
