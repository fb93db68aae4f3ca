/**
 * One state machine per workflow: the catalog's definition with function ARNs substituted, a role
 * derived from what the definition calls (deploy/state-machine-iam.ts, which the local runtime uses too), logging (without execution data: payloads stay out of
 * logs) and X-Ray tracing.
 */

import type { DeployContext } from "../deploy/context.ts";
import { STATES_TRUST_POLICY, stateMachinePolicy } from "../deploy/state-machine-iam.ts";
import { workflowCatalog } from "../workflows/catalog.ts";
import { renderDefinition } from "./wiring.ts";

export function deployWorkflows(
  ctx: $util.Output<DeployContext>,
  functions: Record<string, sst.aws.Function>,
) {
  const ids = Object.keys(functions);
  const functionArns = $resolve(ids.map((id) => functions[id]?.arn ?? "")).apply((arns) =>
    Object.fromEntries(ids.map((id, i) => [id, arns[i] ?? ""])),
  );
  const deployed: Record<string, aws.sfn.StateMachine> = {};
  for (const workflow of workflowCatalog.values()) {
    const name = workflow.name
      .split("-")
      .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
      .join("");
    const logGroup = new aws.cloudwatch.LogGroup(`${name}Logs`, {
      name: `/aws/vendedlogs/states/${$app.name}-${$app.stage}-${workflow.name}`,
      retentionInDays: 30,
    });
    const role = new aws.iam.Role(`${name}Role`, {
      assumeRolePolicy: JSON.stringify(STATES_TRUST_POLICY),
    });
    new aws.iam.RolePolicy(`${name}Policy`, {
      role: role.id,
      policy: $util
        .all([ctx, functionArns])
        .apply(([c, arns]) =>
          JSON.stringify(stateMachinePolicy({ definition: workflow.definition, functionArns: arns, ctx: c })),
        ),
    });
    deployed[workflow.name] = new aws.sfn.StateMachine(name, {
      name: `${$app.name}-${$app.stage}-${workflow.name}`,
      roleArn: role.arn,
      definition: functionArns.apply((arns) => JSON.stringify(renderDefinition(workflow.definition, arns))),
      loggingConfiguration: {
        level: "ALL",
        includeExecutionData: false,
        logDestination: $interpolate`${logGroup.arn}:*`,
      },
      tracingConfiguration: { enabled: true },
    });
  }
  return deployed;
}
