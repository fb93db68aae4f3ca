/**
 * Shared test setup: a Lambda-like environment and silent logs, before any handler module loads.
 * Powertools reads these variables when the shared observability module is first imported.
 */
process.env.AWS_REGION ??= "us-east-1";
process.env.AWS_DEFAULT_REGION ??= process.env.AWS_REGION;
process.env.AWS_LAMBDA_FUNCTION_NAME ??= "cplane-test-function";
process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ??= "256";
process.env.AWS_LAMBDA_FUNCTION_VERSION ??= "$LATEST";
process.env.POWERTOOLS_SERVICE_NAME ??= "cplane";
process.env.POWERTOOLS_METRICS_NAMESPACE ??= "cplane";
process.env.POWERTOOLS_DEV ??= "true";
process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
process.env.POWERTOOLS_TRACE_ENABLED = "false";
process.env.POWERTOOLS_METRICS_DISABLED = "true";
process.env.AWS_ACCESS_KEY_ID ??= "test";
process.env.AWS_SECRET_ACCESS_KEY ??= "test";
