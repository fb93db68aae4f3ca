/**
 * Adapter for the AWS-recorded Step Functions cases (../shared/conformance/README.md): runs each case
 * through the engine's public API on an instant clock, with the recorded task results supplied
 * through the task runtime's `invokeTask` hook.
 */
import { createClock } from "../../local/clock/clock.ts";
import { Engine } from "../../local/engine/engine.ts";
import { SfnApiError, StatesError } from "../../local/engine/errors.ts";
import type { Json } from "../../local/engine/json.ts";

interface RunOptions {
  name: string;
  needs: string[];
  invokeTask(stateName: string, resource: string, input: unknown): Promise<unknown>;
  maxWaitMs: number;
  context: { Execution: { RoleArn: string } };
}

interface RunResult {
  status: string;
  output?: unknown;
  error?: string;
  cause?: string;
}

export async function run(definition: unknown, input: unknown, opts: RunOptions): Promise<RunResult> {
  const clock = createClock({ mode: { kind: "instant" } });
  const engine = new Engine({
    clock,
    region: "us-east-1",
    accountId: "111111111111",
    maxWaitMs: opts.maxWaitMs,
    runtime: {
      invokeTask: (call) =>
        opts.invokeTask(call.stateName, call.resource, call.input).then(
          (result) => result as Json,
          (e: unknown) => {
            const err = e as { name?: string; message?: string };
            throw new StatesError(err.name ?? "Error", err.message === "" ? undefined : err.message);
          },
        ),
    },
  });
  try {
    const { stateMachineArn } = engine.createStateMachine({
      name: "conformance-sm",
      definition: definition as object,
      roleArn: opts.context.Execution.RoleArn,
    });
    const { executionArn } = engine.startExecution({
      stateMachineArn,
      name: "conformance-exec",
      input: JSON.stringify(input),
    });
    const d = await engine.waitForExecution(executionArn);
    return {
      status: d.status,
      ...(d.output !== undefined ? { output: JSON.parse(d.output) as unknown } : {}),
      ...(d.error !== undefined ? { error: d.error } : {}),
      ...(d.cause !== undefined ? { cause: d.cause } : {}),
    };
  } catch (e) {
    if (e instanceof SfnApiError) return { status: "FAILED", error: e.name, cause: e.message };
    throw e;
  } finally {
    clock.dispose();
  }
}
