/**
 * Loads the workflow rules of events/rules.ts into a local bus: one rule per entry with one
 * state-machine target, exactly as stacks/ deploys them on AWS.
 */
import type { FunctionRule } from "../../events/function-rules.ts";
import type { WorkflowRule } from "../../events/rules.ts";
import type { LocalEventBridge } from "./bus.ts";

/** Puts each rule and its target; `stateMachineArn` names the workflow's state machine. */
export function installWorkflowRules(
  bus: LocalEventBridge,
  rules: readonly WorkflowRule[],
  stateMachineArn: (workflow: string) => string,
): string[] {
  const arns: string[] = [];
  for (const rule of rules) {
    const { RuleArn } = bus.putRule({
      Name: rule.name,
      EventBusName: rule.eventBus,
      Description: rule.description,
      EventPattern: JSON.stringify(rule.eventPattern),
      State: "ENABLED",
    });
    bus.putTargets({
      Rule: rule.name,
      EventBusName: rule.eventBus,
      Targets: [
        {
          Id: rule.workflow,
          Arn: stateMachineArn(rule.workflow),
          ...(rule.inputPath !== undefined ? { InputPath: rule.inputPath } : {}),
          ...(rule.inputTransformer ? { InputTransformer: rule.inputTransformer } : {}),
          ...(rule.retryPolicy ? { RetryPolicy: rule.retryPolicy } : {}),
        },
      ],
    });
    arns.push(RuleArn);
  }
  return arns;
}

/** Puts each function rule with its one Lambda target; `functionArn` names the function. */
export function installFunctionRules(
  bus: LocalEventBridge,
  rules: readonly FunctionRule[],
  functionArn: (id: FunctionRule["function"]) => string,
): string[] {
  return rules.map((rule) => {
    const { RuleArn } = bus.putRule({
      Name: rule.name,
      EventBusName: rule.eventBus,
      Description: rule.description,
      EventPattern: JSON.stringify(rule.eventPattern),
      State: "ENABLED",
    });
    bus.putTargets({
      Rule: rule.name,
      EventBusName: rule.eventBus,
      Targets: [
        {
          Id: rule.function.replace("/", "-"),
          Arn: functionArn(rule.function),
          ...(rule.retryPolicy ? { RetryPolicy: rule.retryPolicy } : {}),
        },
      ],
    });
    return RuleArn;
  });
}
