/**
 * CloudWatch, Route 53, and the runtime's own Step Functions and EventBridge APIs. Metric calls have no
 * resource (`*`, with `cloudwatch:namespace` on PutMetricData); alarms are `alarm:<name>`; Route 53
 * resources are global (`arn:aws:route53:::hostedzone/<id>`); record changes carry the record names,
 * types and actions. PutEvents is authorized per bus with `events:source` and `events:detail-type`.
 */
import {
  type Lookup,
  type MappedRequest,
  type OperationMapping,
  request,
  requestTags,
  str,
} from "./types.ts";

const alarm = (name: unknown, l: Lookup) =>
  `arn:aws:cloudwatch:${l.region}:${l.account}:alarm:${str(name) || "*"}`;

export const cloudwatchMappings: Record<string, OperationMapping> = {
  PutMetricData: (input) => [
    request("cloudwatch:PutMetricData", "*", { "cloudwatch:namespace": str(input.Namespace) }),
  ],
  GetMetricData: () => [request("cloudwatch:GetMetricData", "*")],
  ListMetrics: () => [request("cloudwatch:ListMetrics", "*")],
  PutMetricAlarm: (input, l) => [
    request("cloudwatch:PutMetricAlarm", alarm(input.AlarmName, l), requestTags(input.Tags)),
  ],
  DescribeAlarms: (input, l) => {
    const names = (input.AlarmNames as string[] | undefined) ?? [];
    return names.length > 0
      ? names.map((name) => request("cloudwatch:DescribeAlarms", alarm(name, l)))
      : [
          request(
            "cloudwatch:DescribeAlarms",
            alarm(input.AlarmNamePrefix ? `${str(input.AlarmNamePrefix)}*` : "*", l),
          ),
        ];
  },
  DeleteAlarms: (input, l) =>
    ((input.AlarmNames as string[] | undefined) ?? []).map((name) =>
      request("cloudwatch:DeleteAlarms", alarm(name, l)),
    ),
  SetAlarmState: (input, l) => [request("cloudwatch:SetAlarmState", alarm(input.AlarmName, l))],
  DescribeAlarmHistory: (input, l) => [request("cloudwatch:DescribeAlarmHistory", alarm(input.AlarmName, l))],
};

const zone = (id: unknown) => `arn:aws:route53:::hostedzone/${str(id).replace(/^\/hostedzone\//, "")}`;
const healthCheck = (id: unknown) => `arn:aws:route53:::healthcheck/${str(id)}`;

interface Change {
  Action?: string;
  ResourceRecordSet?: { Name?: string; Type?: string };
}

export const route53Mappings: Record<string, OperationMapping> = {
  CreateHostedZone: () => [request("route53:CreateHostedZone", "*")],
  GetHostedZone: (input) => [request("route53:GetHostedZone", zone(input.Id))],
  ListHostedZones: () => [request("route53:ListHostedZones", "*")],
  ListHostedZonesByName: () => [request("route53:ListHostedZonesByName", "*")],
  DeleteHostedZone: (input) => [request("route53:DeleteHostedZone", zone(input.Id))],
  ChangeResourceRecordSets: (input) => {
    const changes = ((input.ChangeBatch as { Changes?: Change[] } | undefined)?.Changes ?? []) as Change[];
    const unique = (values: string[]) => [...new Set(values)];
    return [
      request("route53:ChangeResourceRecordSets", zone(input.HostedZoneId), {
        "route53:ChangeResourceRecordSetsActions": unique(changes.map((c) => str(c.Action))),
        // Normalized as Route 53 documents: lower case, no trailing dot.
        "route53:ChangeResourceRecordSetsNormalizedRecordNames": unique(
          changes.map((c) => str(c.ResourceRecordSet?.Name).toLowerCase().replace(/\.$/, "")),
        ),
        "route53:ChangeResourceRecordSetsRecordTypes": unique(
          changes.map((c) => str(c.ResourceRecordSet?.Type)),
        ),
      }),
    ];
  },
  ListResourceRecordSets: (input) => [request("route53:ListResourceRecordSets", zone(input.HostedZoneId))],
  GetChange: (input) => [
    request("route53:GetChange", `arn:aws:route53:::change/${str(input.Id).replace(/^\/change\//, "")}`),
  ],
  CreateHealthCheck: () => [request("route53:CreateHealthCheck", "*")],
  GetHealthCheck: (input) => [request("route53:GetHealthCheck", healthCheck(input.HealthCheckId))],
  ListHealthChecks: () => [request("route53:ListHealthChecks", "*")],
  DeleteHealthCheck: (input) => [request("route53:DeleteHealthCheck", healthCheck(input.HealthCheckId))],
  GetHealthCheckStatus: (input) => [
    request("route53:GetHealthCheckStatus", healthCheck(input.HealthCheckId)),
  ],
  ChangeTagsForResource: (input) => [
    request(
      "route53:ChangeTagsForResource",
      str(input.ResourceType) === "hostedzone" ? zone(input.ResourceId) : healthCheck(input.ResourceId),
    ),
  ],
  ListTagsForResource: (input) => [
    request(
      "route53:ListTagsForResource",
      str(input.ResourceType) === "hostedzone" ? zone(input.ResourceId) : healthCheck(input.ResourceId),
    ),
  ],
};

const onArn =
  (action: string, field: string): OperationMapping =>
  (input) => [request(action, str(input[field]))];

export const stepFunctionsMappings: Record<string, OperationMapping> = {
  ListStateMachines: () => [request("states:ListStateMachines", "*")],
  DescribeStateMachine: onArn("states:DescribeStateMachine", "stateMachineArn"),
  StartExecution: onArn("states:StartExecution", "stateMachineArn"),
  DescribeExecution: onArn("states:DescribeExecution", "executionArn"),
  ListExecutions: onArn("states:ListExecutions", "stateMachineArn"),
  GetExecutionHistory: onArn("states:GetExecutionHistory", "executionArn"),
  StopExecution: onArn("states:StopExecution", "executionArn"),
  RedriveExecution: onArn("states:RedriveExecution", "executionArn"),
  // Task tokens are no resource IAM knows: these actions take `*` only.
  SendTaskSuccess: () => [request("states:SendTaskSuccess", "*")],
  SendTaskFailure: () => [request("states:SendTaskFailure", "*")],
  SendTaskHeartbeat: () => [request("states:SendTaskHeartbeat", "*")],
};

const events = (l: Lookup) => `arn:aws:events:${l.region}:${l.account}`;
const bus = (name: unknown, l: Lookup) => {
  const text = str(name) || "default";
  return text.startsWith("arn:") ? text : `${events(l)}:event-bus/${text}`;
};
const rule = (input: Record<string, unknown>, l: Lookup) => {
  const busName = str(input.EventBusName).split("/").pop() || "default";
  return `${events(l)}:rule/${busName === "default" ? "" : `${busName}/`}${str(input.Name ?? input.Rule)}`;
};
const onRule =
  (action: string): OperationMapping =>
  (input, l) => [request(action, rule(input, l))];

interface Entry {
  EventBusName?: string;
  Source?: string;
  DetailType?: string;
}

export const eventBridgeMappings: Record<string, OperationMapping> = {
  PutEvents: (input, l) =>
    ((input.Entries ?? []) as Entry[]).map(
      (entry): MappedRequest =>
        request("events:PutEvents", bus(entry.EventBusName, l), {
          "events:source": str(entry.Source),
          "events:detail-type": str(entry.DetailType),
        }),
    ),
  PutRule: (input, l) => [request("events:PutRule", rule(input, l), requestTags(input.Tags))],
  DeleteRule: onRule("events:DeleteRule"),
  DescribeRule: onRule("events:DescribeRule"),
  EnableRule: onRule("events:EnableRule"),
  DisableRule: onRule("events:DisableRule"),
  ListRules: () => [request("events:ListRules", "*")],
  PutTargets: (input, l) =>
    ((input.Targets ?? []) as { Arn?: string }[]).map((t) =>
      request("events:PutTargets", rule(input, l), { "events:TargetArn": str(t.Arn) }),
    ),
  RemoveTargets: onRule("events:RemoveTargets"),
  ListTargetsByRule: onRule("events:ListTargetsByRule"),
  TestEventPattern: () => [request("events:TestEventPattern", "*")],
  ListEventBuses: () => [request("events:ListEventBuses", "*")],
};
