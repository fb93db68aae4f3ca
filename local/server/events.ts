/** The EventBridge API (JSON 1.1, `AWSEvents.*`) over the local bus. */
import {
  EventBridgeApiError,
  InvalidEventPatternException,
  type LocalEventBridge,
  type PutEventsRequestEntry,
  type PutRuleRequest,
  type Target,
} from "../bus/index.ts";
import { type AwsJsonService, checkFields, RequestError } from "./aws-json.ts";

/** PutEvents entries: a list of objects whose Detail, when given, is JSON text. */
function checkEntries(entries: unknown): void {
  if (!Array.isArray(entries))
    throw new RequestError(400, "SerializationException", "'Entries' must be a list");
  for (const entry of entries) {
    if (entry === null || typeof entry !== "object" || Array.isArray(entry)) {
      throw new RequestError(400, "SerializationException", "each of 'Entries' must be an object");
    }
    checkFields(entry as Record<string, unknown>, {
      strings: ["Source", "DetailType", "Detail", "EventBusName", "Time", "TraceHeader"],
      arrays: ["Resources"],
    });
  }
}

const str = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

export function eventBridgeService(bus: LocalEventBridge): AwsJsonService {
  return {
    targetPrefix: "AWSEvents",
    contentType: "application/x-amz-json-1.1",
    isClientError: (error) =>
      error instanceof EventBridgeApiError || error instanceof InvalidEventPatternException,
    operations: {
      PutEvents: (input) => {
        checkFields(input, { required: ["Entries"], arrays: ["Entries"] });
        checkEntries(input.Entries);
        return bus.putEvents({ Entries: input.Entries as PutEventsRequestEntry[] });
      },
      PutRule: (input) => {
        checkFields(input, {
          required: ["Name"],
          strings: ["Name", "EventBusName", "EventPattern", "State", "Description"],
        });
        return bus.putRule(input as unknown as PutRuleRequest);
      },
      DeleteRule: (input) => {
        checkFields(input, {
          required: ["Name"],
          strings: ["Name", "EventBusName", "EventPattern", "State", "Description"],
        });
        bus.deleteRule({
          Name: String(input.Name),
          EventBusName: str(input.EventBusName),
          Force: input.Force === true,
        });
        return {};
      },
      DescribeRule: (input) => {
        checkFields(input, {
          required: ["Name"],
          strings: ["Name", "EventBusName", "EventPattern", "State", "Description"],
        });
        return bus.describeRule({ Name: String(input.Name), EventBusName: str(input.EventBusName) });
      },
      EnableRule: (input) => {
        checkFields(input, {
          required: ["Name"],
          strings: ["Name", "EventBusName", "EventPattern", "State", "Description"],
        });
        bus.enableRule({ Name: String(input.Name), EventBusName: str(input.EventBusName) });
        return {};
      },
      DisableRule: (input) => {
        checkFields(input, {
          required: ["Name"],
          strings: ["Name", "EventBusName", "EventPattern", "State", "Description"],
        });
        bus.disableRule({ Name: String(input.Name), EventBusName: str(input.EventBusName) });
        return {};
      },
      ListRules: (input) =>
        bus.listRules({
          NamePrefix: str(input.NamePrefix),
          EventBusName: str(input.EventBusName),
          Limit: typeof input.Limit === "number" ? input.Limit : undefined,
          NextToken: str(input.NextToken),
        }),
      PutTargets: (input) => {
        checkFields(input, {
          required: ["Rule", "Targets"],
          strings: ["Rule", "EventBusName"],
          arrays: ["Targets"],
        });
        return bus.putTargets({
          Rule: String(input.Rule),
          EventBusName: str(input.EventBusName),
          Targets: input.Targets as Target[],
        });
      },
      RemoveTargets: (input) => {
        checkFields(input, { required: ["Rule", "Ids"], strings: ["Rule", "EventBusName"], arrays: ["Ids"] });
        return bus.removeTargets({
          Rule: String(input.Rule),
          EventBusName: str(input.EventBusName),
          Ids: input.Ids as string[],
        });
      },
      ListTargetsByRule: (input) => {
        checkFields(input, { required: ["Rule"], strings: ["Rule", "EventBusName"] });
        return bus.listTargetsByRule({ Rule: String(input.Rule), EventBusName: str(input.EventBusName) });
      },
      TestEventPattern: (input) => {
        checkFields(input, { required: ["EventPattern", "Event"], strings: ["EventPattern", "Event"] });
        return bus.testEventPattern({ EventPattern: String(input.EventPattern), Event: String(input.Event) });
      },
      ListEventBuses: () => bus.listEventBuses(),
    },
  };
}
