/**
 * The Kubernetes API as EKS authorizes it for IAM principals (EKS User Guide, "Access entries" and
 * "Access policy permissions"): a principal without an access entry on the cluster is not authenticated
 * (401); otherwise a request is allowed by one of the entry's access policies whose scope covers it
 * (`cluster`, or `namespace` listing the request's namespace; cluster-scoped kinds need cluster scope),
 * and refused with Kubernetes' 403 `Forbidden` Status otherwise.
 *
 * The four AWS access policies, as far as the kinds the local API serves go:
 * - AmazonEKSClusterAdminPolicy: everything;
 * - AmazonEKSAdminPolicy: everything in its namespaces but ResourceQuotas (read only) and cluster-scoped kinds;
 * - AmazonEKSEditPolicy: read, and write workloads, services, config maps, secrets, ingresses, network
 *   policies, service accounts; not Roles, RoleBindings, quotas or limit ranges;
 * - AmazonEKSViewPolicy: get and list, Secrets excepted.
 */

export interface AccessEntryView {
  readonly principalArn: string;
  readonly policies: readonly {
    readonly policyArn: string;
    readonly accessScope: { type?: string; namespaces?: string[] };
  }[];
}

export interface KubernetesRequest {
  readonly method: string;
  /** The URL path, `/api/v1/namespaces/acme/configmaps/x`. */
  readonly path: string;
}

export interface KubernetesDenial {
  readonly code: 401 | 403;
  readonly reason: "Unauthorized" | "Forbidden";
  readonly message: string;
}

interface Target {
  readonly verb: string;
  readonly group: string;
  readonly resource: string;
  readonly namespace?: string;
  readonly name?: string;
}

const VERBS: Record<string, string> = { POST: "create", PUT: "update", PATCH: "patch", DELETE: "delete" };

/** What a request asks: verb, API group, resource, namespace (undefined for discovery paths). */
export function targetOf({ method, path }: KubernetesRequest): Target | undefined {
  const parts = path.split("/").filter(Boolean);
  let rest: string[];
  let group: string;
  if (parts[0] === "api" && parts[1] === "v1") {
    group = "";
    rest = parts.slice(2);
  } else if (parts[0] === "apis" && parts.length >= 3) {
    group = parts[1] as string;
    rest = parts.slice(3);
  } else return undefined;
  if (rest.length === 0) return undefined;
  let namespace: string | undefined;
  if (rest[0] === "namespaces" && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [resource = "", name] = rest;
  const verb = VERBS[method.toUpperCase()] ?? (name === undefined ? "list" : "get");
  // A Namespace object itself (`/api/v1/namespaces/acme`) is cluster-scoped.
  if (resource === "namespaces" && namespace === undefined) return { verb, group, resource, name };
  return { verb, group, resource, namespace, name };
}

const READ = new Set(["get", "list", "watch"]);
const EDITABLE = new Set([
  "configmaps",
  "secrets",
  "services",
  "serviceaccounts",
  "deployments",
  "ingresses",
  "networkpolicies",
  "virtualservices",
  "destinationrules",
]);

function policyAllows(policy: string, target: Target): boolean {
  const name = policy.split("/").pop();
  if (name === "AmazonEKSClusterAdminPolicy") return true;
  if (name === "AmazonEKSAdminPolicy") return target.resource !== "resourcequotas" || READ.has(target.verb);
  if (name === "AmazonEKSEditPolicy") return READ.has(target.verb) || EDITABLE.has(target.resource);
  if (name === "AmazonEKSViewPolicy") return READ.has(target.verb) && target.resource !== "secrets";
  return false;
}

function scopeCovers(scope: { type?: string; namespaces?: string[] }, target: Target): boolean {
  if (scope.type === "cluster") return true;
  return target.namespace !== undefined && (scope.namespaces ?? []).includes(target.namespace);
}

/** Undefined when allowed; the Status to answer otherwise. */
export function kubernetesDecision(
  entries: readonly AccessEntryView[],
  principalArn: string,
  request: KubernetesRequest,
): KubernetesDenial | undefined {
  const entry = entries.find((e) => e.principalArn === principalArn);
  if (!entry) return { code: 401, reason: "Unauthorized", message: "Unauthorized" };
  const target = targetOf(request);
  if (!target) return undefined;
  if (entry.policies.some((p) => scopeCovers(p.accessScope, target) && policyAllows(p.policyArn, target)))
    return undefined;
  const what = `${target.resource}${target.name ? ` "${target.name}"` : ""}`;
  const where = target.namespace ? `in the namespace "${target.namespace}"` : "at the cluster scope";
  return {
    code: 403,
    reason: "Forbidden",
    message: `${what} is forbidden: User "${principalArn}" cannot ${target.verb} resource "${target.resource}" in API group "${target.group}" ${where}`,
  };
}
