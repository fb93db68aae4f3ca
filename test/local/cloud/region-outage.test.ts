/** Issue 5's second "Done when": taking a region down turns its health check and its alarm red and emits the alarm event. */
import { CloudWatchClient, DescribeAlarmsCommand, PutMetricAlarmCommand } from "@aws-sdk/client-cloudwatch";
import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { DescribeDBClustersCommand, RDSClient } from "@aws-sdk/client-rds";
import {
  CreateHealthCheckCommand,
  GetHealthCheckStatusCommand,
  Route53Client,
} from "@aws-sdk/client-route-53";
import { afterEach, describe, expect, it } from "vitest";
import { CloudWatchAlarmStateChange } from "../../../events/aws.ts";
import { envelopeSchema } from "../../../events/define.ts";
import { createAwsClient } from "../../../functions/shared/aws-clients.ts";
import type { LocalCloud } from "../../../local/cloud/cloud.ts";
import type { CloudEvent } from "../../../local/cloud/context.ts";
import { startCloud, stopCloud, waitUntil } from "./support.ts";

let cloud: LocalCloud | undefined;
afterEach(async () => {
  if (cloud) await stopCloud(cloud);
  cloud = undefined;
});

describe("a region outage", () => {
  it("turns the region's health check and its alarm red and emits the alarm state change", async () => {
    // Prepare
    const bus: CloudEvent[] = [];
    const started = startCloud({ emitEvent: (event) => void bus.push(event) });
    cloud = started.cloud;
    const { clock } = started;
    const route53 = createAwsClient(Route53Client, { region: "us-east-1" });
    const cloudwatch = createAwsClient(CloudWatchClient, { region: "us-east-1" });
    const { HealthCheck } = await route53.send(
      new CreateHealthCheckCommand({
        CallerReference: "primary-api",
        HealthCheckConfig: {
          Type: "HTTPS",
          FullyQualifiedDomainName: "api.us-east-1.cplane.example.com",
          ResourcePath: "/health",
          RequestInterval: 30,
          FailureThreshold: 3,
        },
      }),
    );
    const healthCheckId = HealthCheck?.Id ?? "";
    await cloudwatch.send(
      new PutMetricAlarmCommand({
        AlarmName: "cplane-region-health-us-east-1",
        AlarmDescription: "The primary region's API is unreachable",
        Namespace: "AWS/Route53",
        MetricName: "HealthCheckStatus",
        Dimensions: [{ Name: "HealthCheckId", Value: healthCheckId }],
        Statistic: "Minimum",
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: "LessThanThreshold",
        TreatMissingData: "missing",
      }),
    );
    const alarmState = async () =>
      (await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: ["cplane-region-health-us-east-1"] })))
        .MetricAlarms?.[0]?.StateValue;
    await waitUntil(clock, async () => (await alarmState()) === "OK", { everyMs: 60_000 });

    // Act
    const downAt = clock.now();
    cloud.faults.regionDown("us-east-1");
    const tookMs = await waitUntil(
      clock,
      () =>
        bus.some(
          (e) =>
            Date.parse(e.time) > downAt &&
            e.detail.alarmName === "cplane-region-health-us-east-1" &&
            (e.detail.state as { value: string }).value === "ALARM",
        ),
      { everyMs: 10_000 },
    );

    // Assess
    const status = await route53.send(new GetHealthCheckStatusCommand({ HealthCheckId: healthCheckId }));
    expect(status.HealthCheckObservations?.[0]?.StatusReport?.Status).toMatch(/^Failure/);
    expect(tookMs).toBeLessThanOrEqual(3 * 60_000);
    const event = bus.find(
      (e) => Date.parse(e.time) > downAt && (e.detail.state as { value: string }).value === "ALARM",
    );
    expect(event).toMatchObject({
      version: "0",
      source: "aws.cloudwatch",
      "detail-type": "CloudWatch Alarm State Change",
      region: "us-east-1",
      account: "123456789012",
      resources: ["arn:aws:cloudwatch:us-east-1:123456789012:alarm:cplane-region-health-us-east-1"],
      detail: {
        alarmName: "cplane-region-health-us-east-1",
        state: { value: "ALARM" },
        previousState: { value: "OK" },
        configuration: {
          description: "The primary region's API is unreachable",
          metrics: [
            {
              metricStat: {
                metric: {
                  namespace: "AWS/Route53",
                  name: "HealthCheckStatus",
                  dimensions: { HealthCheckId: healthCheckId },
                },
                period: 60,
                stat: "Minimum",
              },
              returnData: true,
            },
          ],
        },
      },
    });
    expect(Date.parse(event?.time ?? "")).toBeGreaterThan(downAt);
    // The event satisfies the contract the failover rule's consumers parse it with.
    expect(envelopeSchema(CloudWatchAlarmStateChange).safeParse(event).error).toBeUndefined();
    // The region's own APIs time out, as an SDK client sees an outage; the other region still answers.
    await expect(
      createAwsClient(RDSClient, { region: "us-east-1" }).send(new DescribeDBClustersCommand({})),
    ).rejects.toMatchObject({ name: "TimeoutError" });
    await expect(
      createAwsClient(RDSClient, { region: "us-west-2" }).send(new DescribeDBClustersCommand({})),
    ).resolves.toMatchObject({ DBClusters: [] });
  });

  it("recovers when the region comes back: health check green, alarm OK again", async () => {
    const bus: CloudEvent[] = [];
    const started = startCloud({ emitEvent: (event) => void bus.push(event) });
    cloud = started.cloud;
    const route53 = createAwsClient(Route53Client, { region: "us-east-1" });
    const { HealthCheck } = await route53.send(
      new CreateHealthCheckCommand({
        CallerReference: "r",
        HealthCheckConfig: { Type: "HTTPS", FullyQualifiedDomainName: "api.us-west-2.cplane.example.com" },
      }),
    );
    cloud.faults.regionDown("us-west-2");
    await started.clock.sleep(2 * 60_000);
    expect(cloud.route53.isHealthy(HealthCheck?.Id ?? "")).toBe(false);

    cloud.faults.regionUp("us-west-2");
    await started.clock.sleep(2 * 60_000);

    expect(cloud.route53.isHealthy(HealthCheck?.Id ?? "")).toBe(true);
  });

  it("spares the control plane's own tables and nothing else of the region's DynamoDB", async () => {
    // Prepare
    cloud = startCloud({ controlPlaneTables: ["registry"] }).cloud;
    const dynamodb = createAwsClient(DynamoDBClient, { region: "us-east-1" });
    for (const TableName of ["registry", "other"]) {
      await dynamodb.send(
        new CreateTableCommand({
          TableName,
          KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
          AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
          BillingMode: "PAY_PER_REQUEST",
        }),
      );
    }

    // Act
    cloud.faults.regionDown("us-east-1");

    // Assess
    await dynamodb.send(new PutItemCommand({ TableName: "registry", Item: { pk: { S: "lock" } } }));
    await expect(
      dynamodb.send(new GetItemCommand({ TableName: "registry", Key: { pk: { S: "lock" } } })),
    ).resolves.toMatchObject({ Item: { pk: { S: "lock" } } });
    await expect(
      dynamodb.send(new GetItemCommand({ TableName: "other", Key: { pk: { S: "lock" } } })),
    ).rejects.toMatchObject({ name: "TimeoutError" });
  });
});
