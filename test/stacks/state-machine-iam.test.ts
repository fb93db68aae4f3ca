/**
 * The IAM of the roles Step Functions, EventBridge and Scheduler act as, derived from what they run:
 * each state machine's from its definition, each start role from its one target.
 */
import { describe, expect, it } from "vitest";
import { UnresolvedReferenceError } from "../../deploy/context.ts";
import { startExecutionStatements, starterTrustPolicy } from "../../deploy/start-roles.ts";
import {
  LOGGING_STATEMENT,
  NoIamDerivationError,
  policyDocument,
  stateMachineStatements,
  TRACING_STATEMENT,
} from "../../deploy/state-machine-iam.ts";
import { lambdaTask, type State, type StateMachineDefinition } from "../../workflows/asl.ts";
import { ctx } from "./support.ts";

const arns = {
  "tenant/provision-database": "arn:aws:lambda:eu-west-1:123456789012:function:provision",
  "tenant/register": "arn:aws:lambda:eu-west-1:123456789012:function:register",
  "ops/acquire-locks": "arn:aws:lambda:eu-west-1:123456789012:function:locks",
};
const machine = (States: Record<string, State>, StartAt = Object.keys(States)[0] as string) =>
  ({ QueryLanguage: "JSONata", StartAt, States }) as StateMachineDefinition;
const derive = (definition: StateMachineDefinition) =>
  stateMachineStatements({ definition, functionArns: arns, ctx });
const task = (Resource: string, Arguments: unknown): State =>
  ({ Type: "Task", Resource, Arguments, End: true }) as unknown as State;
const NESTED = "arn:aws:states:eu-west-1:123456789012:stateMachine:cplane-prod-child";

describe("a state machine's role", () => {
  it("invokes exactly the functions its Tasks name, in Parallel branches and Map processors too, token tasks included", () => {
    const definition = machine({
      Register: lambdaTask("tenant/register", { Next: "Fan" }),
      Fan: {
        Type: "Parallel",
        Branches: [
          {
            StartAt: "Wait",
            States: { Wait: lambdaTask("ops/acquire-locks", { waitForTaskToken: true, End: true }) },
          },
          {
            StartAt: "Each",
            States: {
              Each: {
                Type: "Map",
                ItemProcessor: {
                  StartAt: "Provision",
                  States: { Provision: lambdaTask("tenant/provision-database", { End: true }) },
                },
                End: true,
              },
            },
          },
        ],
        End: true,
      } as unknown as State,
    });
    expect(derive(definition)).toEqual([
      {
        sid: "InvokeFunctions",
        actions: ["lambda:InvokeFunction"],
        resources: [
          arns["ops/acquire-locks"],
          `${arns["ops/acquire-locks"]}:*`,
          arns["tenant/provision-database"],
          `${arns["tenant/provision-database"]}:*`,
          arns["tenant/register"],
          `${arns["tenant/register"]}:*`,
        ],
      },
      LOGGING_STATEMENT,
      TRACING_STATEMENT,
    ]);
  });

  it("puts events on the buses its entries name, the default bus when none", () => {
    const statements = derive(
      machine({
        Announce: task("arn:aws:states:::events:putEvents", {
          Entries: [
            { Source: "cplane.tenants", DetailType: "Tenant Created", EventBusName: ctx.resources.bus.name },
            { Source: "cplane.tenants", DetailType: "Tenant Created" },
          ],
        }),
      }),
    );
    expect(statements[0]).toEqual({
      sid: "PutEvents",
      actions: ["events:PutEvents"],
      resources: [ctx.resources.bus.arn, "arn:aws:events:eu-west-1:123456789012:event-bus/default"],
    });
  });

  it("starts a nested state machine; waiting for it (.sync) adds its executions and the managed rule", () => {
    const asynchronous = derive(
      machine({ Child: task("arn:aws:states:::states:startExecution", { StateMachineArn: NESTED }) }),
    );
    expect(asynchronous.slice(0, -2)).toEqual([
      { sid: "StartNested", actions: ["states:StartExecution"], resources: [NESTED] },
    ]);
    const sync = derive(
      machine({ Child: task("arn:aws:states:::states:startExecution.sync:2", { StateMachineArn: NESTED }) }),
    );
    expect(sync.slice(0, -2)).toEqual([
      { sid: "StartNested", actions: ["states:StartExecution"], resources: [NESTED] },
      {
        sid: "WatchNested",
        actions: ["states:DescribeExecution", "states:StopExecution"],
        resources: ["arn:aws:states:eu-west-1:123456789012:execution:cplane-prod-child:*"],
      },
      {
        sid: "NestedSyncRule",
        actions: ["events:PutTargets", "events:PutRule", "events:DescribeRule"],
        resources: [
          "arn:aws:events:eu-west-1:123456789012:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule",
        ],
      },
    ]);
  });

  it("derives an SDK integration's action, on the ARNs (or DynamoDB table) its arguments name", () => {
    const statements = derive(
      machine(
        {
          Read: {
            ...task("arn:aws:states:::aws-sdk:dynamodb:getItem", { TableName: "t" }),
            Next: "Tag",
          } as State,
          Tag: task("arn:aws:states:::aws-sdk:rds:addTagsToResource", {
            ResourceName: "x",
            SnapshotArn: "arn:aws:rds:eu-west-1:123456789012:cluster-snapshot:s",
          }),
        },
        "Read",
      ),
    );
    expect(statements.slice(0, -2)).toEqual([
      {
        sid: "Sdk0",
        actions: ["dynamodb:GetItem"],
        resources: ["arn:aws:dynamodb:eu-west-1:123456789012:table/t"],
      },
      {
        sid: "Sdk1",
        actions: ["rds:AddTagsToResource"],
        resources: ["arn:aws:rds:eu-west-1:123456789012:cluster-snapshot:s"],
      },
    ]);
  });

  it("gives a wildcard only to logging and tracing, each with its reason", () => {
    const wildcards = derive(machine({ Register: lambdaTask("tenant/register", { End: true }) })).filter(
      (s) => s.resources.includes("*"),
    );
    expect(wildcards.map((s) => s.sid)).toEqual(["Logging", "Tracing"]);
    for (const s of wildcards) expect(s.reason).toMatch(/no resource-level permissions/);
  });

  it.each([
    [
      "a function name computed at run time",
      task("arn:aws:states:::lambda:invoke", { FunctionName: "{% $states.input.fn %}" }),
      /state Only: FunctionName is computed at run time/,
    ],
    [
      "an SDK call without an ARN",
      task("arn:aws:states:::aws-sdk:rds:deleteDBCluster", { DBClusterIdentifier: "x" }),
      /aws-sdk:rds:deleteDBCluster names no resource ARN/,
    ],
    [
      "a nested state machine computed at run time",
      task("arn:aws:states:::states:startExecution", { "StateMachineArn.$": "$.arn" }),
      /StateMachineArn is computed at run time/,
    ],
  ])("refuses %s, naming the state, rather than granting a wildcard", (_, state, message) => {
    expect(() => derive(machine({ Only: state }))).toThrow(NoIamDerivationError);
    expect(() => derive(machine({ Only: state }))).toThrow(message);
  });

  it("refuses a resource it has no derivation for, and a function that is not deployed", () => {
    expect(() => derive(machine({ Only: task("arn:aws:states:::sqs:sendMessage", {}) }))).toThrow(
      /no IAM derivation for task resources arn:aws:states:::sqs:sendMessage/,
    );
    expect(() =>
      stateMachineStatements({
        definition: machine({ Only: lambdaTask("tenant/register", { End: true }) }),
        functionArns: {},
        ctx,
      }),
    ).toThrow(UnresolvedReferenceError);
  });

  it("is written as a policy document whose Sids name each statement", () => {
    const document = policyDocument(
      derive(machine({ Register: lambdaTask("tenant/register", { End: true }) })),
    );
    expect(document.Statement.map((s) => s.Sid)).toEqual(["InvokeFunctions", "Logging", "Tracing"]);
    expect(document.Statement.every((s) => s.Effect === "Allow")).toBe(true);
  });
});

describe("a start role", () => {
  it("may start exactly its one state machine, and only its service may assume it", () => {
    expect(policyDocument(startExecutionStatements(NESTED))).toEqual({
      Version: "2012-10-17",
      Statement: [
        { Sid: "StartWorkflow", Effect: "Allow", Action: ["states:StartExecution"], Resource: [NESTED] },
      ],
    });
    expect(starterTrustPolicy("scheduler").Statement[0].Principal).toEqual({
      Service: "scheduler.amazonaws.com",
    });
  });
});
