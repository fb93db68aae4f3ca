/**
 * What Lambda gives every function, and the local runtime gives its in-process handlers, set before
 * any handler module (and the Powertools instances they share) is loaded: the region, credentials (local, never
 * real ones: every call goes to the local runtime), logs at WARN unless CPLANE_LOG_LEVEL says
 * otherwise, metrics not printed (on AWS they go to CloudWatch), tracing off.
 *
 * Tracing off includes the X-Ray SDK's manual mode: in its default mode the SDK, as soon as Powertools'
 * Tracer loads it, installs an async hook (cls-hooked) that runs at the creation and destruction of
 * every promise in the process, the engine's and the cloud's too; nothing reads the context it keeps
 * while tracing is off. In a 30 s idle window at 200 tenants it cost about 180 ms of the runtime thread.
 * Import it first in the runtime's entry module.
 */
process.env.AWS_REGION ??= process.env.CPLANE_REGION ?? "us-east-1";
process.env.AWS_ACCESS_KEY_ID = "ASIALOCALCPLANE00000";
process.env.AWS_SECRET_ACCESS_KEY = "local-secret-access-key";
process.env.AWS_SESSION_TOKEN = "local-session-token";
process.env.POWERTOOLS_LOG_LEVEL = process.env.CPLANE_LOG_LEVEL ?? process.env.POWERTOOLS_LOG_LEVEL ?? "WARN";
process.env.POWERTOOLS_METRICS_DISABLED ??= "true";
process.env.POWERTOOLS_TRACE_ENABLED = "false";
process.env.AWS_XRAY_MANUAL_MODE = "true";
