/**
 * Canary promotion steps. IAM from exactly what each handler calls: DescribeCluster on the services'
 * EKS clusters (for the Kubernetes token and endpoint), the registry's `CANARY#` items (signals) and
 * `LOCK#`/`OWNER#` items (the fleet interlock) by leading key, our bus, GetMetricData (no resource-level
 * permission exists for it), task tokens. Kubernetes access through an EKS access entry on the
 * services' cluster: view for the steps that only read, edit for those that apply Deployments and
 * Istio routes.
 */
import type { FunctionSpec, IamStatement, KubernetesAccess, ResourceRef } from "../shared/catalog.ts";
import { CANARY_SERVICES } from "./lib/services.ts";

const TABLE: ResourceRef = { ref: "tenantTable" };
const BUS: ResourceRef = { ref: "bus" };

/** The services' clusters, `{region}` as the deployment's region (stacks/ makes one access entry there). */
const CLUSTERS = [
  ...new Set(Object.values(CANARY_SERVICES).map((s) => s.cluster.replaceAll("{region}", "${region}"))),
];
const SERVICE_CLUSTER = CLUSTERS[0] ?? "";
const describeClusters: IamStatement = {
  actions: ["eks:DescribeCluster"],
  resources: CLUSTERS.map(
    (name) => `arn:\${partition}:eks:*:\${account}:cluster/${name.replaceAll("${region}", "*")}`,
  ),
};

const registry = (actions: string[], prefixes: string[]): IamStatement => ({
  actions: actions.map((action) => `dynamodb:${action}`),
  resources: [TABLE],
  conditions: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": prefixes.map((p) => `${p}*`) } },
});
const fleetLock = registry(["GetItem", "PutItem", "UpdateItem", "DeleteItem"], ["LOCK#", "OWNER#"]);
const publish: IamStatement = { actions: ["events:PutEvents"], resources: [BUS] };
const answerTokens: IamStatement = {
  actions: ["states:SendTaskSuccess"],
  resources: ["*"],
  reason: "task-token actions have no resource type in IAM",
};

const VIEW: KubernetesAccess = {
  cluster: SERVICE_CLUSTER,
  accessPolicy: "arn:${partition}:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
  reason: "reads the services' Deployments, VirtualServices and DestinationRules",
};
const EDIT: KubernetesAccess = {
  cluster: SERVICE_CLUSTER,
  accessPolicy: "arn:${partition}:eks::aws:cluster-access-policy/AmazonEKSEditPolicy",
  reason:
    "applies and deletes the canary Deployment and applies the VirtualService; edit is the narrowest access policy that writes Deployments (Istio aggregates its routing kinds into edit)",
};

const spec = <const Step extends string>(
  step: Step,
  description: string,
  permissions: IamStatement[],
  options: { environment?: FunctionSpec["environment"]; kubernetes?: KubernetesAccess } = {},
): FunctionSpec & { readonly id: `canary/${Step}` } => ({
  id: `canary/${step}` as const,
  handler: `functions/canary/${step}.ts`,
  description,
  timeoutSeconds: 30,
  memoryMB: 512,
  environment: options.environment ?? {},
  permissions,
  ...(options.kubernetes ? { kubernetes: options.kubernetes } : {}),
});

const ENV = { TENANT_TABLE: TABLE, EVENT_BUS_NAME: BUS };

export const canaryFunctions = [
  spec(
    "resolve-plan",
    "Turns a push or a service and image into the canary's plan, from the configuration",
    [describeClusters],
    {
      kubernetes: VIEW,
    },
  ),
  spec(
    "deploy-canary",
    "Applies the canary Deployment (stable's pods with the new image), registers the running canary, announces Canary Started",
    [describeClusters, registry(["PutItem"], ["CANARY#"]), publish],
    { environment: ENV, kubernetes: EDIT },
  ),
  spec(
    "check-rollout",
    "Reads a Deployment's rollout: ready, or ProgressDeadlineExceeded",
    [describeClusters],
    {
      kubernetes: VIEW,
    },
  ),
  spec(
    "scale-canary",
    "Sizes this execution's canary Deployment for the next stage, before its traffic moves",
    [describeClusters],
    { kubernetes: EDIT },
  ),
  spec(
    "shift-traffic",
    "Sets the VirtualService's weights or cohort route for a stage whose pods are ready, under the fleet lock",
    [describeClusters, fleetLock, publish],
    { environment: ENV, kubernetes: EDIT },
  ),
  spec(
    "analyze",
    "Compares the canary with stable over the stage's window (GetMetricData) against the gates",
    [
      {
        actions: ["cloudwatch:GetMetricData"],
        resources: ["*"],
        reason: "GetMetricData has no resource-level permission",
      },
    ],
  ),
  spec(
    "await-signal",
    "Stores the bake's task token for signals, handing back a pending command at once",
    [registry(["UpdateItem"], ["CANARY#"]), answerTokens],
    { environment: { TENANT_TABLE: TABLE } },
  ),
  spec(
    "signal",
    "Hands a person's or an alarm's command (abort, promote, pause, resume) to the service's running canary",
    [registry(["GetItem", "UpdateItem"], ["CANARY#"]), answerTokens],
    { environment: { TENANT_TABLE: TABLE } },
  ),
  spec(
    "promote",
    "Sends all traffic to the canary and rolls stable to the new image, under the fleet lock",
    [describeClusters, fleetLock],
    { environment: { TENANT_TABLE: TABLE }, kubernetes: EDIT },
  ),
  spec(
    "finish-promotion",
    "Sends all traffic back to stable (now the new image) and removes the canary, under the fleet lock",
    [describeClusters, fleetLock],
    { environment: { TENANT_TABLE: TABLE }, kubernetes: EDIT },
  ),
  spec(
    "rollback",
    "Sends all traffic to stable at once, then removes this execution's canary, under the fleet lock",
    [describeClusters, fleetLock],
    { environment: { TENANT_TABLE: TABLE }, kubernetes: EDIT },
  ),
  spec(
    "find-stopped-canary",
    "After a canary execution is stopped from outside: its service, its plan, how far it got; takes it on for the clean-up",
    [describeClusters, registry(["GetItem", "UpdateItem"], ["CANARY#"])],
    { environment: { TENANT_TABLE: TABLE }, kubernetes: VIEW },
  ),
  spec(
    "finish",
    "Announces Canary Promoted or Canary Rolled Back and unregisters the running canary",
    [publish, registry(["DeleteItem"], ["CANARY#"])],
    { environment: ENV },
  ),
] as const satisfies readonly FunctionSpec[];
