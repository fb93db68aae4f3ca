/**
 * The roles of the services that act for the control plane, made in local IAM as stacks/ deploys them:
 * each state machine's (its definition's derived policy, deploy/state-machine-iam.ts), each rule
 * target's and each schedule's (StartExecution on its one workflow, deploy/start-roles.ts).
 */
import { IAMClient } from "@aws-sdk/client-iam";
import type { DeployContext } from "../../deploy/context.ts";
import { deployable } from "../../deploy/deployable.ts";
import { type Starter, startExecutionStatements, starterTrustPolicy } from "../../deploy/start-roles.ts";
import {
  type PolicyDocument,
  policyDocument,
  STATES_TRUST_POLICY,
  stateMachinePolicy,
} from "../../deploy/state-machine-iam.ts";
import { createAwsClient } from "../../functions/shared/aws-clients.ts";
import type { StateMachineDefinition } from "../../workflows/asl.ts";
import { putRole } from "./bootstrap.ts";
import { DERIVED_POLICY, startRoleName, stateMachineRoleName } from "./roles.ts";

export interface ServiceRolesInput {
  readonly workflows: Iterable<{ readonly name: string; readonly definition: StateMachineDefinition }>;
  /** Each function's ARN, by catalog id, as the definitions are run. */
  readonly functionArns: Readonly<Record<string, string>>;
  /** A built workflow's state machine ARN. */
  readonly stateMachineArn: (workflow: string) => string;
  readonly rules: readonly { readonly name: string; readonly workflow: string }[];
  readonly schedules: readonly { readonly name: string; readonly workflow: string }[];
  readonly ctx: DeployContext;
}

export interface ServiceRole {
  readonly name: string;
  readonly description: string;
  readonly trust: unknown;
  readonly workflow: string;
  readonly policy: PolicyDocument;
}

/** Every service role the deployment has, with its derived policy. */
export function serviceRoles(input: ServiceRolesInput): ServiceRole[] {
  const { ctx } = input;
  const roles: ServiceRole[] = [];
  const built = new Set<string>();
  for (const workflow of input.workflows) {
    built.add(workflow.name);
    roles.push({
      name: stateMachineRoleName(workflow.name, ctx),
      description: `Role of state machine ${workflow.name}: what its definition calls`,
      trust: STATES_TRUST_POLICY,
      workflow: workflow.name,
      policy: stateMachinePolicy({ definition: workflow.definition, functionArns: input.functionArns, ctx }),
    });
  }
  const starters: [Starter, readonly { name: string; workflow: string }[]][] = [
    ["events", deployable(input.rules, built).ready],
    ["scheduler", deployable(input.schedules, built).ready],
  ];
  for (const [starter, entries] of starters) {
    for (const entry of entries) {
      roles.push({
        name: startRoleName(starter, entry.name, ctx),
        description: `Role ${starter} starts workflow ${entry.workflow} with (${entry.name})`,
        trust: starterTrustPolicy(starter),
        workflow: entry.workflow,
        policy: policyDocument(startExecutionStatements(input.stateMachineArn(entry.workflow))),
      });
    }
  }
  return roles;
}

/** Creates (or updates) every service role; returns what it created. */
export async function bootstrapServiceRoles(input: ServiceRolesInput): Promise<string[]> {
  const iam = createAwsClient(IAMClient, { region: input.ctx.region, trace: false });
  const created: string[] = [];
  for (const role of serviceRoles(input)) {
    const put = await putRole(iam, {
      name: role.name,
      description: role.description,
      trust: role.trust,
      tags: [{ Key: "cplane:workflow", Value: role.workflow }],
      policyName: DERIVED_POLICY,
      policy: role.policy,
    });
    if (put.created) created.push(`iam role ${role.name}`);
  }
  return created;
}
