/**
 * What Lambda gives every function, and the local runtime gives its in-process handlers, set before
 * any handler module (and the Powertools instances they share) is loaded: the region, credentials (local, never
 * real ones: every call goes to the local runtime), logs at WARN unless CPLANE_LOG_LEVEL says
 * otherwise, metrics not printed (on AWS they go to CloudWatch), tracing off.
 * Import it first in the runtime's entry module.
 */
process.env.AWS_REGION ??= process.env.CPLANE_REGION ?? "us-east-1";
process.env.AWS_ACCESS_KEY_ID = "ASIALOCALCPLANE00000";
process.env.AWS_SECRET_ACCESS_KEY = "local-secret-access-key";
process.env.AWS_SESSION_TOKEN = "local-session-token";
process.env.POWERTOOLS_LOG_LEVEL = process.env.CPLANE_LOG_LEVEL ?? process.env.POWERTOOLS_LOG_LEVEL ?? "WARN";
process.env.POWERTOOLS_METRICS_DISABLED ??= "true";
process.env.POWERTOOLS_TRACE_ENABLED = "false";
