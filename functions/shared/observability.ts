/**
 * Powertools configured once for every handler: one logger, one tracer, one metrics instance.
 * Service name and namespace come from POWERTOOLS_SERVICE_NAME / POWERTOOLS_METRICS_NAMESPACE,
 * which the function catalog sets per function.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { Tracer } from "@aws-lambda-powertools/tracer";

export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? "cplane" });
export const tracer = new Tracer({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? "cplane" });

/**
 * Metrics' own warnings go through our logger (its level and format), not straight to the console.
 * With metrics disabled (the local runtime, the tests) nothing is published, so a warning about what
 * would be published is noise; and in the local runtime, where concurrent invocations share this one
 * instance, one invocation's publish empties the store another then finds empty. Only errors remain.
 */
const metricsLogger =
  process.env.POWERTOOLS_METRICS_DISABLED === "true"
    ? {
        trace: () => undefined,
        debug: () => undefined,
        info: () => undefined,
        warn: () => undefined,
        error: (...args: unknown[]) =>
          logger.error(String(args[0]), ...args.slice(1).map((a) => ({ detail: a }))),
      }
    : logger;

export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? "cplane",
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? "cplane",
  logger: metricsLogger,
});
