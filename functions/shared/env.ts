/** Reads the Lambda environment through one place that names what is missing. */

export class MissingEnvironmentVariableError extends Error {
  override name = "MissingEnvironmentVariableError";
  readonly variable: string;

  constructor(variable: string) {
    super(
      `environment variable ${variable} is not set; the function's definition in functions/catalog.ts must provide it`,
    );
    this.variable = variable;
  }
}

/** Returns the variable's value or throws `MissingEnvironmentVariableError` when it is unset or empty. */
export function requireEnv(variable: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[variable];
  if (value === undefined || value === "") throw new MissingEnvironmentVariableError(variable);
  return value;
}

/** Returns the variable's value, or `fallback` when it is unset or empty. */
export function optionalEnv(
  variable: string,
  fallback: string,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const value = env[variable];
  return value === undefined || value === "" ? fallback : value;
}

/** The region the function runs in (`AWS_REGION`, set by Lambda and by the local runtime). */
export function awsRegion(env: NodeJS.ProcessEnv = process.env): string {
  return requireEnv("AWS_REGION", env);
}
