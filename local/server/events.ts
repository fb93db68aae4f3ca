/**
 * The EventBridge API (JSON 1.1, `AWSEvents.*`) over the local bus. Requests reach an operation only
 * after AWS's model of its input has accepted them (see model.ts): members have the types, enums,
 * lengths and ranges AWS allows, and unknown members are gone, so what the bus stores is what AWS would.
 */
import {
  EventBridgeApiError,
  InvalidEventPatternException,
  type LocalEventBridge,
  type PutEventsRequestEntry,
  type PutRuleRequest,
  type Target,
} from "../bus/index.ts";
import type { AwsJsonService, Operation } from "./aws-json.ts";
import { loadModel } from "./model.ts";
import type { EventsOperation } from "./operations.ts";

const model = loadModel("events.json");

const str = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);
const rule = (input: Record<string, unknown>) => ({
  Name: String(input.Name),
  EventBusName: str(input.EventBusName),
});

export function eventBridgeService(bus: LocalEventBridge): AwsJsonService {
  const operations: Record<EventsOperation, Operation> = {
    PutEvents: (input) => bus.putEvents({ Entries: input.Entries as PutEventsRequestEntry[] }),
    PutRule: (input) => bus.putRule(input as unknown as PutRuleRequest),
    DeleteRule: (input) => {
      bus.deleteRule({ ...rule(input), Force: input.Force === true });
      return {};
    },
    DescribeRule: (input) => bus.describeRule(rule(input)),
    EnableRule: (input) => {
      bus.enableRule(rule(input));
      return {};
    },
    DisableRule: (input) => {
      bus.disableRule(rule(input));
      return {};
    },
    ListRules: (input) =>
      bus.listRules({
        NamePrefix: str(input.NamePrefix),
        EventBusName: str(input.EventBusName),
        Limit: typeof input.Limit === "number" ? input.Limit : undefined,
        NextToken: str(input.NextToken),
      }),
    PutTargets: (input) =>
      bus.putTargets({
        Rule: String(input.Rule),
        EventBusName: str(input.EventBusName),
        Targets: input.Targets as Target[],
      }),
    RemoveTargets: (input) =>
      bus.removeTargets({
        Rule: String(input.Rule),
        EventBusName: str(input.EventBusName),
        Ids: input.Ids as string[],
      }),
    ListTargetsByRule: (input) =>
      bus.listTargetsByRule({ Rule: String(input.Rule), EventBusName: str(input.EventBusName) }),
    TestEventPattern: (input) =>
      bus.testEventPattern({ EventPattern: String(input.EventPattern), Event: String(input.Event) }),
    ListEventBuses: () => bus.listEventBuses(),
  };
  return {
    targetPrefix: "AWSEvents",
    contentType: "application/x-amz-json-1.1",
    isClientError: (error) =>
      error instanceof EventBridgeApiError || error instanceof InvalidEventPatternException,
    operations,
    model,
  };
}
