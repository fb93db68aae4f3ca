/**
 * Each function's role as the local runtime creates it in local IAM: named after the function, trusting
 * Lambda, with one inline policy made of its catalog statements (placeholders and resource references
 * filled in as stacks/ fills them). What a role may do is then read from local IAM, like any other role.
 */
import { type DeployContext, fillPlaceholders, resolveRef } from "../../deploy/context.ts";
import { stageResourceName } from "../../deploy/names.ts";
import type { Starter } from "../../deploy/start-roles.ts";
import type { FunctionSpec, IamStatement } from "../../functions/shared/catalog.ts";
import type { PolicyDocumentJson, PolicyStatementJson } from "./policy.ts";

/** The inline policy holding a function's catalog statements. */
export const CATALOG_POLICY = "catalog";

/** `cplane-local-tenant-provision-database`: the app, the stage and the function id. */
export function functionRoleName(id: string, ctx: Pick<DeployContext, "app" | "stage">): string {
  return `${ctx.app}-${ctx.stage}-${id.replace("/", "-")}`;
}

/** IAM role names: 1-64 characters (IAM User Guide, quotas). */
const ROLE_NAME_MAX = 64;

/** The inline policy of a service's role: what deploy/ derives for it (a definition, a target). */
export const DERIVED_POLICY = "derived";

/** `cplane-local-tenant-onboarding-states`: the role a workflow's state machine runs as. */
export function stateMachineRoleName(workflow: string, ctx: Pick<DeployContext, "app" | "stage">): string {
  return stageResourceName(ctx.app, ctx.stage, `${workflow}-states`, ROLE_NAME_MAX);
}

/** `cplane-local-rule-tenant-requested-onboarding`: the role a rule target or a schedule starts its workflow as. */
export function startRoleName(
  starter: Starter,
  name: string,
  ctx: Pick<DeployContext, "app" | "stage">,
): string {
  return stageResourceName(
    ctx.app,
    ctx.stage,
    `${starter === "events" ? "rule" : "schedule"}-${name}`,
    ROLE_NAME_MAX,
  );
}

export const roleArnOf = (name: string, ctx: Pick<DeployContext, "account" | "partition">) =>
  `arn:${ctx.partition}:iam::${ctx.account}:role/${name}`;

/** Sid of a catalog statement: its index in the function's list, so that reports can name it. */
export const statementSid = (index: number) => `Catalog${index}`;

export function renderStatement(
  statement: IamStatement,
  index: number,
  ctx: DeployContext,
): PolicyStatementJson {
  const condition: Record<string, Record<string, string[]>> = {};
  for (const [operator, keys] of Object.entries(statement.conditions ?? {})) {
    condition[operator] = {};
    for (const [key, values] of Object.entries(keys)) {
      condition[operator][fillPlaceholders(key, ctx)] = (
        typeof values === "string" ? [values] : [...values]
      ).map((value) => fillPlaceholders(value, ctx));
    }
  }
  return {
    Sid: statementSid(index),
    Effect: "Allow",
    Action: [...statement.actions],
    Resource: statement.resources.map((resource) =>
      typeof resource === "string" ? fillPlaceholders(resource, ctx) : resolveRef(resource, ctx, "arn"),
    ),
    ...(statement.conditions ? { Condition: condition } : {}),
  };
}

/** The function's catalog statements as one policy document. */
export function catalogPolicy(spec: FunctionSpec, ctx: DeployContext): PolicyDocumentJson {
  return { Version: "2012-10-17", Statement: spec.permissions.map((s, i) => renderStatement(s, i, ctx)) };
}

export const LAMBDA_TRUST: PolicyDocumentJson & { Statement: unknown } = {
  Version: "2012-10-17",
  Statement: [
    { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" } as never,
  ],
};
