/**
 * Loads the rules of events/rules.ts (a state-machine target each) and events/function-rules.ts (a
 * Lambda target each) into a local bus, exactly as stacks/ deploys them on AWS.
 */
import type { FunctionRule } from "../../events/function-rules.ts";
import type { WorkflowRule } from "../../events/rules.ts";
import type { LocalEventBridge } from "./bus.ts";

type Target = Parameters<LocalEventBridge["putTargets"]>[0]["Targets"][number];

/** Puts one rule, enabled, with its one target: what stacks/ deploys for each entry. */
function installRule(
  bus: LocalEventBridge,
  rule: {
    readonly name: string;
    readonly description: string;
    readonly eventBus: string;
    readonly eventPattern: unknown;
  },
  target: Target,
): string {
  const { RuleArn } = bus.putRule({
    Name: rule.name,
    EventBusName: rule.eventBus,
    Description: rule.description,
    EventPattern: JSON.stringify(rule.eventPattern),
    State: "ENABLED",
  });
  bus.putTargets({ Rule: rule.name, EventBusName: rule.eventBus, Targets: [target] });
  return RuleArn;
}

/**
 * Puts each rule and its state-machine target; `stateMachineArn` names the workflow's state machine,
 * `roleArn` the role the target starts it as (EventBridge refuses a state-machine target without one).
 */
export function installWorkflowRules(
  bus: LocalEventBridge,
  rules: readonly WorkflowRule[],
  stateMachineArn: (workflow: string) => string,
  roleArn: (rule: WorkflowRule) => string,
): string[] {
  return rules.map((rule) =>
    installRule(bus, rule, {
      Id: rule.workflow,
      Arn: stateMachineArn(rule.workflow),
      RoleArn: roleArn(rule),
      ...(rule.inputPath !== undefined ? { InputPath: rule.inputPath } : {}),
      ...(rule.inputTransformer ? { InputTransformer: rule.inputTransformer } : {}),
      ...(rule.retryPolicy ? { RetryPolicy: rule.retryPolicy } : {}),
    }),
  );
}

/** Puts each function rule with its one Lambda target; `functionArn` names the function. */
export function installFunctionRules(
  bus: LocalEventBridge,
  rules: readonly FunctionRule[],
  functionArn: (id: FunctionRule["function"]) => string,
): string[] {
  return rules.map((rule) =>
    installRule(bus, rule, {
      Id: rule.function.replace("/", "-"),
      Arn: functionArn(rule.function),
      ...(rule.retryPolicy ? { RetryPolicy: rule.retryPolicy } : {}),
    }),
  );
}
