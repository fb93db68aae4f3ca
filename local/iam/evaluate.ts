/**
 * AWS's policy evaluation logic for a principal of this account ("Policy evaluation logic", IAM User
 * Guide), for the policy types the local cloud has: identity-based policies and a permissions boundary.
 * 1. A Deny statement that applies, in any of them, decides: explicit deny.
 * 2. Otherwise the request needs an Allow in an identity-based policy, and, when the principal has a
 *    permissions boundary, an Allow in the boundary too (the boundary grants nothing by itself).
 * 3. Otherwise: implicit deny.
 * A statement applies when its Action (or NotAction), Resource (or NotResource) and every condition match.
 */
import { conditionHolds, RequestContext, substituteVariables } from "./conditions.ts";
import type { Policy, Statement } from "./policy.ts";
import { actionMatches, resourceMatches } from "./wildcards.ts";

export interface AuthorizationRequest {
  /** `service:Action`, e.g. `rds:CreateDBCluster`. */
  readonly action: string;
  /** The resource's ARN, or `*` for actions without a resource type. */
  readonly resource: string;
  /** Condition keys and their values (global, service and resource keys). */
  readonly context: RequestContext;
}

export interface PrincipalPolicies {
  readonly identity: readonly Policy[];
  readonly boundary?: Policy;
}

export type Decision = "Allow" | "ExplicitDeny" | "ImplicitDeny";

export interface EvaluationResult {
  readonly decision: Decision;
  /** The statement that allowed (identity) or denied the request. */
  readonly statement?: Statement;
  /** Where the decision was made: the identity policies or the permissions boundary. */
  readonly by: "identity" | "boundary";
}

function resourceApplies(pattern: string, request: AuthorizationRequest): boolean {
  const filled = substituteVariables(pattern, request.context);
  return filled !== undefined && resourceMatches(filled, request.resource);
}

/** Whether a statement applies to the request, whatever its effect. */
export function statementApplies(statement: Statement, request: AuthorizationRequest): boolean {
  const action = statement.actions.some((pattern) => actionMatches(pattern, request.action));
  if (action === statement.notActions) return false;
  const resource = statement.resources.some((pattern) => resourceApplies(pattern, request));
  if (resource === statement.notResources) return false;
  return statement.conditions.every((test) => conditionHolds(test, request.context));
}

function find(policies: readonly Policy[], effect: "Allow" | "Deny", request: AuthorizationRequest) {
  for (const policy of policies) {
    for (const statement of policy.statements) {
      if (statement.effect === effect && statementApplies(statement, request)) return statement;
    }
  }
  return undefined;
}

export function evaluate(request: AuthorizationRequest, principal: PrincipalPolicies): EvaluationResult {
  const boundary = principal.boundary ? [principal.boundary] : [];
  const identityDeny = find(principal.identity, "Deny", request);
  if (identityDeny) return { decision: "ExplicitDeny", statement: identityDeny, by: "identity" };
  const boundaryDeny = find(boundary, "Deny", request);
  if (boundaryDeny) return { decision: "ExplicitDeny", statement: boundaryDeny, by: "boundary" };
  const allow = find(principal.identity, "Allow", request);
  if (!allow) return { decision: "ImplicitDeny", by: "identity" };
  if (principal.boundary && !find(boundary, "Allow", request))
    return { decision: "ImplicitDeny", by: "boundary" };
  return { decision: "Allow", statement: allow, by: "identity" };
}

export { RequestContext };
