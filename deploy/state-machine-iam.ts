/**
 * The IAM of a state machine's role, derived from its definition: what Step Functions calls on the role's
 * behalf for each Task it runs ("How Step Functions generates IAM policies for integrated services",
 * Step Functions Developer Guide), and nothing else. stacks/ deploys this document as each state machine's
 * role; the local runtime creates the same role in local IAM and authorizes every Task as it.
 *
 * - `lambda:invoke` (and `.waitForTaskToken`), legacy Lambda ARNs: `lambda:InvokeFunction` on each function
 *   the definition names, and its versions and aliases (`<arn>:*`).
 * - `events:putEvents`: `events:PutEvents` on each bus its entries name (the default bus when none).
 * - `states:startExecution`: `states:StartExecution` on the nested state machine; `.sync` and `.sync:2`
 *   also `states:DescribeExecution`/`states:StopExecution` on its executions and the managed rule that
 *   Step Functions uses to learn that a nested run ended.
 * - `aws-sdk:<service>:<action>`: the action of the same name, on the ARNs its arguments name.
 * - logging and X-Ray, which have no resource-level permissions (reasons below).
 * A resource or argument it cannot derive from (a JSONata expression as a function name, an SDK call
 * without an ARN) is a `NoIamDerivationError` naming the state, never a wildcard.
 */
import {
  FUNCTION_REF_PREFIX,
  type JsonObject,
  type JsonValue,
  type StateMachineDefinition,
} from "../workflows/asl.ts";
import { type DeployContext, UnresolvedReferenceError } from "./context.ts";

/** One statement of a derived role policy; `reason` says why a `*` resource is needed. */
export interface DerivedStatement {
  readonly sid: string;
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  readonly reason?: string;
}

export interface PolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: readonly {
    readonly Sid: string;
    readonly Effect: "Allow";
    readonly Action: string[];
    readonly Resource: string[];
  }[];
}

export class NoIamDerivationError extends Error {
  override name = "NoIamDerivationError";
}

/** Who may assume a state machine's role: Step Functions only. */
export const STATES_TRUST_POLICY = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "states.amazonaws.com" }, Action: "sts:AssumeRole" }],
} as const;

/** Logging to CloudWatch Logs: vended-log delivery, whose actions take no resource ARN. */
export const LOGGING_STATEMENT: DerivedStatement = {
  sid: "Logging",
  actions: [
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
  ],
  resources: ["*"],
  reason:
    "CloudWatch Logs' log-delivery actions support no resource-level permissions; Step Functions documents `*` for them (Developer Guide, 'Using CloudWatch Logs to log execution history in Step Functions')",
};

/** Active X-Ray tracing of executions. */
export const TRACING_STATEMENT: DerivedStatement = {
  sid: "Tracing",
  actions: [
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
  ],
  resources: ["*"],
  reason:
    "X-Ray's segment and sampling actions support no resource-level permissions (Service Authorization Reference, AWS X-Ray); Step Functions documents `*` for tracing",
};

/** The managed rule through which `.sync` learns that a nested execution ended (Developer Guide). */
const SYNC_RULE = "StepFunctionsGetEventsForStepFunctionsExecutionRule";

const LAMBDA_ARN = /^arn:[\w-]+:lambda:[^:]+:\d{12}:function:[^:]+/;
const isExpression = (value: unknown) => typeof value === "string" && value.trim().startsWith("{%");

interface TaskState {
  readonly name: string;
  readonly resource: string;
  /** JSONata `Arguments` or JSONPath `Parameters`. */
  readonly args: JsonObject;
}

/** Every Task state, Parallel branches and Map processors included. */
export function taskStates(definition: StateMachineDefinition): TaskState[] {
  const found: TaskState[] = [];
  const visit = (states: Readonly<Record<string, JsonValue | undefined>> | undefined) => {
    for (const [name, value] of Object.entries(states ?? {})) {
      if (!value || typeof value !== "object" || Array.isArray(value)) continue;
      const state = value as JsonObject;
      if (state.Type === "Task" && typeof state.Resource === "string") {
        const args = (state.Arguments ?? state.Parameters ?? {}) as JsonObject;
        found.push({ name, resource: state.Resource, args: typeof args === "object" ? args : {} });
      }
      for (const branch of (state.Branches ?? []) as JsonObject[]) visit(branch.States as JsonObject);
      const processor = (state.ItemProcessor ?? state.Iterator) as JsonObject | undefined;
      if (processor) {
        const mode = (processor.ProcessorConfig as JsonObject | undefined)?.Mode;
        if (mode === "DISTRIBUTED") {
          throw new NoIamDerivationError(
            `state ${name}: a distributed Map starts child executions of its own state machine; derive its IAM before using one`,
          );
        }
        visit(processor.States as JsonObject);
      }
    }
  };
  visit(definition.States as unknown as JsonObject);
  return found;
}

/** A literal argument, or the error that says the derivation needs one. */
function literal(task: TaskState, field: string): string | undefined {
  const value = task.args[field];
  if (task.args[`${field}.$`] !== undefined || isExpression(value)) {
    throw new NoIamDerivationError(
      `state ${task.name}: ${field} is computed at run time; IAM needs it written in the definition`,
    );
  }
  return typeof value === "string" ? value : undefined;
}

/** `getItem` → `GetItem`; the IAM prefix of an SDK integration's service name. */
const pascal = (action: string) => action.charAt(0).toUpperCase() + action.slice(1);
const IAM_PREFIX: Readonly<Record<string, string>> = { sfn: "states", eventbridge: "events" };

export interface StateMachineIamInput {
  readonly definition: StateMachineDefinition;
  /** The deployed ARN of each function the definition names (by catalog id). */
  readonly functionArns: Readonly<Record<string, string>>;
  readonly ctx: DeployContext;
}

/** The statements of a state machine's role, from its definition; logging and tracing last. */
export function stateMachineStatements({
  definition,
  functionArns,
  ctx,
}: StateMachineIamInput): DerivedStatement[] {
  const functions = new Set<string>();
  const buses = new Set<string>();
  const nested = new Set<string>();
  const nestedSync = new Set<string>();
  const sdk = new Map<string, Set<string>>();
  const busArn = (name: string) =>
    name.startsWith("arn:")
      ? name
      : `arn:${ctx.partition}:events:${ctx.region}:${ctx.account}:event-bus/${name}`;

  for (const task of taskStates(definition)) {
    const [, , service = "", , , ...rest] = task.resource.split(":");
    const integration = rest.join(":");
    if (LAMBDA_ARN.test(task.resource)) {
      functions.add(task.resource.match(LAMBDA_ARN)?.[0] as string);
    } else if (service === "states" && integration.startsWith("lambda:invoke")) {
      const name = literal(task, "FunctionName");
      if (!name) throw new NoIamDerivationError(`state ${task.name}: lambda:invoke without a FunctionName`);
      if (name.startsWith(FUNCTION_REF_PREFIX)) {
        const id = name.slice(FUNCTION_REF_PREFIX.length);
        const arn = functionArns[id];
        if (!arn)
          throw new UnresolvedReferenceError(`state machine refers to function ${id}, which is not deployed`);
        functions.add(arn);
      } else if (LAMBDA_ARN.test(name)) {
        functions.add(name.match(LAMBDA_ARN)?.[0] as string);
      } else {
        functions.add(`arn:${ctx.partition}:lambda:${ctx.region}:${ctx.account}:function:${name}`);
      }
    } else if (service === "states" && integration.startsWith("events:putEvents")) {
      const entries = task.args.Entries;
      if (!Array.isArray(entries)) {
        throw new NoIamDerivationError(`state ${task.name}: events:putEvents needs its Entries written out`);
      }
      for (const entry of entries as JsonObject[]) {
        const bus = literal({ ...task, args: entry }, "EventBusName");
        buses.add(busArn(bus ?? "default"));
      }
    } else if (service === "states" && integration.startsWith("states:startExecution")) {
      const arn = literal(task, "StateMachineArn");
      if (!arn)
        throw new NoIamDerivationError(`state ${task.name}: startExecution without a StateMachineArn`);
      nested.add(arn);
      if (/\.sync(:2)?$/.test(integration)) nestedSync.add(arn);
    } else if (service === "states" && integration.startsWith("aws-sdk:")) {
      const [, sdkService = "", action = ""] = integration.split(":");
      const iamAction = `${IAM_PREFIX[sdkService] ?? sdkService}:${pascal(action.split(".")[0] ?? "")}`;
      const arns = Object.entries(task.args)
        .filter(
          ([key, value]) => /ARN$|Arn$/.test(key) && typeof value === "string" && value.startsWith("arn:"),
        )
        .map(([, value]) => value as string);
      const table = sdkService === "dynamodb" ? literal(task, "TableName") : undefined;
      if (table) arns.push(`arn:${ctx.partition}:dynamodb:${ctx.region}:${ctx.account}:table/${table}`);
      if (arns.length === 0) {
        throw new NoIamDerivationError(
          `state ${task.name}: ${task.resource} names no resource ARN in its arguments; IAM cannot be derived without a wildcard`,
        );
      }
      const known = sdk.get(iamAction) ?? new Set<string>();
      for (const arn of arns) known.add(arn);
      sdk.set(iamAction, known);
    } else {
      throw new UnresolvedReferenceError(
        `no IAM derivation for task resources ${task.resource} (state ${task.name}); add it to deploy/state-machine-iam.ts`,
      );
    }
  }

  const statements: DerivedStatement[] = [];
  if (functions.size > 0) {
    statements.push({
      sid: "InvokeFunctions",
      actions: ["lambda:InvokeFunction"],
      resources: [...functions].sort().flatMap((arn) => [arn, `${arn}:*`]),
    });
  }
  if (buses.size > 0)
    statements.push({ sid: "PutEvents", actions: ["events:PutEvents"], resources: [...buses] });
  if (nested.size > 0) {
    statements.push({ sid: "StartNested", actions: ["states:StartExecution"], resources: [...nested] });
  }
  if (nestedSync.size > 0) {
    statements.push({
      sid: "WatchNested",
      actions: ["states:DescribeExecution", "states:StopExecution"],
      resources: [...nestedSync].map((arn) => `${arn.replace(":stateMachine:", ":execution:")}:*`),
    });
    statements.push({
      sid: "NestedSyncRule",
      actions: ["events:PutTargets", "events:PutRule", "events:DescribeRule"],
      resources: [`arn:${ctx.partition}:events:${ctx.region}:${ctx.account}:rule/${SYNC_RULE}`],
    });
  }
  let index = 0;
  for (const [action, arns] of sdk) {
    statements.push({ sid: `Sdk${index++}`, actions: [action], resources: [...arns] });
  }
  statements.push(LOGGING_STATEMENT, TRACING_STATEMENT);
  return statements;
}

/** The statements as a policy document, each with its Sid (what `cplane iam explain` names). */
export function policyDocument(statements: readonly DerivedStatement[]): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: statements.map((s) => ({
      Sid: s.sid,
      Effect: "Allow",
      Action: [...s.actions],
      Resource: [...s.resources],
    })),
  };
}

/** The state machine role's policy document. */
export function stateMachinePolicy(input: StateMachineIamInput): PolicyDocument {
  return policyDocument(stateMachineStatements(input));
}
