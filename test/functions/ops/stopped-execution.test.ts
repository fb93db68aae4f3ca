import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { DescribeExecutionCommand, SFNClient } from "@aws-sdk/client-sfn";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { handler as describeStopped } from "../../../functions/ops/describe-stopped-execution.ts";
import { handler as findStopped } from "../../../functions/tenant/find-stopped-operation.ts";
import { lambdaContext } from "../../support/context.ts";
import {
  EXECUTION,
  KEY,
  OTHER_EXECUTION,
  setTenantEnvironment,
  TABLE,
  TENANT_ID,
  tenantItem,
} from "../tenant/support.ts";

const sfn = mockClient(SFNClient);
const dynamodb = mockClient(DynamoDBClient);
const STATE_MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:cplane-prod-tenant-onboarding";
const request = { name: "Acme", tier: "premium", adminEmail: "ops@acme.test" };

beforeEach(() => {
  sfn.reset();
  dynamodb.reset();
  setTenantEnvironment();
});

describe("describe-stopped-execution", () => {
  const event = { executionArn: EXECUTION, stateMachineArn: STATE_MACHINE, status: "ABORTED" };

  it("reads the stopped execution and returns its workflow, its parsed input and a States.Aborted failure", async () => {
    // Prepare
    sfn.on(DescribeExecutionCommand).resolves({ status: "ABORTED", input: JSON.stringify(request) });

    // Act
    const result = await describeStopped(event, lambdaContext());

    // Assess
    expect(sfn.commandCalls(DescribeExecutionCommand).map((call) => call.args[0].input)).toEqual([
      { executionArn: EXECUTION },
    ]);
    expect(result).toEqual({
      executionArn: EXECUTION,
      stateMachineName: "cplane-prod-tenant-onboarding",
      status: "ABORTED",
      failure: {
        step: "execution",
        error: "States.Aborted",
        cause: "the execution was stopped from outside (StopExecution)",
      },
      input: request,
    });
  });

  it("records a timed-out execution as States.Timeout", async () => {
    sfn.on(DescribeExecutionCommand).resolves({ status: "TIMED_OUT", input: "{}" });

    const result = await describeStopped({ ...event, status: "TIMED_OUT" }, lambdaContext());

    expect(result.status).toBe("TIMED_OUT");
    expect(result.failure).toEqual({
      step: "execution",
      error: "States.Timeout",
      cause: "the execution ran past its TimeoutSeconds",
    });
  });

  it("keeps the error and cause AWS gave, the event's first", async () => {
    sfn
      .on(DescribeExecutionCommand)
      .resolves({ status: "ABORTED", input: "{}", error: "from-describe", cause: "described cause" });

    const fromDescribe = await describeStopped(event, lambdaContext());
    const fromEvent = await describeStopped(
      { ...event, error: "cplane.RuntimeStopped", cause: "the runtime stopped" },
      lambdaContext(),
    );

    expect(fromDescribe.failure).toEqual({
      step: "execution",
      error: "from-describe",
      cause: "described cause",
    });
    expect(fromEvent.failure).toEqual({
      step: "execution",
      error: "cplane.RuntimeStopped",
      cause: "the runtime stopped",
    });
  });

  it("falls back to the event's status when DescribeExecution gives none", async () => {
    sfn.on(DescribeExecutionCommand).resolves({ input: "{}" });

    const result = await describeStopped({ ...event, status: "TIMED_OUT" }, lambdaContext());

    expect(result).toMatchObject({ status: "TIMED_OUT", failure: { error: "States.Timeout" } });
  });

  it("gives a null input when the execution's input was not JSON", async () => {
    sfn.on(DescribeExecutionCommand).resolves({ status: "ABORTED", input: "not json {" });

    const result = await describeStopped(event, lambdaContext());

    expect(result.input).toBeNull();
  });

  it("lets ExecutionDoesNotExist through under its own name", async () => {
    sfn
      .on(DescribeExecutionCommand)
      .rejects(Object.assign(new Error("no such execution"), { name: "ExecutionDoesNotExist" }));

    await expect(describeStopped(event, lambdaContext())).rejects.toMatchObject({
      name: "ExecutionDoesNotExist",
    });
  });

  it("refuses an event with an unknown status with InvalidInputError before any call", async () => {
    await expect(describeStopped({ ...event, status: "STOPPED" }, lambdaContext())).rejects.toMatchObject({
      name: "InvalidInputError",
    });
    expect(sfn.calls()).toHaveLength(0);
  });
});

describe("find-stopped-operation", () => {
  const aliasKey = { pk: { S: `TENANTID#${TENANT_ID}` }, sk: { S: "ALIAS" } };

  it("finds the tenant by the slug the request gave and says the stopped execution owns it", async () => {
    // Prepare
    dynamodb.on(GetItemCommand).resolves({ Item: tenantItem() });

    // Act
    const result = await findStopped(
      { executionArn: EXECUTION, input: { ...request, slug: "acme" } },
      lambdaContext(),
    );

    // Assess
    expect(dynamodb.commandCalls(GetItemCommand).map((call) => call.args[0].input)).toEqual([
      { TableName: TABLE, Key: KEY, ConsistentRead: true },
    ]);
    expect(result).toEqual({
      found: true,
      owned: true,
      tenantId: TENANT_ID,
      slug: "acme",
      status: "onboarding",
      name: "Acme",
    });
  });

  it("finds the tenant of an offboarding request through its tenant id alias", async () => {
    dynamodb.on(GetItemCommand, { Key: aliasKey }).resolves({
      Item: { ...aliasKey, tenantId: { S: TENANT_ID }, slug: { S: "acme" } },
    });
    dynamodb.on(GetItemCommand, { Key: KEY }).resolves({ Item: tenantItem({ status: "offboarding" }) });

    const result = await findStopped(
      { executionArn: EXECUTION, input: { tenantId: TENANT_ID } },
      lambdaContext(),
    );

    expect(dynamodb.commandCalls(GetItemCommand).map((call) => call.args[0].input)).toEqual([
      { TableName: TABLE, Key: aliasKey, ConsistentRead: true },
      { TableName: TABLE, Key: KEY, ConsistentRead: true },
    ]);
    expect(result).toMatchObject({ found: true, owned: true, slug: "acme", status: "offboarding" });
  });

  it("derives the slug from the name when the request gave none", async () => {
    dynamodb.on(GetItemCommand).resolves({});

    const result = await findStopped(
      { executionArn: EXECUTION, input: { ...request, name: "Café Müller GmbH" } },
      lambdaContext(),
    );

    expect(dynamodb.commandCalls(GetItemCommand)[0]?.args[0].input.Key).toEqual({
      pk: { S: "TENANT#cafe-muller-gmbh" },
      sk: { S: "TENANT" },
    });
    expect(result).toEqual({ found: false, owned: false, name: "Café Müller GmbH" });
  });

  it("says the tenant is not owned when another execution drives it (a request that joined it)", async () => {
    dynamodb.on(GetItemCommand).resolves({ Item: tenantItem({ executionArn: OTHER_EXECUTION }) });

    const result = await findStopped({ executionArn: EXECUTION, input: request }, lambdaContext());

    expect(result).toMatchObject({ found: true, owned: false, slug: "acme" });
  });

  it.each([
    ["a name no slug can be derived from", { ...request, name: "!!!" }],
    ["a name whose slug is reserved", { ...request, name: "Admin" }],
    ["an input that is not a request", "not an object"],
    ["a request with none of slug, tenant id or name", { tier: "basic" }],
  ])("finds nothing for %s, without reading the registry", async (_, input) => {
    const result = await findStopped({ executionArn: EXECUTION, input }, lambdaContext());

    expect(result).toMatchObject({ found: false, owned: false });
    expect(dynamodb.calls()).toHaveLength(0);
  });

  it("finds nothing for a tenant id nobody has", async () => {
    dynamodb.on(GetItemCommand).resolves({});

    const result = await findStopped(
      { executionArn: EXECUTION, input: { tenantId: TENANT_ID } },
      lambdaContext(),
    );

    expect(result).toEqual({ found: false, owned: false });
    expect(dynamodb.calls()).toHaveLength(1);
  });
});
