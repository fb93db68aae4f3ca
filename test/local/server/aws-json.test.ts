import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AwsJsonService } from "../../../local/server/aws-json.ts";
import { type LocalServer, listen } from "../../../local/server/http.ts";

class ExecutionDoesNotExist extends Error {
  override name = "ExecutionDoesNotExist";
}

const started: Record<string, unknown>[] = [];
const sfn: AwsJsonService = {
  targetPrefix: "AWSStepFunctions",
  contentType: "application/x-amz-json-1.0",
  isClientError: (error) => error instanceof ExecutionDoesNotExist,
  operations: {
    StartExecution: (input) => {
      started.push(input);
      return {
        executionArn: "arn:aws:states:us-east-1:000000000000:execution:sm:one",
        startDate: new Date(1_700_000_000_500),
      };
    },
    DescribeExecution: () => {
      throw new ExecutionDoesNotExist("Execution Does Not Exist: 'arn:x'");
    },
    ListExecutions: () => {
      throw new Error("engine bug");
    },
  },
};

let server: LocalServer;
let client: SFNClient;

beforeAll(async () => {
  server = await listen({ services: [sfn], routes: [] });
  client = new SFNClient({
    endpoint: server.url,
    region: "us-east-1",
    credentials: { accessKeyId: "x", secretAccessKey: "y" },
  });
});
afterAll(() => server.close());

describe("AWS JSON protocol", () => {
  it("routes a real SDK call by its target and returns dates the SDK parses", async () => {
    const out = await client.send(new StartExecutionCommand({ stateMachineArn: "arn:sm", input: "{}" }));
    expect(started).toEqual([{ stateMachineArn: "arn:sm", input: "{}" }]);
    expect(out.startDate).toEqual(new Date(1_700_000_000_500));
  });

  it("turns a service error into the SDK's named exception with a 400", async () => {
    const error = await client
      .send(new DescribeExecutionCommand({ executionArn: "arn:x" }))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "ExecutionDoesNotExist", $metadata: { httpStatusCode: 400 } });
  });

  it("answers malformed JSON with SerializationException and an unknown target with UnknownOperationException", async () => {
    const post = (target: string, body: string) =>
      fetch(server.url, {
        method: "POST",
        headers: { "x-amz-target": target, "content-type": "application/x-amz-json-1.0" },
        body,
      });
    const bad = await post("AWSStepFunctions.StartExecution", "{not json");
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ __type: "SerializationException" });
    const unknown = await post("AWSStepFunctions.DeleteEverything", "{}");
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ __type: "UnknownOperationException" });
    expect(started).toHaveLength(1);
  });

  it("reports an unexpected failure as a 500 internal error", async () => {
    const response = await fetch(server.url, {
      method: "POST",
      headers: {
        "x-amz-target": "AWSStepFunctions.ListExecutions",
        "content-type": "application/x-amz-json-1.0",
      },
      body: "{}",
    });
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ __type: "InternalServerError", message: "engine bug" });
  });
});
