/** The EventBridge API (JSON 1.1, `AWSEvents.*`) over the local bus. */
import {
  EventBridgeApiError,
  InvalidEventPatternException,
  type LocalEventBridge,
  type PutEventsRequestEntry,
  type PutRuleRequest,
  type Target,
} from "../bus/index.ts";
import type { AwsJsonService } from "./aws-json.ts";

function required(input: Record<string, unknown>, ...names: string[]): void {
  const missing = names.filter(
    (name) => input[name] === undefined || input[name] === null || input[name] === "",
  );
  if (missing.length > 0) {
    throw new EventBridgeApiError(
      "ValidationException",
      `${missing.length} validation error(s) detected: ${missing.map((n) => `Value null at '${n}' failed to satisfy constraint: Member must not be null`).join("; ")}`,
    );
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
        required(input, "Entries");
        return bus.putEvents({ Entries: input.Entries as PutEventsRequestEntry[] });
      },
      PutRule: (input) => {
        required(input, "Name");
        return bus.putRule(input as unknown as PutRuleRequest);
      },
      DeleteRule: (input) => {
        required(input, "Name");
        bus.deleteRule({
          Name: String(input.Name),
          EventBusName: str(input.EventBusName),
          Force: input.Force === true,
        });
        return {};
      },
      DescribeRule: (input) => {
        required(input, "Name");
        return bus.describeRule({ Name: String(input.Name), EventBusName: str(input.EventBusName) });
      },
      EnableRule: (input) => {
        required(input, "Name");
        bus.enableRule({ Name: String(input.Name), EventBusName: str(input.EventBusName) });
        return {};
      },
      DisableRule: (input) => {
        required(input, "Name");
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
        required(input, "Rule", "Targets");
        return bus.putTargets({
          Rule: String(input.Rule),
          EventBusName: str(input.EventBusName),
          Targets: input.Targets as Target[],
        });
      },
      RemoveTargets: (input) => {
        required(input, "Rule", "Ids");
        return bus.removeTargets({
          Rule: String(input.Rule),
          EventBusName: str(input.EventBusName),
          Ids: input.Ids as string[],
        });
      },
      ListTargetsByRule: (input) => {
        required(input, "Rule");
        return bus.listTargetsByRule({ Rule: String(input.Rule), EventBusName: str(input.EventBusName) });
      },
      TestEventPattern: (input) => {
        required(input, "EventPattern", "Event");
        return bus.testEventPattern({ EventPattern: String(input.EventPattern), Event: String(input.Event) });
      },
      ListEventBuses: () => bus.listEventBuses(),
    },
  };
}
