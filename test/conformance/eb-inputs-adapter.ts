/**
 * Adapter for ../shared/conformance/run-eb-input-cases.mjs: each case runs through a fresh local
 * bus, the way an event reaches an SQS target on AWS. PutRule and PutTargets (whose checks of the
 * input fields throw ValidationException, naming the target), then PutEvents at the recorded
 * ingestion time; the body is what the bus hands its dispatcher for the target, or null when the
 * bus delivered nothing (the invocation then sits in its dead-letter log).
 */
import { createLocalEventBridge, type Target } from "../../local/bus/index.ts";
import { createClock } from "../../local/clock/clock.ts";

interface CaseContext {
  account: string;
  region: string;
  eventBusName: string;
  ruleName: string;
  ingestionTime: string;
}

interface CaseEvent {
  source: string;
  "detail-type": string;
  time: string;
  resources?: string[];
  detail: unknown;
}

export async function transform(
  target: Target,
  event: CaseEvent | null,
  context: CaseContext,
): Promise<string | null> {
  const clock = createClock({ mode: { kind: "manual" }, start: Date.parse(context.ingestionTime) });
  const bodies: string[] = [];
  const unexpected = (arn: string) =>
    Promise.reject(new Error(`the cases only have SQS targets, not ${arn}`));
  const bus = createLocalEventBridge({
    clock,
    region: context.region,
    account: context.account,
    buses: context.eventBusName === "default" ? [] : [context.eventBusName],
    dispatcher: {
      startExecution: unexpected,
      invokeFunction: unexpected,
      deliver: async (_arn, input) => {
        bodies.push(input);
      },
    },
  });
  bus.putRule({
    Name: context.ruleName,
    EventBusName: context.eventBusName,
    EventPattern: JSON.stringify({ source: [event?.source ?? "any"] }),
  });
  bus.putTargets({ Rule: context.ruleName, EventBusName: context.eventBusName, Targets: [target] });
  if (!event) return null;
  const result = bus.putEvents({
    Entries: [
      {
        Source: event.source,
        DetailType: event["detail-type"],
        Detail: JSON.stringify(event.detail),
        Resources: event.resources ?? [],
        Time: event.time,
        EventBusName: context.eventBusName,
      },
    ],
  });
  if (result.FailedEntryCount > 0) throw new Error(`PutEvents refused the event: ${JSON.stringify(result)}`);
  await bus.drain();
  return bodies[0] ?? null;
}
