/** Defaults every function shares, set once. */
import { LAMBDA_TRUST_POLICY } from "./wiring.ts";

type Transform<T> = Partial<T> | ((args: T, opts: $util.CustomResourceOptions, name: string) => undefined);

/** A component transform that applies `previous` (a function or an object to merge), then `next`. */
function then<T extends object>(previous: Transform<T> | undefined, next: (args: T) => void): Transform<T> {
  return (args, opts, name) => {
    if (typeof previous === "function") previous(args, opts, name);
    else if (previous) Object.assign(args, previous);
    next(args);
    return undefined;
  };
}

$transform(sst.aws.Function, (args: sst.aws.FunctionArgs) => {
  args.runtime ??= "nodejs24.x";
  args.architecture ??= "arm64";
  args.logging ??= { retention: "1 month", format: "json" };
  // SST bundles without minifying unless told (an unset `minify` reads as false in its Go builder).
  // Minified bundles load faster on a cold start (bench/bundles.bench.ts); keepNames stays on, so
  // error classes keep the names the state machines' Retry/Catch match.
  if (args.nodejs !== undefined)
    throw new Error(`${args.handler}: bundling options are set for every function in stacks/defaults.ts`);
  args.nodejs = { minify: true };
  args.transform = {
    ...args.transform,
    function: then(args.transform?.function, (fn: aws.lambda.FunctionArgs) => {
      fn.tracingConfig = { mode: "Active" };
    }),
    // SST 4.17 picks the trust policy with `!dev`, where `dev` is a Pulumi Output (always truthy): every
    // role would trust the account root (`sst dev`'s live mode) besides Lambda. Only Lambda assumes ours.
    role: then(args.transform?.role, (role: aws.iam.RoleArgs) => {
      role.assumeRolePolicy = JSON.stringify(LAMBDA_TRUST_POLICY);
    }),
  };
});
