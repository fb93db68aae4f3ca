/** Test harness: an engine on an instant clock, and a one-call "run this definition" helper. */
import { type Clock, createClock } from "../../../local/clock/clock.ts";
import { Engine, type ExecutionDescription } from "../../../local/engine/engine.ts";
import type { HistoryEvent } from "../../../local/engine/history.ts";
import type { Json } from "../../../local/engine/json.ts";
import type { TaskRuntime } from "../../../local/engine/tasks.ts";

export const START = Date.parse("2026-01-01T00:00:00Z");

export interface Harness {
  engine: Engine;
  clock: Clock;
}

export function harness(runtime: TaskRuntime = {}, clock?: Clock): Harness {
  const c = clock ?? createClock({ mode: { kind: "instant" }, start: START });
  return {
    engine: new Engine({ clock: c, runtime, region: "eu-west-1", accountId: "123456789012" }),
    clock: c,
  };
}

export interface Outcome {
  description: ExecutionDescription;
  output: Json | undefined;
  /** Names of the states entered, in order (all threads). */
  entered: string[];
  history: HistoryEvent[];
}

let seq = 0;

export async function run(definition: object, input: Json = {}, h: Harness = harness()): Promise<Outcome> {
  const { stateMachineArn } = h.engine.createStateMachine({ name: `sm-${++seq}`, definition });
  const { executionArn } = h.engine.startExecution({ stateMachineArn, input: JSON.stringify(input) });
  const description = await h.engine.waitForExecution(executionArn);
  return outcome(h, description);
}

export function outcome(h: Harness, description: ExecutionDescription): Outcome {
  const history = h.engine.getExecutionHistory(description.executionArn).events;
  return {
    description,
    output: description.output === undefined ? undefined : (JSON.parse(description.output) as Json),
    entered: enteredStates(history),
    history,
  };
}

export function enteredStates(history: HistoryEvent[]): string[] {
  return history
    .filter((e) => e.type.endsWith("StateEntered"))
    .map((e) => (e.stateEnteredEventDetails as { name: string }).name);
}

export function types(history: HistoryEvent[]): string[] {
  return history.map((e) => e.type);
}
