/**
 * The local EventBridge Scheduler: schedules with the API's field names (CreateSchedule and
 * friends), run on the shared virtual clock, invoking targets through the same dispatcher as the
 * bus. Each invocation's Input may use Scheduler's context attributes
 * (`<aws.scheduler.scheduled-time>`, `<aws.scheduler.execution-id>`, `<aws.scheduler.attempt-number>`,
 * `<aws.scheduler.schedule-arn>`). Each target is reached as its `RoleArn` (required, as CreateSchedule
 * requires it: Scheduler assumes that role to invoke the target). A failing target is retried with
 * back-off under its RetryPolicy, then dead-lettered; each attempt and outcome is counted under
 * Scheduler's CloudWatch metric names (`AWS/Scheduler`, per schedule group).
 */
import { randomUUID } from "node:crypto";
import type { TargetDispatcher } from "../bus/bus.ts";
import { runInBackground } from "../clock/background.ts";
import type { Clock, TimerHandle } from "../clock/clock.ts";
import { atInstant, nextCronTime, parseScheduleExpression, type ScheduleExpression } from "./expression.ts";
import { assertTimeZone } from "./timezone.ts";

export class SchedulerApiError extends Error {
  constructor(
    name: "ValidationException" | "ResourceNotFoundException" | "ConflictException",
    message: string,
  ) {
    super(message);
    this.name = name;
  }
}

export interface ScheduleTarget {
  Arn: string;
  /** The role Scheduler assumes to invoke the target: required, as in the API. */
  RoleArn: string;
  Input?: string;
  RetryPolicy?: { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number };
  DeadLetterConfig?: { Arn?: string };
}

export interface CreateScheduleRequest {
  Name: string;
  GroupName?: string;
  ScheduleExpression: string;
  ScheduleExpressionTimezone?: string;
  StartDate?: Date;
  EndDate?: Date;
  FlexibleTimeWindow: { Mode: "OFF" | "FLEXIBLE"; MaximumWindowInMinutes?: number };
  State?: "ENABLED" | "DISABLED";
  Description?: string;
  Target: ScheduleTarget;
  ActionAfterCompletion?: "NONE" | "DELETE";
}

export interface ScheduleDescription extends CreateScheduleRequest {
  Arn: string;
  GroupName: string;
  State: "ENABLED" | "DISABLED";
  CreationDate: Date;
}

export interface Invocation {
  readonly scheduleName: string;
  readonly executionId: string;
  readonly scheduledTime: string;
  readonly invokedAt: string;
  readonly attempt: number;
  readonly input: string;
  readonly ok: boolean;
  readonly error?: string;
}

export interface SchedulerDeadLetter {
  readonly scheduleName: string;
  readonly executionId: string;
  readonly scheduledTime: string;
  readonly deadLetterArn: string | undefined;
  readonly attempts: number;
  /** The dead-letter message's ERROR_CODE: the error's `errorCode` (`NO_PERMISSIONS`...) or its name. */
  readonly errorCode: string;
  readonly error: string;
}

/**
 * A schedule group's counters, named as Scheduler publishes them in `AWS/Scheduler` ("Monitoring
 * Amazon EventBridge Scheduler with Amazon CloudWatch"): every attempt, the attempts the target
 * failed, and the runs that failed for good: sent to the dead-letter queue, or dropped without one.
 */
export interface ScheduleGroupMetrics {
  InvocationAttemptCount: number;
  TargetErrorCount: number;
  InvocationsSentToDeadLetterCount: number;
  InvocationDroppedCount: number;
}

export interface LocalSchedulerOptions {
  clock: Clock;
  dispatcher: TargetDispatcher;
  region?: string;
  account?: string;
  /** Uniform [0, 1) for flexible time windows; default Math.random. */
  random?: () => number;
  backoffMs?: (attempt: number) => number;
}

interface ScheduleState {
  description: ScheduleDescription;
  expression: ScheduleExpression;
  timer: TimerHandle | undefined;
  /** The last scheduled (not flexed) time planned, epoch ms. */
  cursor: number;
}

export type LocalScheduler = ReturnType<typeof createLocalScheduler>;

/** Target.RoleArn's pattern in the Scheduler API reference ("Target"). */
const ROLE_ARN = /^arn:aws(-[a-z]+)?:iam::\d{12}:role\/[\w+=,.@/-]+$/;

/**
 * CreateSchedule and UpdateSchedule refuse a target without a role, or with a role ARN that is not one,
 * worded as AWS's request validation words a constraint (the local server's models do the same).
 */
function validateRoleArn(roleArn: unknown): void {
  if (roleArn === undefined || roleArn === null) {
    throw new SchedulerApiError(
      "ValidationException",
      "1 validation error detected: Value null at 'target.roleArn' failed to satisfy constraint: Member must not be null",
    );
  }
  if (typeof roleArn !== "string" || roleArn.length > 1600 || !ROLE_ARN.test(roleArn)) {
    throw new SchedulerApiError(
      "ValidationException",
      `1 validation error detected: Value '${String(roleArn)}' at 'target.roleArn' failed to satisfy constraint: Member must satisfy regular expression pattern: ${ROLE_ARN.source.slice(1, -1)}`,
    );
  }
}

export function createLocalScheduler(options: LocalSchedulerOptions) {
  const { clock, dispatcher } = options;
  const region = options.region ?? "us-east-1";
  const account = options.account ?? "000000000000";
  const random = options.random ?? Math.random;
  const backoffMs = options.backoffMs ?? ((attempt: number) => Math.min(1000 * 2 ** (attempt - 1), 300_000));
  const schedules = new Map<string, ScheduleState>();
  const invocations: Invocation[] = [];
  const deadLetters: SchedulerDeadLetter[] = [];
  const metrics = new Map<string, ScheduleGroupMetrics>();
  const inFlight = new Set<Promise<unknown>>();

  const key = (group: string, name: string) => `${group}/${name}`;

  function validate(request: CreateScheduleRequest): ScheduleExpression {
    if (!/^[0-9a-zA-Z\-_.]{1,64}$/.test(request.Name ?? "")) {
      throw new SchedulerApiError(
        "ValidationException",
        `Schedule name "${request.Name}" must match [0-9a-zA-Z-_.]{1,64}`,
      );
    }
    let expression: ScheduleExpression;
    try {
      expression = parseScheduleExpression(request.ScheduleExpression ?? "");
      assertTimeZone(request.ScheduleExpressionTimezone ?? "UTC");
    } catch (error) {
      throw new SchedulerApiError("ValidationException", (error as Error).message);
    }
    const window = request.FlexibleTimeWindow;
    if (!window || (window.Mode !== "OFF" && window.Mode !== "FLEXIBLE")) {
      throw new SchedulerApiError("ValidationException", "FlexibleTimeWindow.Mode must be OFF or FLEXIBLE");
    }
    if (
      window.Mode === "FLEXIBLE" &&
      !(
        Number.isInteger(window.MaximumWindowInMinutes) &&
        (window.MaximumWindowInMinutes ?? 0) >= 1 &&
        (window.MaximumWindowInMinutes ?? 0) <= 1440
      )
    ) {
      throw new SchedulerApiError(
        "ValidationException",
        "FlexibleTimeWindow.MaximumWindowInMinutes must be 1-1440 when FLEXIBLE",
      );
    }
    if (window.Mode === "OFF" && window.MaximumWindowInMinutes !== undefined) {
      throw new SchedulerApiError(
        "ValidationException",
        "MaximumWindowInMinutes is only allowed when FLEXIBLE",
      );
    }
    if (request.StartDate && request.EndDate && request.EndDate.getTime() <= request.StartDate.getTime()) {
      throw new SchedulerApiError("ValidationException", "The EndDate must be after the StartDate.");
    }
    if (!request.Target?.Arn) throw new SchedulerApiError("ValidationException", "Target.Arn is required");
    validateRoleArn(request.Target.RoleArn);
    return expression;
  }

  /** The next scheduled time strictly after `after`, within Start/EndDate. */
  function nextTime(state: ScheduleState, after: number): number | undefined {
    const { description, expression } = state;
    const tz = description.ScheduleExpressionTimezone ?? "UTC";
    const start = description.StartDate?.getTime();
    const end = description.EndDate?.getTime();
    const from = start !== undefined ? Math.max(after, start - 1) : after;
    let next: number | undefined;
    if (expression.kind === "cron") next = nextCronTime(expression, from, tz, end);
    else if (expression.kind === "at") {
      const at = atInstant(expression, tz);
      next = at > after ? at : undefined;
    } else {
      // rate: every period from the start date (or creation), the first one period after it.
      const anchor = start ?? description.CreationDate.getTime();
      const periods = Math.floor((from - anchor) / expression.ms) + 1;
      next = anchor + Math.max(1, periods) * expression.ms;
    }
    if (next === undefined || (end !== undefined && next > end)) return undefined;
    return next;
  }

  function plan(state: ScheduleState): void {
    state.timer?.cancel();
    state.timer = undefined;
    if (state.description.State !== "ENABLED") return;
    const next = nextTime(state, state.cursor);
    if (next === undefined) return;
    const window = state.description.FlexibleTimeWindow;
    const flex =
      window.Mode === "FLEXIBLE" ? Math.floor(random() * (window.MaximumWindowInMinutes ?? 0) * 60_000) : 0;
    // A schedule recurs forever: it fires when time reaches it, but never makes an idle instant clock
    // jump to it on its own (tests move time with advance() or by waiting on something else).
    state.timer = clock.setTimerAt(
      Math.max(next + flex, clock.now()),
      () => {
        state.cursor = next;
        state.timer = undefined;
        // A run the schedule makes on its own is background work (local/clock/background.ts).
        runInBackground(() => void fire(state, next, randomUUID(), 1));
        plan(state);
        if (state.timer === undefined && state.description.ActionAfterCompletion === "DELETE") {
          schedules.delete(key(state.description.GroupName, state.description.Name));
        }
      },
      { background: true },
    );
  }

  function metricsOf(group: string): ScheduleGroupMetrics {
    let counters = metrics.get(group);
    if (!counters) {
      counters = {
        InvocationAttemptCount: 0,
        TargetErrorCount: 0,
        InvocationsSentToDeadLetterCount: 0,
        InvocationDroppedCount: 0,
      };
      metrics.set(group, counters);
    }
    return counters;
  }

  /** One attempt of a run; resolves with its invocation record once the target answered. */
  function fire(
    state: ScheduleState,
    scheduledTime: number,
    executionId: string,
    attempt: number,
  ): Promise<Invocation> {
    const { description } = state;
    const scheduled = new Date(scheduledTime).toISOString().replace(".000Z", "Z");
    const input = (description.Target.Input ?? "{}")
      .replaceAll("<aws.scheduler.scheduled-time>", scheduled)
      .replaceAll("<aws.scheduler.execution-id>", executionId)
      .replaceAll("<aws.scheduler.attempt-number>", String(attempt))
      .replaceAll("<aws.scheduler.schedule-arn>", description.Arn);
    const { Arn: arn, RoleArn: roleArn } = description.Target;
    const counters = metricsOf(description.GroupName);
    const work = (async (): Promise<Invocation> => {
      const invokedAt = new Date(clock.now()).toISOString();
      const run = {
        scheduleName: description.Name,
        executionId,
        scheduledTime: scheduled,
        invokedAt,
        attempt,
        input,
      };
      counters.InvocationAttemptCount++;
      try {
        // The run's execution id names the execution it starts: whoever holds the id (`runNow`'s caller,
        // the invocation log) finds the execution, and a retry of a start that did happen finds it there.
        // Every start is made as the target's role, which the dispatcher authorizes.
        if (/:states:[^:]*:[^:]*:stateMachine:/.test(arn))
          await dispatcher.startExecution(arn, input, { id: executionId }, roleArn);
        else if (/:lambda:[^:]*:[^:]*:function:/.test(arn)) await dispatcher.invokeFunction(arn, input);
        else if (dispatcher.deliver) await dispatcher.deliver(arn, input);
        else throw new SchedulerApiError("ValidationException", `No local dispatcher for target ${arn}`);
        const invocation: Invocation = { ...run, ok: true };
        invocations.push(invocation);
        return invocation;
      } catch (error) {
        const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        const invocation: Invocation = { ...run, ok: false, error: message };
        invocations.push(invocation);
        counters.TargetErrorCount++;
        const policy = description.Target.RetryPolicy;
        const delay = backoffMs(attempt);
        const tooOld =
          clock.now() + delay - scheduledTime > (policy?.MaximumEventAgeInSeconds ?? 86_400) * 1000;
        if (attempt > (policy?.MaximumRetryAttempts ?? 185) || tooOld) {
          const deadLetterArn = description.Target.DeadLetterConfig?.Arn;
          if (deadLetterArn) counters.InvocationsSentToDeadLetterCount++;
          else counters.InvocationDroppedCount++;
          const code = (error as { errorCode?: unknown } | undefined)?.errorCode;
          deadLetters.push({
            scheduleName: description.Name,
            executionId,
            scheduledTime: scheduled,
            deadLetterArn,
            attempts: attempt,
            errorCode: typeof code === "string" ? code : error instanceof Error ? error.name : "Error",
            error: message,
          });
        } else clock.setTimer(delay, () => void fire(state, scheduledTime, executionId, attempt + 1));
        return invocation;
      }
    })();
    const tracked = clock.track(work);
    inFlight.add(tracked);
    void tracked.finally(() => inFlight.delete(tracked));
    return tracked;
  }

  function get(name: string, group = "default"): ScheduleState {
    const state = schedules.get(key(group, name));
    if (!state) throw new SchedulerApiError("ResourceNotFoundException", `Schedule ${name} does not exist.`);
    return state;
  }

  function put(request: CreateScheduleRequest, creationDate: Date): { ScheduleArn: string } {
    const expression = validate(request);
    const group = request.GroupName ?? "default";
    const description: ScheduleDescription = {
      ...structuredClone(request),
      GroupName: group,
      State: request.State ?? "ENABLED",
      Arn: `arn:aws:scheduler:${region}:${account}:schedule/${group}/${request.Name}`,
      CreationDate: creationDate,
    };
    const state: ScheduleState = { description, expression, timer: undefined, cursor: clock.now() };
    schedules.get(key(group, request.Name))?.timer?.cancel();
    schedules.set(key(group, request.Name), state);
    plan(state);
    return { ScheduleArn: description.Arn };
  }

  return {
    createSchedule(request: CreateScheduleRequest): { ScheduleArn: string } {
      if (schedules.has(key(request.GroupName ?? "default", request.Name))) {
        throw new SchedulerApiError("ConflictException", `Schedule ${request.Name} already exists.`);
      }
      return put(request, clock.date());
    },

    updateSchedule(request: CreateScheduleRequest): { ScheduleArn: string } {
      const existing = get(request.Name, request.GroupName);
      return put(request, existing.description.CreationDate);
    },

    deleteSchedule(request: { Name: string; GroupName?: string }): void {
      const state = get(request.Name, request.GroupName);
      state.timer?.cancel();
      schedules.delete(key(state.description.GroupName, request.Name));
    },

    getSchedule(request: { Name: string; GroupName?: string }): ScheduleDescription {
      return structuredClone(get(request.Name, request.GroupName).description);
    },

    listSchedules(request: { GroupName?: string; NamePrefix?: string } = {}): {
      Schedules: { Name: string; Arn: string; GroupName: string; State: string; NextInvocation?: string }[];
    } {
      return {
        Schedules: [...schedules.values()]
          .filter(
            (s) =>
              (!request.GroupName || s.description.GroupName === request.GroupName) &&
              (!request.NamePrefix || s.description.Name.startsWith(request.NamePrefix)),
          )
          .map((s) => ({
            Name: s.description.Name,
            Arn: s.description.Arn,
            GroupName: s.description.GroupName,
            State: s.description.State,
            ...(s.timer ? { NextInvocation: new Date(s.timer.due).toISOString() } : {}),
          })),
      };
    },

    /**
     * Invokes a schedule's target now, as one of its runs (context attributes filled in, retries and
     * dead letters as usual), leaving its plan unchanged. Returns the run's execution id, and its
     * first attempt's outcome once the target answered.
     */
    runNow(request: { Name: string; GroupName?: string }): {
      executionId: string;
      firstAttempt: Promise<Invocation>;
    } {
      const state = get(request.Name, request.GroupName);
      const executionId = randomUUID();
      return { executionId, firstAttempt: fire(state, clock.now(), executionId, 1) };
    },

    /** The next `count` scheduled times (before flexible windows) from now, ISO strings; none when disabled. */
    upcoming(request: { Name: string; GroupName?: string }, count = 5): string[] {
      const state = get(request.Name, request.GroupName);
      // A disabled schedule runs at no time: no next run (its cursor stopped where it was disabled).
      if (state.description.State !== "ENABLED") return [];
      const out: string[] = [];
      let cursor = state.cursor;
      for (let i = 0; i < count; i++) {
        const next = nextTime(state, cursor);
        if (next === undefined) break;
        out.push(new Date(next).toISOString());
        cursor = next;
      }
      return out;
    },

    invocations(): readonly Invocation[] {
      return invocations;
    },

    deadLetters(): readonly SchedulerDeadLetter[] {
      return deadLetters;
    },

    /** A schedule group's counters (`AWS/Scheduler`, dimension ScheduleGroup). */
    metrics(request: { GroupName?: string } = {}): ScheduleGroupMetrics {
      return { ...metricsOf(request.GroupName ?? "default") };
    },

    async drain(): Promise<void> {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },

    dispose(): void {
      for (const state of schedules.values()) state.timer?.cancel();
      schedules.clear();
    },
  };
}
