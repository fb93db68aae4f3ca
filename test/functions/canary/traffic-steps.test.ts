import {
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { DescribeClusterCommand, EKSClient } from "@aws-sdk/client-eks";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { marshall } from "@aws-sdk/util-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { handler as deployCanary } from "../../../functions/canary/deploy-canary.ts";
import { handler as rollback } from "../../../functions/canary/rollback.ts";
import { handler as scaleCanary } from "../../../functions/canary/scale-canary.ts";
import { handler as shiftTraffic } from "../../../functions/canary/shift-traffic.ts";
import { clearKubernetesCache } from "../../../functions/shared/kubernetes.ts";
import { lambdaContext } from "../../support/context.ts";
import { FakeKubernetes, setTenantEnvironment } from "../tenant/support.ts";
import { EXECUTION, OTHER_EXECUTION, PATHS, PLAN, stableDeployment } from "./support.ts";

const eks = mockClient(EKSClient);
const dynamodb = mockClient(DynamoDBClient);
const eventbridge = mockClient(EventBridgeClient);
const api = new FakeKubernetes();
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
  api.failWith = undefined;
  setTenantEnvironment();
  eks.on(DescribeClusterCommand).resolves({ cluster: { endpoint } });
  dynamodb.on(GetItemCommand).resolves({});
  dynamodb.on(PutItemCommand).resolves({});
  dynamodb.on(DeleteItemCommand).resolves({});
  dynamodb.on(UpdateItemCommand).resolves({});
  eventbridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: "e-1" }] });
  api.seed(PATHS.stable, stableDeployment());
});

const applies = () => api.requests.filter((r) => r.method === "PATCH");

describe("deploy-canary", () => {
  it("applies the canary as stable's pods with the new image, labelled canary, sized for 10 % of 6 pods", async () => {
    // Act
    const result = await deployCanary(
      { plan: PLAN, stageIndex: 0, executionArn: EXECUTION },
      lambdaContext(),
    );

    // Assess
    expect(result).toEqual({ deployment: "api-canary", replicas: 1, created: true });
    expect(eks.commandCalls(DescribeClusterCommand)[0]?.args[0].input).toEqual({ name: "cplane-us-east-1" });
    const [apply] = applies();
    expect(apply?.path).toBe(PATHS.canary);
    expect(apply?.query.get("fieldManager")).toBe("cplane");
    expect(apply?.query.get("force")).toBe("true");
    expect(apply?.headers["content-type"]).toBe("application/apply-patch+yaml");
    expect(apply?.body).toEqual({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: {
        name: "api-canary",
        namespace: "shop",
        labels: { app: "api", version: "canary", "app.kubernetes.io/managed-by": "cplane" },
        annotations: { "cplane.io/execution": EXECUTION, "cplane.io/image": "cplane/api:2.0.0" },
      },
      spec: {
        replicas: 1,
        progressDeadlineSeconds: 600,
        selector: { matchLabels: { app: "api", version: "canary" } },
        template: {
          metadata: { labels: { app: "api", version: "canary" } },
          spec: {
            containers: [
              { name: "api", image: "cplane/api:2.0.0", ports: [{ containerPort: 8080 }] },
              { name: "proxy", image: "istio/proxyv2:1.24.0" },
            ],
          },
        },
      },
    });
    const put = dynamodb.commandCalls(PutItemCommand)[0]?.args[0].input;
    expect(put?.Item).toEqual(
      marshall({ pk: "CANARY#api", sk: "CANARY", service: "api", executionArn: EXECUTION, plan: PLAN }),
    );
    const event = eventbridge.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0];
    expect(event?.DetailType).toBe("Canary Started");
    expect(JSON.parse(event?.Detail ?? "{}")).toEqual({
      service: "api",
      image: "cplane/api:2.0.0",
      stableImage: "cplane/api:1.0.0",
      region: "us-east-1",
      steps: [10, 25, 50, 100],
      bakeMinutes: 60,
      executionArn: EXECUTION,
    });
  });

  it("refuses a canary Deployment another execution made, changing nothing", async () => {
    // Prepare
    api.seed(PATHS.canary, {
      metadata: { name: "api-canary", annotations: { "cplane.io/execution": OTHER_EXECUTION } },
    });

    // Act / Assess
    await expect(
      deployCanary({ plan: PLAN, stageIndex: 0, executionArn: EXECUTION }, lambdaContext()),
    ).rejects.toThrow(expect.objectContaining({ name: "CanaryOwnedByAnotherExecutionError" }));
    expect(applies()).toEqual([]);
    expect(eventbridge.commandCalls(PutEventsCommand)).toEqual([]);
  });
});

describe("scale-canary", () => {
  it("sizes this execution's canary for 50 % of 6 pods, touching no route", async () => {
    // Prepare
    api.seed(PATHS.canary, {
      metadata: { name: "api-canary", annotations: { "cplane.io/execution": EXECUTION } },
    });

    // Act
    const result = await scaleCanary({ plan: PLAN, stageIndex: 2, executionArn: EXECUTION }, lambdaContext());

    // Assess
    expect(result).toEqual({ stageIndex: 2, weight: 50, replicas: 3 });
    const [scale, ...more] = applies();
    expect(more).toEqual([]);
    expect(scale?.path).toBe(PATHS.canary);
    expect(scale?.body).toMatchObject({
      metadata: { name: "api-canary", annotations: { "cplane.io/execution": EXECUTION } },
      spec: { replicas: 3, progressDeadlineSeconds: 600, selector: { matchLabels: { version: "canary" } } },
    });
    expect(eventbridge.commandCalls(PutEventsCommand)).toEqual([]);
  });

  it("refuses to scale a canary another execution made, or one that is gone", async () => {
    // Prepare
    const input = { plan: PLAN, stageIndex: 1, executionArn: EXECUTION };

    // Act / Assess
    await expect(scaleCanary(input, lambdaContext())).rejects.toThrow(
      expect.objectContaining({
        name: "CanaryOwnedByAnotherExecutionError",
        message: expect.stringContaining("gone"),
      }),
    );
    api.seed(PATHS.canary, {
      metadata: { name: "api-canary", annotations: { "cplane.io/execution": OTHER_EXECUTION } },
    });
    await expect(scaleCanary(input, lambdaContext())).rejects.toThrow(
      expect.objectContaining({ name: "CanaryOwnedByAnotherExecutionError" }),
    );
    expect(applies()).toEqual([]);
  });
});

describe("shift-traffic", () => {
  it("sets 75/25 weights for a stage whose pods are ready, holding the fleet lock shared, and scales nothing", async () => {
    // Act
    const result = await shiftTraffic(
      { plan: PLAN, stageIndex: 1, executionArn: EXECUTION },
      lambdaContext(),
    );

    // Assess
    expect(result).toMatchObject({ stageIndex: 1, weight: 25, replicas: 2 });
    const [routes, ...more] = applies();
    expect(more).toEqual([]);
    expect(routes?.path).toBe(PATHS.virtualService);
    expect(routes?.body).toEqual({
      apiVersion: "networking.istio.io/v1",
      kind: "VirtualService",
      metadata: { name: "api", namespace: "shop" },
      spec: {
        http: [
          {
            name: "primary",
            route: [
              { destination: { host: "api", subset: "stable" }, weight: 75 },
              { destination: { host: "api", subset: "canary" }, weight: 25 },
            ],
          },
        ],
      },
    });
    const leaseWrites = [
      ...dynamodb.commandCalls(PutItemCommand).map((c) => c.args[0].input.Item?.pk?.S),
      ...dynamodb.commandCalls(UpdateItemCommand).map((c) => c.args[0].input.Key?.pk?.S),
    ];
    expect(leaseWrites).toEqual(expect.arrayContaining(["LOCK#fleet"]));
    const event = eventbridge.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0];
    expect(event?.DetailType).toBe("Canary Step Promoted");
    expect(JSON.parse(event?.Detail ?? "{}")).toEqual({
      service: "api",
      image: "cplane/api:2.0.0",
      weight: 25,
      step: 2,
      of: 4,
      executionArn: EXECUTION,
    });
  });

  it("routes a cohort by header match: the cohort's requests to the canary, everyone else's to stable", async () => {
    // Prepare
    const plan = {
      ...PLAN,
      stages: [
        { weight: 100, cohort: { header: "x-cplane-tenant-tier", values: ["basic"], label: "tier basic" } },
      ],
    };

    // Act
    await shiftTraffic({ plan, stageIndex: 0, executionArn: EXECUTION }, lambdaContext());

    // Assess
    const routes = applies().find((r) => r.path === PATHS.virtualService);
    expect((routes?.body as { spec?: unknown } | undefined)?.spec).toEqual({
      http: [
        {
          name: "canary-cohort",
          match: [{ headers: { "x-cplane-tenant-tier": { regex: "^(basic)$" } } }],
          route: [{ destination: { host: "api", subset: "canary" }, weight: 100 }],
        },
        {
          name: "primary",
          route: [
            { destination: { host: "api", subset: "stable" }, weight: 100 },
            { destination: { host: "api", subset: "canary" }, weight: 0 },
          ],
        },
      ],
    });
  });

  it("changes no traffic while a failover holds the fleet lock, and says who holds it", async () => {
    // Prepare
    dynamodb
      .on(UpdateItemCommand)
      .rejects(Object.assign(new Error("conditional"), { name: "ConditionalCheckFailedException" }));
    dynamodb.on(GetItemCommand).resolves({
      Item: marshall({
        pk: "LOCK#fleet",
        sk: "LOCK",
        name: "fleet",
        version: 3,
        holders: { "arn:failover": { mode: "exclusive", until: Date.now() + 600_000 } },
        exclusiveUntil: Date.now() + 600_000,
      }),
    });

    // Act / Assess
    await expect(
      shiftTraffic({ plan: PLAN, stageIndex: 1, executionArn: EXECUTION }, lambdaContext()),
    ).rejects.toThrow(
      expect.objectContaining({ name: "FleetLockedError", message: expect.stringContaining("arn:failover") }),
    );
    expect(applies()).toEqual([]);
  });
});

describe("rollback", () => {
  it("puts every request on stable first, then deletes this execution's canary", async () => {
    // Prepare
    api.seed(PATHS.canary, {
      metadata: { name: "api-canary", annotations: { "cplane.io/execution": EXECUTION } },
    });

    // Act
    const result = await rollback({ plan: PLAN, executionArn: EXECUTION }, lambdaContext());

    // Assess
    expect(result).toMatchObject({ removed: true, stableRestored: false });
    const changes = api.requests.filter((r) => r.method !== "GET").map((r) => `${r.method} ${r.path}`);
    expect(changes).toEqual([`PATCH ${PATHS.virtualService}`, `DELETE ${PATHS.canary}`]);
    expect((applies()[0]?.body as { spec?: unknown } | undefined)?.spec).toEqual({
      http: [
        {
          name: "primary",
          route: [
            { destination: { host: "api", subset: "stable" }, weight: 100 },
            { destination: { host: "api", subset: "canary" }, weight: 0 },
          ],
        },
      ],
    });
  });

  it("leaves a canary another execution made, and puts stable back on its image if a promotion had begun", async () => {
    // Prepare
    api.seed(PATHS.canary, {
      metadata: { name: "api-canary", annotations: { "cplane.io/execution": OTHER_EXECUTION } },
    });
    api.seed(PATHS.stable, stableDeployment("cplane/api:2.0.0"));

    // Act
    const result = await rollback({ plan: PLAN, executionArn: EXECUTION }, lambdaContext());

    // Assess
    expect(result).toMatchObject({ removed: false, stableRestored: true });
    expect(api.requests.some((r) => r.method === "DELETE")).toBe(false);
    const stable = applies().find((r) => r.path === PATHS.stable)?.body as {
      spec: { template: { spec: { containers: { image: string }[] } } };
    };
    expect(stable.spec.template.spec.containers.map((c) => c.image)).toEqual([
      "cplane/api:1.0.0",
      "istio/proxyv2:1.24.0",
    ]);
  });

  it("has nothing to undo without a plan", async () => {
    // Act
    const result = await rollback({ plan: null, executionArn: EXECUTION }, lambdaContext());

    // Assess
    expect(result).toEqual({ nothingToUndo: true });
    expect(api.requests).toEqual([]);
  });
});
