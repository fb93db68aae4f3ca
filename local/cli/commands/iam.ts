/**
 * `cplane iam explain <function|workflow|rule|schedule> <operation> [--resource ARN] [--context key=value]...`:
 * how local IAM decides one request of a role the catalogs define (local/iam/explain.ts), offline: the
 * roles as the local runtime creates them, the same evaluator it authorizes every call with. Resource
 * tags and other condition keys are given with --context (`aws:ResourceTag/cplane:tenant=acme`); a key
 * given twice is a multivalued key (`aws:TagKeys`).
 */
import { catalogPrincipal, explain, explanationText } from "../../iam/explain.ts";
import { printJson } from "../io.ts";
import { UsageError } from "../target.ts";

type Options = Record<string, string | boolean | string[] | undefined>;

const USAGE =
  "usage: cplane iam explain <function|workflow|rule|schedule> <operation> [--resource ARN] [--context key=value]...";

/** `key=value` pairs as condition keys; a key given more than once holds every value. */
export function parseContext(pairs: readonly string[]): Record<string, string | string[]> {
  const context: Record<string, string | string[]> = {};
  for (const pair of pairs) {
    const at = pair.indexOf("=");
    if (at <= 0) throw new UsageError(`--context takes key=value (got "${pair}"); ${USAGE}`);
    const key = pair.slice(0, at);
    const value = pair.slice(at + 1);
    const known = context[key];
    context[key] = known === undefined ? value : [...(typeof known === "string" ? [known] : known), value];
  }
  return context;
}

export async function iam(action: string, args: string[], options: Options): Promise<number> {
  if (action !== "explain" || args.length !== 2) throw new UsageError(USAGE);
  const [who, operation] = args as [string, string];
  const contextOption = options.context;
  const pairs = Array.isArray(contextOption)
    ? contextOption
    : typeof contextOption === "string"
      ? [contextOption]
      : [];
  const context = parseContext(pairs);
  const resource = typeof options.resource === "string" ? options.resource : "*";
  // The runtime's own names for the deployment (loaded only for this command: it is the runtime's module).
  const { localDeployContext, LOCAL_ACCOUNT } = await import("../../runtime.ts");
  const { localFunctionArn } = await import("../../lambda/functions.ts");
  const region =
    typeof options.region === "string" ? options.region : (process.env.AWS_REGION ?? "us-east-1");
  const ctx = localDeployContext(region);
  let explanation: ReturnType<typeof explain>;
  try {
    const principal = catalogPrincipal(who, ctx, (id) => localFunctionArn(id, region, LOCAL_ACCOUNT));
    explanation = explain(principal, { action: operation, resource, context });
  } catch (error) {
    const name = (error as Error).name;
    if (name === "UnknownPrincipalError" || name === "InvalidRequestError")
      throw new UsageError(`${(error as Error).message}; ${USAGE}`);
    throw error;
  }
  if (options.json === true) {
    printJson({
      role: explanation.principal.roleName,
      action: operation,
      resource,
      decision: explanation.result.decision,
      by: explanation.result.by,
      statement: explanation.statement?.id,
      reasons: explanation.reasons.map((r) => r.trim()),
    });
  } else process.stdout.write(explanationText(explanation));
  // Exit code 1 for a denial, so that scripts can ask "may this role do that?".
  return explanation.result.decision === "Allow" ? 0 : 1;
}
