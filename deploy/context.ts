/**
 * A deployment of the catalogs, whichever runtime makes it: its app, stage, region and account, the
 * names and ARNs of the shared resources, and what that fills into a function's catalog entry
 * (`${region}`-style placeholders, resource references, its environment). stacks/ builds a context
 * from what SST deployed; the local runtime builds one from its own names. Nothing here calls AWS.
 */
import type { FunctionSpec, ResourceRef } from "../functions/shared/catalog.ts";

export interface DeployedResource {
  readonly name: string;
  readonly arn: string;
}

export interface DeployContext {
  readonly app: string;
  readonly stage: string;
  readonly region: string;
  /**
   * The other region of the pair the platform runs in (Aurora global secondaries, cross-region
   * snapshot copies, the failover's target): `${drRegion}` in the catalogs.
   */
  readonly drRegion: string;
  readonly account: string;
  readonly partition: string;
  readonly resources: Readonly<Record<ResourceRef["ref"], DeployedResource>>;
}

export class UnresolvedReferenceError extends Error {
  override name = "UnresolvedReferenceError";
}

const PLACEHOLDER = /\$\{(region|drRegion|account|partition|stage|app)\}/g;

export function fillPlaceholders(text: string, ctx: DeployContext): string {
  return text.replace(
    PLACEHOLDER,
    (_, key: "region" | "drRegion" | "account" | "partition" | "stage" | "app") => ctx[key],
  );
}

/** A catalog's resource reference as deployed: its name or its ARN. */
export function resolveRef(ref: ResourceRef, ctx: DeployContext, want: "name" | "arn"): string {
  const resource = ctx.resources[ref.ref];
  if (!resource) throw new UnresolvedReferenceError(`no deployed resource for reference "${ref.ref}"`);
  return want === "arn" ? `${resource.arn}${ref.suffix ?? ""}` : resource[want];
}

/** A function's environment variables: the shared Powertools settings, then its catalog entry's. */
export function renderEnvironment(spec: FunctionSpec, ctx: DeployContext): Record<string, string> {
  const env: Record<string, string> = {
    POWERTOOLS_SERVICE_NAME: `cplane-${spec.id.split("/")[0]}`,
    POWERTOOLS_METRICS_NAMESPACE: "cplane",
    CPLANE_STAGE: ctx.stage,
  };
  for (const [key, value] of Object.entries(spec.environment ?? {})) {
    env[key] =
      typeof value === "string"
        ? fillPlaceholders(value, ctx)
        : resolveRef(value, ctx, value.attribute ?? "name");
  }
  return env;
}
