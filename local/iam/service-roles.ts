/**
 * The roles of the services that act for the control plane, made in local IAM as stacks/ deploys them:
 * each state machine's (its definition's derived policy, deploy/state-machine-iam.ts), each rule
 * target's and each schedule's (StartExecution on its one workflow, deploy/start-roles.ts).
 */
import { IAMClient } from "@aws-sdk/client-iam";
import type { DeployContext } from "../../deploy/context.ts";
import { deployable } from "../../deploy/deployable.ts";
import { type Starter, startExecutionStatements, starterTrustPolicy } from "../../deploy/start-roles.ts";
import { policyDocument, STATES_TRUST_POLICY, stateMachinePolicy } from "../../deploy/state-machine-iam.ts";
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

/** Creates (or updates) every service role; returns what it created. */
export async function bootstrapServiceRoles(input: ServiceRolesInput): Promise<string[]> {
  const { ctx } = input;
  const iam = createAwsClient(IAMClient, { region: ctx.region, trace: false });
  const created: string[] = [];
  const built = new Set<string>();
  for (const workflow of input.workflows) {
    built.add(workflow.name);
    const name = stateMachineRoleName(workflow.name, ctx);
    const put = await putRole(iam, {
      name,
      description: `Role of state machine ${workflow.name}: what its definition calls`,
      trust: STATES_TRUST_POLICY,
      tags: [{ Key: "cplane:workflow", Value: workflow.name }],
      policyName: DERIVED_POLICY,
      policy: stateMachinePolicy({ definition: workflow.definition, functionArns: input.functionArns, ctx }),
    });
    if (put.created) created.push(`iam role ${name}`);
  }
  const starters: [Starter, readonly { name: string; workflow: string }[]][] = [
    ["events", deployable(input.rules, built).ready],
    ["scheduler", deployable(input.schedules, built).ready],
  ];
  for (const [starter, entries] of starters) {
    for (const entry of entries) {
      const name = startRoleName(starter, entry.name, ctx);
      const put = await putRole(iam, {
        name,
        description: `Role ${starter} starts workflow ${entry.workflow} with (${entry.name})`,
        trust: starterTrustPolicy(starter),
        tags: [{ Key: "cplane:workflow", Value: entry.workflow }],
        policyName: DERIVED_POLICY,
        policy: policyDocument(startExecutionStatements(input.stateMachineArn(entry.workflow))),
      });
      if (put.created) created.push(`iam role ${name}`);
    }
  }
  return created;
}
