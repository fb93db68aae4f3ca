/**
 * The pure half of the stacks: everything stacks/ deploys that can be computed from the catalogs
 * without SST — IAM statements with placeholders filled in, state machine definitions with ARNs
 * substituted. What the local runtime needs as well (the deploy context, placeholders, environments,
 * the state machines' and start roles' IAM) is in deploy/. Kept free of SST's globals so that vitest can check
 * it; the SST files beside it only feed in deployed names and ARNs.
 */

import {
  type DeployContext,
  fillPlaceholders,
  resolveRef,
  UnresolvedReferenceError,
} from "../deploy/context.ts";
import type {
  FunctionId,
  FunctionSpec,
  IamStatement,
  KubernetesAccess,
} from "../functions/shared/catalog.ts";
import { type StateMachineDefinition, substituteFunctions } from "../workflows/asl.ts";

/** An IAM statement as SST's Function `permissions` takes it. */
export interface RenderedPermission {
  actions: string[];
  resources: string[];
  conditions?: { test: string; variable: string; values: string[] }[];
}

export function renderPermission(statement: IamStatement, ctx: DeployContext): RenderedPermission {
  const rendered: RenderedPermission = {
    actions: [...statement.actions],
    resources: statement.resources.map((resource) =>
      typeof resource === "string" ? fillPlaceholders(resource, ctx) : resolveRef(resource, ctx, "arn"),
    ),
  };
  if (statement.conditions) {
    rendered.conditions = Object.entries(statement.conditions).flatMap(([test, variables]) =>
      Object.entries(variables).map(([variable, values]) => ({
        test,
        variable: fillPlaceholders(variable, ctx),
        values: (typeof values === "string" ? [values] : [...values]).map((value) =>
          fillPlaceholders(value, ctx),
        ),
      })),
    );
  }
  return rendered;
}

/**
 * What every function's role needs besides its catalog statements: active X-Ray tracing (set for
 * all functions in stacks/defaults.ts) needs these two actions, which have no resource-level
 * permissions (AWS: "Actions, resources, and condition keys for AWS X-Ray"), hence `*`.
 */
export const TRACING_PERMISSION: RenderedPermission = {
  actions: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
  resources: ["*"],
};

/** Who may assume a function's role: the Lambda service, nobody else. */
export const LAMBDA_TRUST_POLICY = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
} as const;

/** The role statements of one function: its catalog entry's, then tracing. */
export function functionPermissions(spec: FunctionSpec, ctx: DeployContext): RenderedPermission[] {
  return [...spec.permissions.map((statement) => renderPermission(statement, ctx)), TRACING_PERMISSION];
}

/** The cluster and EKS access policy of a function's access entry, placeholders filled in. */
export function renderKubernetesAccess(
  access: KubernetesAccess,
  ctx: DeployContext,
): { clusterName: string; policyArn: string } {
  return {
    clusterName: fillPlaceholders(access.cluster, ctx),
    policyArn: fillPlaceholders(access.accessPolicy, ctx),
  };
}

/** `tenant/provision-database` → `TenantProvisionDatabase`, the SST component name. */
export function componentName(id: FunctionId): string {
  return id
    .split(/[/-]/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("");
}

/** The definition as deployed: every function placeholder replaced by the deployed ARN. */
export function renderDefinition(
  definition: StateMachineDefinition,
  functionArns: Readonly<Record<string, string>>,
): StateMachineDefinition {
  return substituteFunctions(definition, (id) => {
    const arn = functionArns[id];
    if (!arn)
      throw new UnresolvedReferenceError(`state machine refers to function ${id}, which is not deployed`);
    return arn;
  });
}

/** Statements that grant a wildcard action or resource without a written reason. */
export function unexplainedWildcards(specs: Iterable<FunctionSpec>): string[] {
  const problems: string[] = [];
  for (const spec of specs) {
    for (const statement of spec.permissions) {
      if (statement.actions.some((action) => action.includes("*"))) {
        problems.push(`${spec.id}: wildcard action in ${statement.actions.join(", ")}`);
      }
      if (statement.resources.some((r) => r === "*") && !statement.reason) {
        problems.push(`${spec.id}: resource "*" without a reason for ${statement.actions.join(", ")}`);
      }
    }
  }
  return problems;
}
