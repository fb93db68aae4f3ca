/**
 * Runs a tenant workflow on the local engine with scripted steps: each catalog function is replaced
 * by a function of its payload, so a test decides what every step returns or throws and then asserts
 * on the states the execution entered and on its outcome.
 */
import type { FunctionId } from "../../functions/shared/catalog.ts";
import { createClock } from "../../local/clock/clock.ts";
import { Engine, type ExecutionDescription, type Json, type JsonObject } from "../../local/engine/index.ts";
import { type StateMachineDefinition, substituteFunctions } from "../../workflows/asl.ts";

export type ScriptedStep = (payload: JsonObject, attempt: number) => unknown;

/** What a scripted `.waitForTaskToken` step returns to leave its token unanswered (the task times out). */
export const NO_ANSWER = Symbol("no answer");

/**
 * The operations kit's steps, unless a test scripts them: locks are free, and a wait for an AWS
 * resource is never woken by an event (its timeout is the poll).
 */
const KIT_DEFAULTS: Partial<Record<FunctionId, ScriptedStep>> = {
  "ops/acquire-locks": () => ({ acquired: true, heldBy: [], tookOver: [] }),
  "ops/release-locks": () => ({ released: [] }),
  "ops/await-resource": () => NO_ANSWER,
  "reports/record-report": (payload) => ({
    outcome: payload.outcome,
    reason: payload.reason,
    durationSeconds: 0,
    figures: [],
  }),
};

export interface Call {
  readonly id: FunctionId;
  readonly payload: JsonObject;
}

export interface Outcome {
  readonly execution: ExecutionDescription;
  readonly output: unknown;
  /** Names of the states entered, in order. */
  readonly states: string[];
  readonly calls: Call[];
  /** Calls of one function, in order. */
  calls_of(id: FunctionId): JsonObject[];
}

const PREFIX = "arn:aws:lambda:us-east-1:000000000000:function:";

export function named(name: string, message = name): Error {
  return Object.assign(new Error(message), { name });
}

export async function run(
  definition: StateMachineDefinition,
  input: unknown,
  steps: Partial<Record<FunctionId, ScriptedStep>>,
): Promise<Outcome> {
  const calls: Call[] = [];
  const attempts = new Map<FunctionId, number>();
  const engine = new Engine({
    clock: createClock({ mode: { kind: "instant" }, start: Date.parse("2026-11-22T10:00:00Z") }),
    runtime: {
      invokeFunction: async (functionName: string, payload: Json) => {
        const id = functionName.slice(PREFIX.length).replace("--", "/") as FunctionId;
        const step = steps[id] ?? KIT_DEFAULTS[id];
        if (!step) throw named("Lambda.ResourceNotFoundException", `no scripted step for ${id}`);
        const attempt = (attempts.get(id) ?? 0) + 1;
        attempts.set(id, attempt);
        calls.push({ id, payload: payload as JsonObject });
        const result = await step(payload as JsonObject, attempt);
        // A token task's answer comes through SendTaskSuccess, as a person or an AWS event would send it.
        const token = (payload as JsonObject).taskToken;
        if (typeof token === "string" && result !== NO_ANSWER) {
          queueMicrotask(() => engine.sendTaskSuccess({ taskToken: token, output: JSON.stringify(result) }));
        }
        return (result === NO_ANSWER ? {} : result) as Json;
      },
    },
  });
  const resolved = substituteFunctions(definition, (id) => `${PREFIX}${id.replace("/", "--")}`);
  const { stateMachineArn } = engine.createStateMachine({ name: "tenant-workflow", definition: resolved });
  const { executionArn } = engine.startExecution({
    stateMachineArn,
    name: "run-1",
    input: JSON.stringify(input),
  });
  const execution = await engine.waitForExecution(executionArn);
  const states = engine
    .getExecutionHistory(executionArn)
    .events.filter((event) => event.type.endsWith("StateEntered"))
    .map((event) => String((event.stateEnteredEventDetails as { name: string }).name));
  return {
    execution,
    output: execution.output === undefined ? undefined : JSON.parse(execution.output),
    states,
    calls,
    calls_of: (id) => calls.filter((call) => call.id === id).map((call) => call.payload),
  };
}
