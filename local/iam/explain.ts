/**
 * `cplane iam explain`: how local IAM decides one request of a role, with the evaluator the runtime
 * authorizes every call with (./evaluate.ts): the statement that allowed it, or why it is denied (an
 * explicit Deny, no statement of the role that applies and why each near miss does not, or the
 * permissions boundary). The roles are those the catalogs give each function, state machine, rule target
 * and schedule, rendered for the local deployment, as the runtime creates them.
 */
import type { DeployContext } from "../../deploy/context.ts";
import { deployable } from "../../deploy/deployable.ts";
import { startExecutionStatements } from "../../deploy/start-roles.ts";
import { policyDocument, stateMachinePolicy } from "../../deploy/state-machine-iam.ts";
import { workflowRules } from "../../events/rules.ts";
import { workflowSchedules } from "../../events/schedules.ts";
import { functionCatalog } from "../../functions/catalog.ts";
import type { FunctionId } from "../../functions/shared/catalog.ts";
import { workflowCatalog } from "../../workflows/catalog.ts";
import { type ContextValue, conditionHolds, RequestContext } from "./conditions.ts";
import { type EvaluationResult, evaluate } from "./evaluate.ts";
import { type Policy, type PolicyDocumentJson, parsePolicy, type Statement } from "./policy.ts";
import {
  CATALOG_POLICY,
  catalogPolicy,
  DERIVED_POLICY,
  functionRoleName,
  roleArnOf,
  startRoleName,
  stateMachineRoleName,
} from "./roles.ts";
import { actionMatches, resourceMatches } from "./wildcards.ts";

/** A role as explain reads it: its inline policies and its permissions boundary, if any. */
export interface Principal {
  /** What the role acts for: `function tenant/announce`, `state machine tenant-onboarding`. */
  readonly label: string;
  readonly roleName: string;
  readonly roleArn: string;
  readonly policies: readonly { readonly name: string; readonly document: PolicyDocumentJson }[];
  readonly boundary?: { readonly name: string; readonly document: PolicyDocumentJson };
}

export class UnknownPrincipalError extends Error {
  override name = "UnknownPrincipalError";
}

export class InvalidRequestError extends Error {
  override name = "InvalidRequestError";
}

/**
 * The role of `who`: a function id (`tenant/announce`), a workflow (its state machine's role), a rule or
 * a schedule name (its start role), as `functionArn` names functions in the deployment `ctx`.
 */
const KINDS = ["function", "workflow", "rule", "schedule"] as const;
type Kind = (typeof KINDS)[number];

/**
 * The role `who` names: a function id, a workflow, a rule or a schedule of the catalogs, or one of
 * them said explicitly as `kind:name` (`schedule:dr-readiness`: the schedule and the workflow it starts
 * share that name). A bare name more than one kind holds is refused, naming the choices.
 */
export function catalogPrincipal(
  who: string,
  ctx: DeployContext,
  functionArn: (id: FunctionId) => string,
): Principal {
  const role = (label: string, roleName: string, name: string, document: PolicyDocumentJson): Principal => ({
    label,
    roleName,
    roleArn: roleArnOf(roleName, ctx),
    policies: [{ name, document }],
  });
  const built = new Set<string>(workflowCatalog.keys());
  const stateMachineArn = (name: string) =>
    `arn:${ctx.partition}:states:${ctx.region}:${ctx.account}:stateMachine:${ctx.app}-${ctx.stage}-${name}`;
  const prefix = /^(?<kind>[a-z]+):(?<name>.+)$/.exec(who)?.groups;
  const asKind =
    prefix && (KINDS as readonly string[]).includes(prefix.kind ?? "") ? (prefix.kind as Kind) : undefined;
  const name = asKind ? (prefix?.name ?? "") : who;

  const candidates: { kind: Kind; make: () => Principal }[] = [];
  const spec = functionCatalog.get(name as FunctionId);
  if (spec)
    candidates.push({
      kind: "function",
      make: () =>
        role(`function ${name}`, functionRoleName(spec.id, ctx), CATALOG_POLICY, catalogPolicy(spec, ctx)),
    });
  const workflow = workflowCatalog.get(name as never);
  if (workflow)
    candidates.push({
      kind: "workflow",
      make: () => {
        const functionArns = Object.fromEntries(
          [...functionCatalog.keys()].map((id) => [id, functionArn(id)]),
        );
        const document = stateMachinePolicy({ definition: workflow.definition, functionArns, ctx });
        return role(`state machine ${name}`, stateMachineRoleName(name, ctx), DERIVED_POLICY, document);
      },
    });
  const rule = deployable(workflowRules, built).ready.find((r) => r.name === name);
  if (rule)
    candidates.push({
      kind: "rule",
      make: () => {
        const document = policyDocument(startExecutionStatements(stateMachineArn(rule.workflow)));
        return role(`rule ${name}'s target`, startRoleName("events", name, ctx), DERIVED_POLICY, document);
      },
    });
  const schedule = deployable(workflowSchedules, built).ready.find((s) => s.name === name);
  if (schedule)
    candidates.push({
      kind: "schedule",
      make: () => {
        const document = policyDocument(startExecutionStatements(stateMachineArn(schedule.workflow)));
        return role(`schedule ${name}`, startRoleName("scheduler", name, ctx), DERIVED_POLICY, document);
      },
    });

  const chosen = asKind ? candidates.filter((c) => c.kind === asKind) : candidates;
  if (chosen.length > 1) {
    throw new UnknownPrincipalError(
      `"${name}" names a ${chosen.map((c) => c.kind).join(" and a ")}: say which (${chosen.map((c) => `${c.kind}:${name}`).join(" or ")})`,
    );
  }
  const [only] = chosen;
  if (only) return only.make();
  const known = [...functionCatalog.keys(), ...workflowCatalog.keys()];
  const near = known.filter((k) => k.includes(name) || name.includes(k.split("/").pop() ?? k));
  throw new UnknownPrincipalError(
    `no ${asKind ?? "function, workflow, rule or schedule"} named "${name}"${near.length > 0 ? `; did you mean ${near.slice(0, 5).join(", ")}?` : ""}`,
  );
}

export interface ExplainRequest {
  /** `rds:DeleteDBCluster`. */
  readonly action: string;
  /** The resource's ARN; `*` for an action without a resource type. */
  readonly resource: string;
  /** Condition keys the request carries (`aws:ResourceTag/cplane:tenant` → `acme`). */
  readonly context: Readonly<Record<string, ContextValue>>;
}

export interface Explanation {
  readonly principal: Principal;
  readonly request: ExplainRequest;
  readonly result: EvaluationResult;
  /** The statement that decided, as its policy wrote it. */
  readonly statement?: Statement;
  /** Why the request is denied, or, when allowed, nothing. */
  readonly reasons: readonly string[];
}

const ACTION = /^[a-z0-9-]+:[A-Za-z0-9*?]+$/;

/** Decides the request for the principal and says why, as the runtime's authorizer would decide it. */
export function explain(principal: Principal, request: ExplainRequest): Explanation {
  if (!ACTION.test(request.action)) {
    throw new InvalidRequestError(
      `"${request.action}" is not an IAM action (service:Action, e.g. rds:DeleteDBCluster)`,
    );
  }
  if (request.resource !== "*" && !/^arn:[^:]+:[^:]*:[^:]*:[^:]*:.+/.test(request.resource)) {
    throw new InvalidRequestError(
      `"${request.resource}" is not an ARN (arn:partition:service:region:account:resource) or *`,
    );
  }
  const identity = principal.policies.map((p) => parsePolicy(`${principal.roleName}#${p.name}`, p.document));
  const boundary = principal.boundary
    ? parsePolicy(principal.boundary.name, principal.boundary.document)
    : undefined;
  const context = new RequestContext({
    "aws:PrincipalArn": principal.roleArn,
    "aws:PrincipalAccount": principal.roleArn.split(":")[4] ?? "",
    "aws:PrincipalType": "AssumedRole",
    ...request.context,
  });
  const evaluation = { action: request.action, resource: request.resource, context };
  const result = evaluate(evaluation, { identity, boundary });
  const reasons: string[] = [];
  if (result.decision === "ExplicitDeny") {
    reasons.push(
      `explicit deny: statement ${result.statement?.id} of ${result.by === "boundary" ? "the permissions boundary" : "the role's policy"} denies it, whatever any other statement allows`,
    );
  } else if (result.decision === "ImplicitDeny" && result.by === "boundary") {
    reasons.push(
      `the permissions boundary ${boundary?.name}: the role's policy allows it, the boundary does not (a boundary grants nothing, it only limits)`,
    );
    reasons.push(...nearMisses(boundary ? [boundary] : [], evaluation));
  } else if (result.decision === "ImplicitDeny") {
    reasons.push(
      `no statement matched: no statement of role ${principal.roleName} allows ${request.action} on ${request.resource}`,
    );
    reasons.push(...nearMisses(identity, evaluation));
  }
  return { principal, request, result, statement: result.statement, reasons };
}

/** Allow statements that name the action, and what keeps each from applying. */
function nearMisses(
  policies: readonly Policy[],
  request: { action: string; resource: string; context: RequestContext },
): string[] {
  const found: string[] = [];
  for (const policy of policies) {
    for (const statement of policy.statements) {
      if (statement.effect !== "Allow") continue;
      const action = statement.actions.some((p) => actionMatches(p, request.action));
      if (action === statement.notActions) continue;
      const resource = statement.resources.some((p) => resourceMatches(p, request.resource));
      if (resource === statement.notResources) {
        found.push(
          `  ${statement.id} allows ${request.action} on ${statement.resources.slice(0, 4).join(", ")}${
            statement.resources.length > 4 ? ` and ${statement.resources.length - 4} more` : ""
          }, not on ${request.resource}`,
        );
        continue;
      }
      for (const test of statement.conditions) {
        if (conditionHolds(test, request.context)) continue;
        const has = request.context.get(test.key);
        found.push(
          `  ${statement.id} names the action and resource, but its condition ${test.operator} ${test.key} ${JSON.stringify(test.values)} does not hold: ${
            has === undefined
              ? `the request has no ${test.key} (give it with --context ${test.key}=VALUE)`
              : `the request's ${test.key} is ${JSON.stringify(has)}`
          }`,
        );
      }
    }
  }
  return found;
}

/** The explanation as `cplane iam explain` prints it. */
export function explanationText(explanation: Explanation): string {
  const { principal, request, result, statement } = explanation;
  const lines = [`${principal.label} (role ${principal.roleName}): ${request.action} on ${request.resource}`];
  if (result.decision === "Allow" && statement) {
    lines.push(`ALLOWED by statement ${statement.id}:`);
    lines.push(`  Action ${statement.actions.join(", ")}`);
    lines.push(`  Resource ${statement.resources.join(", ")}`);
    for (const test of statement.conditions)
      lines.push(`  Condition ${test.operator} ${test.key} ${JSON.stringify(test.values)}`);
  } else {
    lines.push(`DENIED (${result.decision === "ExplicitDeny" ? "explicit deny" : "implicit deny"})`);
    lines.push(...explanation.reasons.map((reason) => (reason.startsWith("  ") ? reason : `  ${reason}`)));
  }
  return `${lines.join("\n")}\n`;
}
