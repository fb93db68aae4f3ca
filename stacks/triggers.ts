/**
 * What starts the workflows on AWS: the rules of events/rules.ts on their bus, and the schedules of
 * events/schedules.ts in EventBridge Scheduler — the same lists the local runtime loads. A rule or
 * schedule whose workflow is not built yet is left out, as locally. Each rule target and each schedule
 * starts its workflow as a role of its own (deploy/start-roles.ts), which the local runtime uses too.
 */

import { deployable } from "../deploy/deployable.ts";
import { RULE_NAME_MAX, SCHEDULE_NAME_MAX, stageResourceName } from "../deploy/names.ts";
import {
  SCHEDULE_RETRY_POLICY,
  type Starter,
  startExecutionStatements,
  starterTrustPolicy,
} from "../deploy/start-roles.ts";
import { policyDocument } from "../deploy/state-machine-iam.ts";
import { functionRules } from "../events/function-rules.ts";
import { workflowRules } from "../events/rules.ts";
import { workflowSchedules } from "../events/schedules.ts";

export function deployTriggers(
  bus: sst.aws.Bus,
  stateMachines: Record<string, aws.sfn.StateMachine>,
  functions: Record<string, sst.aws.Function>,
) {
  deployFunctionRules(functions);
  const built = new Set(Object.keys(stateMachines));
  const rules = deployable(workflowRules, built).ready;
  const schedules = deployable(workflowSchedules, built).ready;
  const arnOf = (workflow: string) => (stateMachines[workflow] as aws.sfn.StateMachine).arn;
  if (rules.length === 0 && schedules.length === 0) return;

  // A delivery that fails past its retries lands here instead of being dropped: nothing is lost.
  const deadLetters = new aws.sqs.Queue("TriggerDeadLetters", {
    messageRetentionSeconds: 14 * 24 * 3600,
    sqsManagedSseEnabled: true,
  });
  new aws.sqs.QueuePolicy("TriggerDeadLettersPolicy", {
    queueUrl: deadLetters.url,
    policy: deadLetters.arn.apply((arn) =>
      JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Service: ["events.amazonaws.com", "scheduler.amazonaws.com"] },
            Action: "sqs:SendMessage",
            Resource: arn,
          },
        ],
      }),
    ),
  });

  // Each target starts its workflow with a role of its own that may start exactly that state machine.
  const startRole = (name: string, starter: Starter, workflow: string) => {
    const role = new aws.iam.Role(name, { assumeRolePolicy: JSON.stringify(starterTrustPolicy(starter)) });
    new aws.iam.RolePolicy(`${name}Policy`, {
      role: role.id,
      policy: arnOf(workflow).apply((arn) => JSON.stringify(policyDocument(startExecutionStatements(arn)))),
    });
    return role;
  };

  if (rules.length > 0) {
    for (const rule of rules) {
      const name = `Rule${rule.name.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase())}`;
      const role = startRole(`${name}Role`, "events", rule.workflow);
      const eventBusName = rule.eventBus === "default" ? "default" : bus.name;
      const eventRule = new aws.cloudwatch.EventRule(name, {
        name: stageResourceName($app.name, $app.stage, rule.name, RULE_NAME_MAX),
        description: rule.description,
        eventBusName,
        eventPattern: JSON.stringify(rule.eventPattern),
      });
      new aws.cloudwatch.EventTarget(`${name}Target`, {
        rule: eventRule.name,
        eventBusName,
        arn: arnOf(rule.workflow),
        roleArn: role.arn,
        inputPath: rule.inputPath,
        inputTransformer: rule.inputTransformer && {
          inputPaths: rule.inputTransformer.InputPathsMap,
          inputTemplate: rule.inputTransformer.InputTemplate,
        },
        retryPolicy: rule.retryPolicy && {
          maximumRetryAttempts: rule.retryPolicy.MaximumRetryAttempts,
          maximumEventAgeInSeconds: rule.retryPolicy.MaximumEventAgeInSeconds,
        },
        deadLetterConfig: { arn: deadLetters.arn },
      });
    }
  }

  if (schedules.length > 0) {
    for (const schedule of schedules) {
      const name = `Schedule${schedule.name.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase())}`;
      const role = startRole(`${name}Role`, "scheduler", schedule.workflow);
      new aws.scheduler.Schedule(name, {
        name: stageResourceName($app.name, $app.stage, schedule.name, SCHEDULE_NAME_MAX),
        description: schedule.description,
        scheduleExpression: schedule.scheduleExpression,
        scheduleExpressionTimezone: schedule.timezone,
        state: schedule.state,
        flexibleTimeWindow: schedule.flexibleTimeWindowMinutes
          ? { mode: "FLEXIBLE", maximumWindowInMinutes: schedule.flexibleTimeWindowMinutes }
          : { mode: "OFF" },
        target: {
          arn: arnOf(schedule.workflow),
          roleArn: role.arn,
          input: JSON.stringify(schedule.input),
          retryPolicy: {
            maximumRetryAttempts: SCHEDULE_RETRY_POLICY.MaximumRetryAttempts,
            maximumEventAgeInSeconds: SCHEDULE_RETRY_POLICY.MaximumEventAgeInSeconds,
          },
          deadLetterConfig: { arn: deadLetters.arn },
        },
      });
    }
  }
}

/** Rules that invoke a function (events/function-rules.ts): the rule, its target, EventBridge's permission. */
function deployFunctionRules(functions: Record<string, sst.aws.Function>) {
  for (const rule of functionRules) {
    const fn = functions[rule.function];
    if (!fn)
      throw new Error(`rule ${rule.name} targets ${rule.function}, which is not in the function catalog`);
    const name = `Rule${rule.name.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase())}`;
    const eventRule = new aws.cloudwatch.EventRule(name, {
      name: stageResourceName($app.name, $app.stage, rule.name, RULE_NAME_MAX),
      description: rule.description,
      eventBusName: rule.eventBus,
      eventPattern: JSON.stringify(rule.eventPattern),
    });
    new aws.lambda.Permission(`${name}Invoke`, {
      action: "lambda:InvokeFunction",
      function: fn.name,
      principal: "events.amazonaws.com",
      sourceArn: eventRule.arn,
    });
    new aws.cloudwatch.EventTarget(`${name}Target`, {
      rule: eventRule.name,
      eventBusName: rule.eventBus,
      arn: fn.arn,
      retryPolicy: rule.retryPolicy && {
        maximumRetryAttempts: rule.retryPolicy.MaximumRetryAttempts,
        maximumEventAgeInSeconds: rule.retryPolicy.MaximumEventAgeInSeconds,
      },
    });
  }
}
