/**
 * The operations kit's steps, shared by every workflow: leases (locks), approval gates, waits woken by
 * AWS's own events, and the clean-up after an execution stopped from outside. Registry access is
 * limited to the kit's own items by their partition key (`dynamodb:LeadingKeys`).
 */
import type { FunctionSpec, IamStatement, ResourceRef } from "../shared/catalog.ts";

const TABLE: ResourceRef = { ref: "tenantTable" };
const BUS: ResourceRef = { ref: "bus" };
const RDS = "arn:${partition}:rds:${region}:${account}";
/** Executions of this deployment's state machines (`<app>-<stage>-<workflow>`). */
const EXECUTIONS = "arn:${partition}:states:${region}:${account}:execution:${app}-${stage}-*:*";

/** Registry items whose partition key starts with one of `prefixes` only. */
const registry = (actions: string[], prefixes: string[]): IamStatement => ({
  actions: actions.map((action) => `dynamodb:${action}`),
  resources: [TABLE],
  conditions: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": prefixes.map((p) => `${p}*`) } },
});

/** One step's entry; its id keeps its literal type, so that `CatalogFunctionId` lists every step. */
const spec = <const Step extends string>(
  step: Step,
  description: string,
  permissions: IamStatement[],
  environment: FunctionSpec["environment"] = { TENANT_TABLE: TABLE },
): FunctionSpec & { readonly id: `ops/${Step}` } => ({
  id: `ops/${step}` as const,
  handler: `functions/ops/${step}.ts`,
  description,
  timeoutSeconds: 30,
  memoryMB: 256,
  environment,
  permissions,
});

// SendTaskSuccess/SendTaskFailure take a task token, not a resource: IAM has no resource-level
// permission for them (Service Authorization Reference, AWS Step Functions), so "*" is the only resource.
const answerTokens: IamStatement = {
  actions: ["states:SendTaskSuccess"],
  resources: ["*"],
  reason: "task-token actions have no resource type in IAM",
};

const describeRds: IamStatement[] = [
  { actions: ["rds:DescribeDBClusters"], resources: [`${RDS}:cluster:*`] },
  { actions: ["rds:DescribeDBInstances"], resources: [`${RDS}:db:*`] },
  { actions: ["rds:DescribeDBClusterSnapshots"], resources: [`${RDS}:cluster-snapshot:*`] },
];

export const opsFunctions = [
  spec("acquire-locks", "Takes named leases (exclusive or shared) for an execution, all or none", [
    // UpdateItem: a shared hold is taken in one conditional update (lib/leases.ts addSharedHold).
    registry(["GetItem", "PutItem", "UpdateItem", "DeleteItem"], ["LOCK#", "OWNER#"]),
    // Whether a holder in the way still runs: a dead holder's lease is given back, not waited out.
    { actions: ["states:DescribeExecution"], resources: [EXECUTIONS] },
  ]),
  spec("release-locks", "Gives back the leases an execution holds", [
    // UpdateItem: a shared hold is given back in one conditional update (lib/leases.ts removeSharedHold).
    registry(["GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query"], ["LOCK#", "OWNER#"]),
  ]),
  spec(
    "request-approval",
    "Stores an approval request with its task token and announces Approval Requested (without the token)",
    [
      registry(["PutItem", "GetItem"], ["APPROVAL#"]),
      { actions: ["events:PutEvents"], resources: [BUS] },
      answerTokens,
    ],
    { TENANT_TABLE: TABLE, EVENT_BUS_NAME: BUS },
  ),
  spec(
    "await-resource",
    "Registers an execution waiting for an RDS resource, resuming it at once if it has settled",
    [registry(["PutItem", "DeleteItem"], ["WAITER#"]), ...describeRds, answerTokens],
  ),
  spec(
    "resume-waiters",
    "Resumes the executions waiting for an RDS resource when its AWS event says it changed",
    [registry(["Query", "DeleteItem"], ["WAITER#"]), ...describeRds, answerTokens],
  ),
  spec(
    "describe-stopped-execution",
    "Reads a stopped or timed-out execution (its workflow and input) for the clean-up that follows it",
    [{ actions: ["states:DescribeExecution"], resources: [EXECUTIONS] }],
    {},
  ),
] as const satisfies readonly FunctionSpec[];
