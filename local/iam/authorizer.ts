/**
 * Authorization of the local cloud's calls as IAM would authorize them: the caller's role (its inline
 * policies and permissions boundary, as local IAM holds them), each IAM request its operation makes
 * (operations/), the resource's tags, the principal's keys; a denial is the service's own error, named and
 * worded as AWS names and words it (`AccessDenied` for the query and XML protocols, `AccessDeniedException`
 * for the JSON ones; "User: … is not authorized to perform: … on resource: … because …").
 */
import { createHash } from "node:crypto";
import type { LocalCloudCall } from "../../functions/shared/aws-clients.ts";
import type { LocalCloud } from "../cloud/cloud.ts";
import type { Eks } from "../cloud/eks.ts";
import { awsError } from "../cloud/errors.ts";
import { type EvaluationResult, evaluate, RequestContext } from "./evaluate.ts";
import type { Caller } from "./identity.ts";
import { kubernetesDecision } from "./kubernetes.ts";
import { type Lookup, type MappedRequest, mappingOf } from "./operations/index.ts";
import { type Policy, parsePolicy } from "./policy.ts";

/** Services whose protocol (query, REST-XML) names the error `AccessDenied`. */
const ACCESS_DENIED = new Set(["RDS", "IAM", "STS", "CloudWatch", "Route53"]);

export class UnmappedOperationError extends Error {
  override name = "UnmappedOperationError";
}

/** One authorized IAM request and its decision, for `explain` and the unused-permissions report. */
export interface Decision {
  readonly caller: Caller;
  readonly call: { readonly service: string; readonly operation: string };
  readonly request: MappedRequest;
  readonly result: EvaluationResult;
}

export interface Authorizer {
  /** Throws the service's access-denied error unless the caller's role may make every request of the call. */
  authorize(call: LocalCloudCall, caller: Caller): Promise<void>;
  /**
   * What a service asks IAM on a role's behalf, outside any SDK call of ours (Step Functions running a
   * Task, EventBridge starting a target): decided, counted and reported like any call; the first denial
   * is returned for the caller to turn into the service's own failure.
   */
  authorizeRequests(
    call: Pick<LocalCloudCall, "service" | "operation" | "region">,
    caller: Caller,
    requests: readonly MappedRequest[],
  ): Decision | undefined;
  /** Whether local IAM holds a role of this name. */
  roleExists(roleName: string): boolean;
  /** The IAM requests of a call and how each is decided, without throwing. */
  explain(call: LocalCloudCall, caller: Caller): Promise<Decision[]>;
  /** Statements (`<role>#<Sid>`) that allowed at least one request so far. */
  readonly used: ReadonlySet<string>;
  /** Decisions counted by outcome. */
  readonly counts: Record<EvaluationResult["decision"], number>;
  /** Listens to every decision (tests, reports). */
  onDecision(listener: (decision: Decision) => void): () => void;
  /**
   * The session credentials the caller's role signs with: what a handler presigns an EKS token with, so
   * that the Kubernetes API knows which role calls it (as EKS asks STS).
   */
  credentialsFor(caller: Caller): { accessKeyId: string; secretAccessKey: string; sessionToken: string };
  /** The role ARN an EKS token (`k8s-aws-v1.` + a presigned GetCallerIdentity URL) was signed as, if one of ours. */
  principalOfToken(token: string): string | undefined;
  /** The Kubernetes API's decision for a token's principal on a cluster, from its access entries. */
  readonly kubernetes: NonNullable<Eks["kubernetesAuthorizer"]>;
}

export function createAuthorizer(cloud: LocalCloud): Authorizer {
  // Parsed once per policy name and document: a role's documents are the same strings call after call,
  // so the check is a pointer comparison, not a hash of kilobytes of JSON.
  const parsed = new Map<string, { document: string; policy: Policy }>();
  const parse = (name: string, document: string) => {
    const known = parsed.get(name);
    if (known && known.document === document) return known.policy;
    const policy = parsePolicy(name, document);
    parsed.set(name, { document, policy });
    return policy;
  };
  const hashKeys = new Map<string, Promise<string | undefined>>();
  const used = new Set<string>();
  const counts = { Allow: 0, ExplicitDeny: 0, ImplicitDeny: 0 };
  const listeners = new Set<(decision: Decision) => void>();

  const lookup = (region: string): Lookup => ({
    account: cloud.account,
    region,
    secretArn: (id) => cloud.secrets.find(region, id)?.arn,
    role: (name) => {
      const role = cloud.iam.principal(name);
      return role ? { arn: role.arn, boundary: role.boundaryArn } : undefined;
    },
    accessEntryArn: (cluster, principalArn) =>
      tryRead(
        () =>
          (
            op(cloud, "EKS", "DescribeAccessEntry", { clusterName: cluster, principalArn }, region) as {
              accessEntry?: { accessEntryArn?: string };
            }
          ).accessEntry?.accessEntryArn,
      ),
    podIdentityArn: (cluster, id) =>
      tryRead(
        () =>
          (
            op(
              cloud,
              "EKS",
              "DescribePodIdentityAssociation",
              { clusterName: cluster, associationId: id },
              region,
            ) as {
              association?: { associationArn?: string };
            }
          ).association?.associationArn,
      ),
    nodegroupArn: (cluster, name) =>
      tryRead(
        () =>
          (
            op(cloud, "EKS", "DescribeNodegroup", { clusterName: cluster, nodegroupName: name }, region) as {
              nodegroup?: { nodegroupArn?: string };
            }
          ).nodegroup?.nodegroupArn,
      ),
    hashKey: (table) => {
      const key = `${region}/${table}`;
      let known = hashKeys.get(key);
      if (!known) {
        known = Promise.resolve(op(cloud, "DynamoDB", "DescribeTable", { TableName: table }, region))
          .then(
            (out) =>
              (
                out as { Table?: { KeySchema?: { AttributeName?: string; KeyType?: string }[] } }
              ).Table?.KeySchema?.find((k) => k.KeyType === "HASH")?.AttributeName,
          )
          .catch(() => {
            hashKeys.delete(key);
            return undefined;
          });
        hashKeys.set(key, known);
      }
      return known;
    },
  });

  async function decide(call: LocalCloudCall, caller: Caller): Promise<Decision[]> {
    const mapping = mappingOf(call.service, call.operation);
    if (!mapping) {
      throw new UnmappedOperationError(
        `no IAM mapping for ${call.service}:${call.operation} (local/iam/operations)`,
      );
    }
    const requests = await mapping((call.input ?? {}) as Record<string, unknown>, lookup(call.region));
    return decideRequests(call, caller, requests);
  }

  /** Each request evaluated against the caller's role: its inline policies and its boundary. */
  function decideRequests(
    call: Pick<LocalCloudCall, "service" | "operation" | "region">,
    caller: Caller,
    requests: readonly MappedRequest[],
  ): Decision[] {
    const role = cloud.iam.principal(caller.roleName);
    const identity = role
      ? Object.entries(role.inlinePolicies).map(([name, document]) =>
          parse(`${caller.roleName}#${name}`, document),
        )
      : [];
    const boundary =
      role?.boundaryDocument !== undefined ? parse(`${role.boundaryArn}`, role.boundaryDocument) : undefined;
    const principal: Record<string, string> = {
      "aws:PrincipalArn": role?.arn ?? `arn:aws:iam::${cloud.account}:role/${caller.roleName}`,
      "aws:PrincipalAccount": cloud.account,
      "aws:PrincipalType": "AssumedRole",
      "aws:RequestedRegion": call.region,
    };
    for (const tag of role?.tags ?? []) principal[`aws:PrincipalTag/${tag.Key}`] = tag.Value;
    return requests.map((request) => {
      const context = new RequestContext({
        ...principal,
        ...resourceTags(cloud, request.resource, call.region),
        ...request.context,
      });
      const result = evaluate(
        { action: request.action, resource: request.resource, context },
        { identity, boundary },
      );
      return { caller, call: { service: call.service, operation: call.operation }, request, result };
    });
  }

  /** Counts and reports the decisions; the first that is not an Allow, if any. */
  function record(decisions: readonly Decision[]): Decision | undefined {
    for (const decision of decisions) {
      counts[decision.result.decision]++;
      if (decision.result.decision === "Allow" && decision.result.statement)
        used.add(decision.result.statement.id);
      for (const listener of listeners) listener(decision);
    }
    return decisions.find((d) => d.result.decision !== "Allow");
  }

  const issued = new Map<string, string>();
  const roleArnOf = (caller: Caller) =>
    cloud.iam.principal(caller.roleName)?.arn ?? `arn:aws:iam::${cloud.account}:role/${caller.roleName}`;
  const principalOfToken = (token: string): string | undefined => {
    if (!token.startsWith("k8s-aws-v1.")) return undefined;
    try {
      const url = new URL(Buffer.from(token.slice("k8s-aws-v1.".length), "base64url").toString("utf8"));
      const key = url.searchParams.get("X-Amz-Credential")?.split("/")[0];
      return key ? issued.get(key) : undefined;
    } catch {
      return undefined;
    }
  };

  return {
    used,
    counts,
    credentialsFor(caller) {
      // One key per role, stable across restarts: `ASIA` and 16 characters of the role name's hash.
      const accessKeyId = `ASIA${createHash("sha256").update(caller.roleName).digest("hex").slice(0, 16).toUpperCase()}`;
      issued.set(accessKeyId, roleArnOf(caller));
      return {
        accessKeyId,
        secretAccessKey: `local-${caller.roleName}`,
        sessionToken: `local-session-${caller.roleName}`,
      };
    },
    principalOfToken,
    // A token that is none of our roles' (the local operator's, a test's) is the cluster creator's: admin.
    kubernetes: (token, entries, request) => {
      const principal = principalOfToken(token);
      return principal ? kubernetesDecision(entries, principal, request) : undefined;
    },
    onDecision(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    explain: decide,
    roleExists: (roleName) => cloud.iam.principal(roleName) !== undefined,
    authorizeRequests(call, caller, requests) {
      return record(decideRequests(call, caller, requests));
    },
    async authorize(call, caller) {
      const denied = record(await decide(call, caller));
      if (denied) {
        throw awsError(
          call.service,
          ACCESS_DENIED.has(call.service) ? "AccessDenied" : "AccessDeniedException",
          deniedMessage(cloud.account, caller, denied),
          { status: 403 },
        );
      }
    },
  };
}

/** AWS's wording: who, what, on which resource, and which kind of policy decided. */
export function deniedMessage(account: string, caller: Caller, denied: Decision): string {
  const { action, resource } = denied.request;
  const who = `arn:aws:sts::${account}:assumed-role/${caller.roleName}/${caller.roleName}`;
  const kind = denied.result.by === "boundary" ? "a permissions boundary" : "an identity-based policy";
  const why =
    denied.result.decision === "ExplicitDeny"
      ? `with an explicit deny in ${kind}`
      : `because no ${denied.result.by === "boundary" ? "permissions boundary" : "identity-based policy"} allows the ${action} action`;
  return `User: ${who} is not authorized to perform: ${action} on resource: ${resource} ${why}`;
}

/** Calls an emulated operation directly (no faults, no authorization): lookups only. */
function op(cloud: LocalCloud, service: string, operation: string, input: unknown, region: string): unknown {
  const fn = cloud.services[service]?.operations[operation] as
    | ((input: unknown, region: string) => unknown)
    | undefined;
  if (!fn) throw new Error(`${service}:${operation} is not emulated`);
  return fn(input, region);
}

function tryRead<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

/**
 * `aws:ResourceTag/<key>` (and the service's own spelling of it) for a resource that exists and has tags,
 * read from the service that holds it.
 */
function resourceTags(cloud: LocalCloud, arn: string, region: string): Record<string, string> {
  const service = arn.split(":")[2];
  let tags: { Key?: string; Value?: string }[] | undefined;
  let prefix: string | undefined;
  if (service === "rds") {
    tags = tryRead(
      () =>
        (
          op(cloud, "RDS", "ListTagsForResource", { ResourceName: arn }, region) as {
            TagList?: { Key?: string; Value?: string }[];
          }
        ).TagList,
    );
  } else if (service === "secretsmanager") {
    tags = cloud.secrets.find(arn.split(":")[3] ?? region, arn)?.tags;
    prefix = "secretsmanager:ResourceTag/";
  } else if (service === "iam" && arn.includes(":role/")) {
    tags = cloud.iam.principal(arn.split("/").pop() ?? "")?.tags as
      | { Key?: string; Value?: string }[]
      | undefined;
    prefix = "iam:ResourceTag/";
  } else if (service === "eks") {
    const out = tryRead(
      () =>
        op(cloud, "EKS", "ListTagsForResource", { resourceArn: arn }, arn.split(":")[3] ?? region) as {
          tags?: Record<string, string>;
        },
    );
    tags = Object.entries(out?.tags ?? {}).map(([Key, Value]) => ({ Key, Value }));
  }
  const context: Record<string, string> = {};
  for (const tag of tags ?? []) {
    if (tag.Key === undefined) continue;
    context[`aws:ResourceTag/${tag.Key}`] = tag.Value ?? "";
    if (prefix) context[`${prefix}${tag.Key}`] = tag.Value ?? "";
  }
  return context;
}
