import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { DescribeClusterCommand, EKSClient } from "@aws-sdk/client-eks";
import { marshall } from "@aws-sdk/util-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  handler as findStoppedCanary,
  stageOfRoutes,
} from "../../../functions/canary/find-stopped-canary.ts";
import { virtualService } from "../../../functions/canary/lib/manifests.ts";
import { clearKubernetesCache } from "../../../functions/shared/kubernetes.ts";
import { lambdaContext } from "../../support/context.ts";
import { FakeKubernetes, setTenantEnvironment, TABLE } from "../tenant/support.ts";
import { EXECUTION, OTHER_EXECUTION, PATHS, PLAN, stableDeployment } from "./support.ts";

const eks = mockClient(EKSClient);
const dynamodb = mockClient(DynamoDBClient);
const api = new FakeKubernetes();
const CLEANUP = "arn:aws:states:us-east-1:123456789012:execution:operation-cleanup:clean-1";
const KEY = { pk: { S: "CANARY#api" }, sk: { S: "CANARY" } };
let endpoint = "";

beforeAll(async () => {
  endpoint = await api.start();
});
afterAll(() => api.stop());
beforeEach(() => {
  eks.reset();
  dynamodb.reset();
  clearKubernetesCache();
  api.objects.clear();
  api.requests.length = 0;
  setTenantEnvironment();
  eks.on(DescribeClusterCommand).resolves({ cluster: { endpoint } });
  dynamodb.on(UpdateItemCommand).resolves({});
  api.seed(PATHS.stable, stableDeployment());
});

const registered = (executionArn: string) =>
  dynamodb.on(GetItemCommand).resolves({
    Item: marshall({ ...{ pk: "CANARY#api", sk: "CANARY" }, service: "api", executionArn, plan: PLAN }),
  });

describe("find-stopped-canary", () => {
  it("takes on the service's running canary for the clean-up, at the stage its routes stand at", async () => {
    // Prepare: the canary at 25 %
    registered(EXECUTION);
    api.seed(PATHS.canary, {
      metadata: { name: "api-canary", annotations: { "cplane.io/execution": EXECUTION } },
    });
    api.seed(PATHS.virtualService, virtualService(PLAN, { weight: 25 }));

    // Act
    const result = await findStoppedCanary(
      { executionArn: EXECUTION, input: { service: "api", image: "cplane/api:2.0.0" }, cleanupArn: CLEANUP },
      lambdaContext(),
    );

    // Assess
    expect(result).toEqual({ owned: true, service: "api", plan: PLAN, stageIndex: 1, promoted: false });
    expect(dynamodb.commandCalls(GetItemCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Key: KEY,
      ConsistentRead: true,
    });
    expect(dynamodb.commandCalls(UpdateItemCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Key: KEY,
      UpdateExpression: "SET cleanupBy = :cleanup",
      ConditionExpression:
        "executionArn = :execution AND (attribute_not_exists(cleanupBy) OR cleanupBy = :cleanup)",
      ExpressionAttributeValues: { ":cleanup": { S: CLEANUP }, ":execution": { S: EXECUTION } },
    });
    expect(api.requests.every((r) => r.method === "GET")).toBe(true);
  });

  it("says a finished promotion is promoted: stable runs the new image and the canary is gone", async () => {
    // Prepare
    registered(EXECUTION);
    api.seed(PATHS.stable, stableDeployment("cplane/api:2.0.0"));
    api.seed(PATHS.virtualService, virtualService(PLAN, undefined));

    // Act
    const result = await findStoppedCanary(
      { executionArn: EXECUTION, input: { service: "api", image: "cplane/api:2.0.0" }, cleanupArn: CLEANUP },
      lambdaContext(),
    );

    // Assess
    expect(result).toMatchObject({ owned: true, promoted: true, stageIndex: 3 });
  });

  it("leaves alone a canary another execution runs, one already cleaned up, and one another clean-up took", async () => {
    // Prepare
    const input = {
      trigger: "git-push",
      repository: "acme/shop-api",
      commit: "3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f",
      branch: "main",
      pusher: "dev",
      deliveryId: "d-1",
    };
    registered(OTHER_EXECUTION);
    const another = await findStoppedCanary(
      { executionArn: EXECUTION, input, cleanupArn: CLEANUP },
      lambdaContext(),
    );
    dynamodb.on(GetItemCommand).resolves({});
    const done = await findStoppedCanary(
      { executionArn: EXECUTION, input, cleanupArn: CLEANUP },
      lambdaContext(),
    );
    registered(EXECUTION);
    dynamodb
      .on(UpdateItemCommand)
      .rejects(Object.assign(new Error("conditional"), { name: "ConditionalCheckFailedException" }));

    // Act
    const taken = await findStoppedCanary(
      { executionArn: EXECUTION, input, cleanupArn: CLEANUP },
      lambdaContext(),
    );
    const unknown = await findStoppedCanary(
      { executionArn: EXECUTION, input: { repository: "x" }, cleanupArn: CLEANUP },
      lambdaContext(),
    );

    // Assess
    expect(another).toMatchObject({ owned: false, service: "api" });
    expect(done).toMatchObject({ owned: false, service: "api" });
    expect(taken).toEqual({
      owned: false,
      service: "api",
      reason: "another clean-up has taken api's canary on",
    });
    expect(unknown).toEqual({ owned: false, service: null, reason: "its input names no configured service" });
    expect(api.requests).toEqual([]);
  });
});

describe("stageOfRoutes", () => {
  it("finds the weighted stage by the canary's weight, a cohort stage by its header match, and 0 before any shift", () => {
    const cohort = { header: "x-cplane-tenant-tier", values: ["basic"], label: "tier basic" };
    const plan = { ...PLAN, stages: [{ weight: 100, cohort }, ...PLAN.stages] };
    const http = (manifest: object) => (manifest as { spec: { http: [] } }).spec.http;

    expect(stageOfRoutes(plan, http(virtualService(plan, { weight: 50 })))).toBe(3);
    expect(stageOfRoutes(plan, http(virtualService(plan, { weight: 100, cohort })))).toBe(0);
    expect(stageOfRoutes(plan, http(virtualService(plan, undefined)))).toBe(0);
    expect(stageOfRoutes(PLAN, [])).toBe(0);
  });
});
