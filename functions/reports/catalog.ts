/**
 * The run report step, shared by every workflow. It reads the history of the executions of this
 * deployment's state machines (all named `<app>-<stage>-<workflow>`) and writes the registry table.
 */
import type { FunctionSpec, ResourceRef } from "../shared/catalog.ts";

const TABLE: ResourceRef = { ref: "tenantTable" };
/** Every execution of this deployment's state machines: `execution:<state machine>:<execution name>`. */
export const DEPLOYMENT_EXECUTIONS =
  "arn:${partition}:states:${region}:${account}:execution:${app}-${stage}-*:*";

export const reportFunctions = [
  {
    id: "reports/record-report",
    handler: "functions/reports/record-report.ts",
    description:
      "Builds a workflow's run report from its execution history and what it decided, stores it, returns the summary",
    timeoutSeconds: 60,
    memoryMB: 512,
    environment: { TENANT_TABLE: TABLE },
    permissions: [
      { actions: ["states:GetExecutionHistory"], resources: [DEPLOYMENT_EXECUTIONS] },
      // The report, its run alias and its parts are plain puts of `REPORT…` items only; the step never
      // reads them back (the CLI and the local admin API read reports with their own credentials).
      {
        actions: ["dynamodb:PutItem"],
        resources: [TABLE],
        conditions: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["REPORT*"] } },
      },
    ],
  },
] as const satisfies readonly FunctionSpec[];
