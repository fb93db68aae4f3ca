/**
 * One state machine per workflow: the catalog's definition with function ARNs substituted, a role
 * derived from what the definition calls, logging (without execution data: payloads stay out of
 * logs) and X-Ray tracing.
 */

import type { DeployContext } from "../deploy/context.ts";
import { workflowCatalog } from "../workflows/catalog.ts";
import { renderDefinition, stateMachinePermissions } from "./wiring.ts";

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
      assumeRolePolicy: aws.iam.assumeRolePolicyForPrincipal({ Service: "states.amazonaws.com" }),
    });
    new aws.iam.RolePolicy(`${name}Policy`, {
      role: role.id,
      policy: $util.all([ctx, functionArns]).apply(([c, arns]) =>
        JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            ...stateMachinePermissions(workflow.definition, arns, c).map((p) => ({
              Effect: "Allow",
              Action: p.actions,
              Resource: p.resources,
            })),
            {
              // CloudWatch Logs delivery and X-Ray have no resource-level permissions (AWS docs:
              // "Using CloudWatch Logs to log execution history in Step Functions").
              Effect: "Allow",
              Action: [
                "logs:CreateLogDelivery",
                "logs:GetLogDelivery",
                "logs:UpdateLogDelivery",
                "logs:DeleteLogDelivery",
                "logs:ListLogDeliveries",
                "logs:PutResourcePolicy",
                "logs:DescribeResourcePolicies",
                "logs:DescribeLogGroups",
                "xray:PutTraceSegments",
                "xray:PutTelemetryRecords",
                "xray:GetSamplingRules",
                "xray:GetSamplingTargets",
              ],
              Resource: "*",
            },
          ],
        }),
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
