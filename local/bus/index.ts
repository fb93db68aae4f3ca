/** The local EventBridge's public surface. */
export {
  createLocalEventBridge,
  type DeadLetter,
  type Delivery,
  type DeliveryKey,
  EventBridgeApiError,
  type EventEnvelope,
  type LocalEventBridge,
  type LocalEventBridgeOptions,
  type LoggedEvent,
  type PutEventsRequestEntry,
  type PutEventsResponse,
  type PutRuleRequest,
  type RetryPolicy,
  type RuleDescription,
  type RuleMetrics,
  type Target,
  type TargetDispatcher,
} from "./bus.ts";
export {
  DEFAULT_EVENT_LOG_RETENTION,
  EventLog,
  type EventLogRetention,
  InvalidEventLogRetentionError,
  type SequencedEvent,
} from "./event-log.ts";
export type { InputTransformer, TargetInputConfig } from "./input.ts";
export { installFunctionRules, installWorkflowRules } from "./install-rules.ts";
export { compilePattern, InvalidEventPatternException, testEventPattern } from "./pattern.ts";
export { createRuleSet, type RuleSet } from "./ruleset.ts";
