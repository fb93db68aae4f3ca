import {
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { DescribeClusterCommand, EKSClient } from "@aws-sdk/client-eks";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { handler as checkRollout } from "../../../functions/canary/check-rollout.ts";
import { handler as finish } from "../../../functions/canary/finish.ts";
import { handler as finishPromotion } from "../../../functions/canary/finish-promotion.ts";
import { handler as promote } from "../../../functions/canary/promote.ts";
import { handler as resolvePlan } from "../../../functions/canary/resolve-plan.ts";
import { clearKubernetesCache } from "../../../functions/shared/kubernetes.ts";
import { lambdaContext } from "../../support/context.ts";
import { FakeKubernetes, setTenantEnvironment, TABLE } from "../tenant/support.ts";
import { EXECUTION, PATHS, PLAN, stableDeployment } from "./support.ts";

const eks = mockClient(EKSClient);
const dynamodb = mockClient(DynamoDBClient);
const eventbridge = mockClient(EventBridgeClient);
const api = new FakeKubernetes();
const RULE = "/apis/networking.istio.io/v1/namespaces/shop/destinationrules/api";
let endpoint = "";

beforeAll(async () => {
  endpoint = await api.start();
});
afterAll(() => api.stop());
beforeEach(() => {
  eks.reset();
  dynamodb.reset();
  eventbridge.reset();
  clearKubernetesCache();
  api.objects.clear();
  api.requests.length = 0;
  setTenantEnvironment();
  process.env.AWS_REGION = "us-east-1";
  eks.on(DescribeClusterCommand).resolves({ cluster: { endpoint } });
  dynamodb.on(GetItemCommand).resolves({});
  dynamodb.on(PutItemCommand).resolves({});
  dynamodb.on(UpdateItemCommand).resolves({});
  dynamodb.on(DeleteItemCommand).resolves({});
  eventbridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: "e-1" }] });
  api.seed(PATHS.stable, { ...stableDeployment(), spec: { ...stableDeployment().spec, replicas: 3 } });
  api.seed(RULE, { spec: { subsets: [{ name: "stable" }, { name: "canary" }] } });
});

const applies = () => api.requests.filter((r) => r.method === "PATCH");

describe("resolve-plan", () => {
  it("makes api's plan from its configuration: the default steps, an hour each, and the bake at 100 %", async () => {
    // Act
    const plan = await resolvePlan(
      { service: "api", image: "cplane/api:2.0.0", executionArn: EXECUTION },
      lambdaContext(),
    );

    // Assess
    expect(plan).toEqual({ ...PLAN, skipped: false, stableReplicas: 3 });
    expect(eks.commandCalls(DescribeClusterCommand)[0]?.args[0].input).toEqual({ name: "cplane-us-east-1" });
    expect(applies()).toEqual([]);
  });

  it("applies a bake time given by hand to every bake, the one at 100 % included", async () => {
    const plan = await resolvePlan(
      {
        service: "api",
        image: "cplane/api:2.0.0",
        steps: [20, 100],
        bakeMinutes: 15,
        executionArn: EXECUTION,
      },
      lambdaContext(),
    );

    expect(plan).toMatchObject({
      stages: [{ weight: 20 }, { weight: 100 }],
      bakeSeconds: 900,
      fullBakeSeconds: 900,
    });
  });

  it("refuses, before anything changes, a DestinationRule without the canary subset", async () => {
    api.seed(RULE, { spec: { subsets: [{ name: "stable" }] } });

    await expect(
      resolvePlan({ service: "api", image: "cplane/api:2.0.0", executionArn: EXECUTION }, lambdaContext()),
    ).rejects.toThrow(expect.objectContaining({ name: "StableNotFoundError" }));
    expect(applies()).toEqual([]);
  });
});

describe("check-rollout", () => {
  it("is ready when every replica of the current generation is updated and available, failed on ProgressDeadlineExceeded", async () => {
    // Prepare
    const canary = (status: Record<string, unknown>) => ({
      metadata: { name: "api-canary", generation: 2 },
      spec: { replicas: 2 },
      status,
    });
    const input = { plan: PLAN, version: "canary" as const, executionArn: EXECUTION };

    // Act
    api.seed(
      PATHS.canary,
      canary({ observedGeneration: 2, updatedReplicas: 1, availableReplicas: 1, readyReplicas: 1 }),
    );
    const rolling = await checkRollout(input, lambdaContext());
    api.seed(
      PATHS.canary,
      canary({ observedGeneration: 2, updatedReplicas: 2, availableReplicas: 2, readyReplicas: 2 }),
    );
    const ready = await checkRollout(input, lambdaContext());
    api.seed(
      PATHS.canary,
      canary({
        observedGeneration: 2,
        updatedReplicas: 1,
        availableReplicas: 1,
        conditions: [
          { type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded", message: "timed out" },
        ],
      }),
    );
    const stuck = await checkRollout(input, lambdaContext());

    // Assess
    expect(rolling).toEqual({
      ready: false,
      failed: false,
      replicas: 2,
      readyReplicas: 1,
      reason: "1 of 2 replicas updated, 1 available",
    });
    expect(ready).toMatchObject({ ready: true, failed: false, replicas: 2, readyReplicas: 2 });
    expect(stuck).toMatchObject({
      ready: false,
      failed: true,
      reason: "ProgressDeadlineExceeded: timed out",
    });
  });
});

describe("promote and finish-promotion", () => {
  it("sends all traffic to the canary and rolls stable to the new image, then back to stable and the canary removed", async () => {
    // Prepare
    api.seed(PATHS.canary, {
      metadata: { name: "api-canary", annotations: { "cplane.io/execution": EXECUTION } },
    });

    // Act
    const promoted = await promote({ plan: PLAN, stageIndex: 3, executionArn: EXECUTION }, lambdaContext());
    const [canary, allToCanary, stable] = applies();
    api.requests.length = 0;
    const finished = await finishPromotion({ plan: PLAN, executionArn: EXECUTION }, lambdaContext());

    // Assess
    expect(promoted).toEqual({ stableImage: "cplane/api:2.0.0", previousImage: "cplane/api:1.0.0" });
    expect(canary?.path).toBe(PATHS.canary);
    expect(canary?.body).toMatchObject({ spec: { replicas: 6 } });
    expect(allToCanary?.path).toBe(PATHS.virtualService);
    expect((allToCanary?.body as { spec?: unknown } | undefined)?.spec).toEqual({
      http: [
        {
          name: "primary",
          route: [
            { destination: { host: "api", subset: "stable" }, weight: 0 },
            { destination: { host: "api", subset: "canary" }, weight: 100 },
          ],
        },
      ],
    });
    expect(stable?.path).toBe(PATHS.stable);
    expect(stable?.body).toEqual({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: {
        name: "api-stable",
        namespace: "shop",
        annotations: { "cplane.io/execution": EXECUTION, "cplane.io/image": "cplane/api:2.0.0" },
      },
      spec: {
        progressDeadlineSeconds: 600,
        template: {
          spec: {
            containers: [
              { name: "api", image: "cplane/api:2.0.0", ports: [{ containerPort: 8080 }] },
              { name: "proxy", image: "istio/proxyv2:1.24.0" },
            ],
          },
        },
      },
    });
    expect(finished).toMatchObject({ removed: true, stableRestored: false });
    expect(api.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `PATCH ${PATHS.virtualService}`,
      `GET ${PATHS.canary}`,
      `DELETE ${PATHS.canary}`,
    ]);
  });
});

describe("finish", () => {
  it("announces Canary Rolled Back with the breach and unregisters the canary it ran, only its own", async () => {
    // Act
    const result = await finish(
      {
        plan: PLAN,
        outcome: "rolled-back",
        stageIndex: 1,
        reason: "error-rate 5% breaches the gate (1%)",
        breach: { gate: "error-rate", measured: 5, threshold: 1 },
        measured: { errorRatePercent: 5 },
        startedAt: "2026-12-01T10:00:00Z",
        executionArn: EXECUTION,
      },
      lambdaContext(),
    );

    // Assess
    expect(result).toEqual({ eventId: "e-1", reason: "error-rate 5% breaches the gate (1%)" });
    const event = eventbridge.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0];
    expect(event?.DetailType).toBe("Canary Rolled Back");
    expect(JSON.parse(event?.Detail ?? "{}")).toEqual({
      service: "api",
      image: "cplane/api:2.0.0",
      stableImage: "cplane/api:1.0.0",
      atWeight: 25,
      reason: "error-rate 5% breaches the gate (1%)",
      outcome: "rolled-back",
      breach: { gate: "error-rate", measured: 5, threshold: 1 },
      metrics: { errorRatePercent: 5 },
      executionArn: EXECUTION,
    });
    expect(dynamodb.commandCalls(DeleteItemCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Key: { pk: { S: "CANARY#api" }, sk: { S: "CANARY" } },
      ConditionExpression: "attribute_not_exists(pk) OR executionArn = :execution",
      ExpressionAttributeValues: { ":execution": { S: EXECUTION } },
    });
  });
});
