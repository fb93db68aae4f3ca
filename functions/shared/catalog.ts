/**
 * The shape of the function catalog: what each Lambda handler is, what it may call, and how it is
 * sized. stacks/ builds every function and its least-privilege role from these entries; the local
 * runtime loads the same handler modules in-process. Nobody writes IAM twice.
 */

/** A logical function id, `<group>/<step>` such as `tenant/provision-database`. */
export type FunctionId = `${string}/${string}`;

/**
 * A value the deployment fills in. `${region}`, `${account}`, `${partition}`, `${stage}` and `${app}`
 * placeholders in strings are substituted by stacks/ (and by the local runtime with its own values).
 */
export type ResourceRef = {
  readonly ref: "tenantTable" | "bus" | "gitWebhookSecret";
  /** What an environment variable gets: the resource's name (default) or its ARN. IAM always gets the ARN. */
  readonly attribute?: "name" | "arn";
  /** Appended to the ARN in IAM: a part of the resource (`/index/by-kind`, a table's index). */
  readonly suffix?: string;
};

export interface IamStatement {
  readonly actions: readonly string[];
  /** ARNs, with placeholders; `*` only where AWS has no resource-level permission, with `reason`. */
  readonly resources: readonly (string | ResourceRef)[];
  /** IAM condition block, e.g. `{ StringEquals: { "aws:ResourceTag/cplane:tenant": "..." } }`. */
  readonly conditions?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
  /** Why a wildcard resource is needed. Required when any resource is `*`. */
  readonly reason?: string;
}

export interface FunctionSpec {
  readonly id: FunctionId;
  /** Module path from the project root; the module exports `handler`. */
  readonly handler: string;
  readonly description: string;
  readonly timeoutSeconds: number;
  readonly memoryMB: number;
  readonly environment?: Readonly<Record<string, string | ResourceRef>>;
  readonly permissions: readonly IamStatement[];
  /**
   * Expose the function at a Lambda function URL with no IAM auth (the handler authenticates each
   * request itself, e.g. by webhook signature). Locally the server routes the matching path to it.
   */
  readonly url?: { readonly localPath: string };
  /**
   * Kubernetes API access on an EKS cluster, through an access entry for the function's role that
   * stacks/ creates: the cluster's name (with placeholders), the EKS access policy, and why that much.
   * A list when the function reaches more than one cluster (the platform's and the tenants').
   */
  readonly kubernetes?: KubernetesAccess | readonly KubernetesAccess[];
}

export interface KubernetesAccess {
  /** The cluster's name; `${region}` in it is the region of each entry (one cluster per region). */
  readonly cluster: string;
  /**
   * The regions the function reaches the cluster in (`${region}`, `${drRegion}`): one access entry in
   * each. The stage's region when absent. A failover works in the region it goes to, either of the pair.
   */
  readonly regions?: readonly string[];
  /** An EKS cluster access policy ARN, `arn:${partition}:eks::aws:cluster-access-policy/<name>`. */
  readonly accessPolicy: string;
  readonly reason: string;
}

export class InvalidCatalogError extends Error {
  override name = "InvalidCatalogError";
}

const ID = /^[a-z][a-z0-9-]*\/[a-z][a-z0-9-]*$/;

/** Validates a catalog and indexes it by id; refuses duplicates and unexplained wildcards. */
export function defineFunctionCatalog(specs: readonly FunctionSpec[]): ReadonlyMap<FunctionId, FunctionSpec> {
  const catalog = new Map<FunctionId, FunctionSpec>();
  for (const spec of specs) {
    if (!ID.test(spec.id))
      throw new InvalidCatalogError(`function id "${spec.id}" must look like group/step`);
    if (catalog.has(spec.id)) throw new InvalidCatalogError(`function id "${spec.id}" is listed twice`);
    if (!spec.handler.startsWith("functions/") || !spec.handler.endsWith(".ts")) {
      throw new InvalidCatalogError(
        `function ${spec.id}: handler "${spec.handler}" must be a functions/**.ts module`,
      );
    }
    if (!(spec.timeoutSeconds >= 1 && spec.timeoutSeconds <= 900)) {
      throw new InvalidCatalogError(`function ${spec.id}: timeout ${spec.timeoutSeconds}s is outside 1-900`);
    }
    if (!(spec.memoryMB >= 128 && spec.memoryMB <= 10_240)) {
      throw new InvalidCatalogError(`function ${spec.id}: memory ${spec.memoryMB} MB is outside 128-10240`);
    }
    for (const statement of spec.permissions) {
      if (statement.actions.length === 0 || statement.resources.length === 0) {
        throw new InvalidCatalogError(`function ${spec.id}: an IAM statement needs actions and resources`);
      }
      if (statement.actions.some((action) => action.includes("*"))) {
        throw new InvalidCatalogError(
          `function ${spec.id}: wildcard actions are not allowed (${statement.actions})`,
        );
      }
      if (statement.resources.includes("*") && !statement.reason) {
        throw new InvalidCatalogError(
          `function ${spec.id}: resource "*" for ${statement.actions} needs a reason`,
        );
      }
    }
    for (const access of kubernetesAccessOf(spec)) {
      if (
        !/^arn:[^:]+:eks::aws:cluster-access-policy\/\w+$/.test(
          access.accessPolicy.replace("${partition}", "aws"),
        )
      )
        throw new InvalidCatalogError(
          `function ${spec.id}: "${access.accessPolicy}" is not an EKS cluster access policy ARN`,
        );
      if (!access.reason.trim())
        throw new InvalidCatalogError(`function ${spec.id}: Kubernetes access needs a reason`);
      if (access.regions?.length === 0)
        throw new InvalidCatalogError(`function ${spec.id}: Kubernetes access in no region`);
    }
    catalog.set(spec.id, spec);
  }
  return catalog;
}

/** A function's Kubernetes access as a list (none, one or several clusters). */
export function kubernetesAccessOf(spec: FunctionSpec): readonly KubernetesAccess[] {
  if (!spec.kubernetes) return [];
  return "cluster" in spec.kubernetes ? [spec.kubernetes] : spec.kubernetes;
}
