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
export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? "cplane",
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? "cplane",
});
