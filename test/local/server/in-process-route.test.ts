/**
 * Handlers reach the runtime's own Step Functions and EventBridge in-process, through the same SDK
 * clients they use on AWS. That route must check a request exactly as the HTTP server does.
 */
import {
  DescribeRuleCommand,
  EventBridgeClient,
  PutEventsCommand,
  PutRuleCommand,
} from "@aws-sdk/client-eventbridge";
import { ListExecutionsCommand, SFNClient } from "@aws-sdk/client-sfn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAwsClient } from "../../../functions/shared/aws-clients.ts";
import { createClock } from "../../../local/clock/clock.ts";
import { createRuntime, type Runtime } from "../../../local/runtime.ts";
import { callOperation } from "../../../local/server/aws-json.ts";
import { stepFunctionsService } from "../../../local/server/sfn.ts";

let runtime: Runtime;
let sfn: SFNClient;
let events: EventBridgeClient;

beforeAll(async () => {
  runtime = await createRuntime({ clock: createClock({ mode: { kind: "manual" } }) });
  sfn = createAwsClient(SFNClient, { region: "us-east-1", trace: false });
  events = createAwsClient(EventBridgeClient, { region: "us-east-1", trace: false });
});
afterAll(async () => {
  await runtime.close();
});

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected the call to fail");
}

describe("the in-process SDK route to the runtime's own services", () => {
  it("refuses a member outside AWS's model with the server's ValidationException, before anything changes", async () => {
    // Prepare
    const arn = runtime.engine.listStateMachines().stateMachines[0]?.stateMachineArn as string;
    // Act
    const listed = await failure(
      sfn.send(new ListExecutionsCommand({ stateMachineArn: arn, statusFilter: "BOGUS" as never })),
    );
    const rule = await failure(
      events.send(
        new PutRuleCommand({
          Name: "in-process-bad",
          EventPattern: '{"source":["x"]}',
          State: "str" as never,
        }),
      ),
    );
    // Assess
    expect(listed.name).toBe("ValidationException");
    expect(listed.message).toContain("statusFilter");
    expect(rule.name).toBe("ValidationException");
    const described = await failure(events.send(new DescribeRuleCommand({ Name: "in-process-bad" })));
    expect(described.name).toBe("ResourceNotFoundException");
  });

  it("takes SDK inputs in their wire form: a Date is sent as epoch seconds, as over HTTP", async () => {
    const out = await events.send(
      new PutEventsCommand({
        Entries: [{ Source: "cplane.test", DetailType: "In Process", Detail: "{}", Time: new Date(0) }],
      }),
    );
    expect(out.FailedEntryCount).toBe(0);
    const tooMany = await failure(
      events.send(
        new PutEventsCommand({
          Entries: Array.from({ length: 11 }, () => ({
            Source: "cplane.test",
            DetailType: "x",
            Detail: "{}",
          })),
        }),
      ),
    );
    expect(tooMany.name).toBe("ValidationException");
  });

  it("runs only a service's own operations, whatever the name", async () => {
    const service = stepFunctionsService(runtime.engine);
    for (const name of ["hasOwnProperty", "constructor", "__proto__", "toString"]) {
      const e = await failure(callOperation(service, name, {}));
      expect(e.name).toBe("UnknownOperationException");
    }
    const body = await failure(callOperation(service, "ListStateMachines", [1]));
    expect(body.name).toBe("SerializationException");
  });
});
