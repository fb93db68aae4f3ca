/**
 * The one way a step handler is written: middy with Powertools attached (logger with the execution
 * ARN as correlation id, tracer, metrics), the event parsed by a zod schema before anything runs,
 * and the step's typed result returned as the state's output.
 *
 *   export const handler = defineStep(ProvisionInput, async (input): Promise<ProvisionResult> => ...);
 */
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import { captureLambdaHandler } from "@aws-lambda-powertools/tracer/middleware";
import middy from "@middy/core";
import type { Context } from "aws-lambda";
import type { z } from "zod";
import { InvalidInputError } from "./errors.ts";
import { logger, metrics, tracer } from "./observability.ts";

/** Where a state machine puts `$states.context.Execution.Id` in a Task's payload. */
export const EXECUTION_ARN_FIELD = "executionArn";

export type Step<Input, Result> = (input: Input, context: Context) => Promise<Result>;

/** Parses `event` with `schema`; throws `InvalidInputError` naming every field that is wrong. */
export function parseInput<S extends z.ZodType>(schema: S, event: unknown): z.output<S> {
  const parsed = schema.safeParse(event);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => {
    const path = issue.path.map(String).join(".");
    return `${path === "" ? "(input)" : path}: ${issue.message}`;
  });
  throw new InvalidInputError("invalid input", issues);
}

/**
 * Sets the execution ARN as the log correlation id. (Powertools' `correlationIdPath` needs a JMESPath
 * search function on the shared logger, which it does not configure; this reads the one field directly.)
 */
function executionCorrelationId(): middy.MiddlewareObj<unknown> {
  return {
    before: (request) => {
      const event = request.event;
      if (typeof event !== "object" || event === null) return;
      const arn: unknown = (event as Record<string, unknown>)[EXECUTION_ARN_FIELD];
      if (typeof arn === "string" && arn !== "") logger.setCorrelationId(arn);
    },
  };
}

/** Wraps a step as a Lambda handler: Powertools middleware, input parsing, typed result. */
export function defineStep<S extends z.ZodType, Result>(schema: S, step: Step<z.output<S>, Result>) {
  return middy(async (event: unknown, context: Context): Promise<Result> => {
    try {
      const result = await step(parseInput(schema, event), context);
      metrics.addMetric("StepSucceeded", MetricUnit.Count, 1);
      return result;
    } catch (error) {
      metrics.addMetric("StepFailed", MetricUnit.Count, 1);
      throw error;
    }
  })
    .use(injectLambdaContext(logger, { clearState: true }))
    .use(executionCorrelationId())
    .use(captureLambdaHandler(tracer))
    .use(logMetrics(metrics));
}
