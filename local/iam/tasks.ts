/**
 * What Step Functions asks IAM, as the state machine's role, before it runs a Task (the requests its
 * integrations make: Lambda's Invoke, EventBridge's PutEvents, Step Functions' StartExecution), and the
 * error the Task fails with when the role may not: the service's SDK exception, as Step Functions names
 * it (`Lambda.AWSLambdaException`, cause "User: … is not authorized to perform: lambda:InvokeFunction on
 * resource: … (Service: AWSLambda; Status Code: 403; Error Code: AccessDeniedException; Request ID: …;
 * Proxy: null)", as AWS reports it, e.g. awslabs/aws-deployment-framework#460). The other two follow the
 * same pattern with their SDK's names (not seen recorded).
 */
import { randomUUID } from "node:crypto";
import { StatesError } from "../engine/errors.ts";
import type { Json, JsonObject } from "../engine/json.ts";
import { parseResource } from "../engine/tasks.ts";
import type { MappedRequest } from "./operations/index.ts";

export interface TaskAuthorization {
  /** The API Step Functions calls for the Task, as decisions name it. */
  readonly service: string;
  readonly operation: string;
  readonly requests: MappedRequest[];
  /** The Task's failure for a denial worded `message`. */
  denied(message: string): StatesError;
}

const isObject = (value: Json | undefined): value is JsonObject =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** How Step Functions names a denied call of each integration: error, service and HTTP status. */
const DENIALS = {
  Lambda: { error: "Lambda.AWSLambdaException", service: "AWSLambda", status: 403 },
  EventBridge: { error: "EventBridge.AmazonEventBridgeException", service: "AmazonEventBridge", status: 400 },
  SFN: { error: "StepFunctions.AWSStepFunctionsException", service: "AWSStepFunctions", status: 400 },
} as const;

function authorization(
  service: keyof typeof DENIALS,
  operation: string,
  requests: MappedRequest[],
): TaskAuthorization {
  const shape = DENIALS[service];
  return {
    service,
    operation,
    requests,
    denied: (message) =>
      new StatesError(
        shape.error,
        `${message} (Service: ${shape.service}; Status Code: ${shape.status}; Error Code: AccessDeniedException; Request ID: ${randomUUID()}; Proxy: null)`,
      ),
  };
}

/** A function name or ARN (with a qualifier or not) as the ARN IAM is asked about. */
function functionArn(name: string, qualifier: unknown, region: string, account: string): string {
  const full = name.startsWith("arn:") ? name : `arn:aws:lambda:${region}:${account}:function:${name}`;
  return typeof qualifier === "string" && full.split(":").length === 7 ? `${full}:${qualifier}` : full;
}

/**
 * The Task's IAM requests, from its resource and effective arguments; undefined for an integration the
 * local engine does not run (it fails the Task by itself).
 */
export function taskAuthorization(
  resource: string,
  input: Json,
  where: { region: string; account: string },
): TaskAuthorization | undefined {
  const parsed = parseResource(resource);
  const args = isObject(input) ? input : {};
  if (parsed.service === "lambda-legacy") {
    return authorization("Lambda", "Invoke", [
      {
        action: "lambda:InvokeFunction",
        resource: functionArn(resource, undefined, where.region, where.account),
      },
    ]);
  }
  if (parsed.service === "lambda" && parsed.action === "invoke") {
    if (typeof args.FunctionName !== "string") return undefined;
    return authorization("Lambda", "Invoke", [
      {
        action: "lambda:InvokeFunction",
        resource: functionArn(args.FunctionName, args.Qualifier, where.region, where.account),
      },
    ]);
  }
  if (parsed.service === "events" && parsed.action === "putEvents") {
    const entries = Array.isArray(args.Entries) ? args.Entries : [];
    const buses = new Set(
      entries.map((entry) => {
        const bus =
          isObject(entry) && typeof entry.EventBusName === "string" ? entry.EventBusName : "default";
        return bus.startsWith("arn:")
          ? bus
          : `arn:aws:events:${where.region}:${where.account}:event-bus/${bus}`;
      }),
    );
    return authorization(
      "EventBridge",
      "PutEvents",
      [...buses].map((bus) => ({ action: "events:PutEvents", resource: bus })),
    );
  }
  if (parsed.service === "states" && parsed.action === "startExecution") {
    if (typeof args.StateMachineArn !== "string") return undefined;
    const requests: MappedRequest[] = [{ action: "states:StartExecution", resource: args.StateMachineArn }];
    if (parsed.pattern === "sync" || parsed.pattern === "sync:2") {
      // The nested run's name when the Task gives one; any name of that state machine otherwise.
      const name = typeof args.Name === "string" ? args.Name : randomUUID();
      const execution = `${args.StateMachineArn.replace(":stateMachine:", ":execution:")}:${name}`;
      requests.push(
        { action: "states:DescribeExecution", resource: execution },
        { action: "states:StopExecution", resource: execution },
      );
    }
    return authorization("SFN", "StartExecution", requests);
  }
  return undefined;
}
