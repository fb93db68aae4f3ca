import { CloudWatchClient, PutMetricAlarmCommand, SetAlarmStateCommand } from "@aws-sdk/client-cloudwatch";
import {
  ChangeResourceRecordSetsCommand,
  CreateHealthCheckCommand,
  CreateHostedZoneCommand,
  DeleteHealthCheckCommand,
  DeleteHostedZoneCommand,
  GetChangeCommand,
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
} from "@aws-sdk/client-route-53";
import { afterEach, describe, expect, it } from "vitest";
import { createAwsClient } from "../../../functions/shared/aws-clients.ts";
import type { LocalCloud } from "../../../local/cloud/cloud.ts";
import { startCloud, stopCloud, waitUntil } from "./support.ts";

let cloud: LocalCloud | undefined;
afterEach(async () => {
  if (cloud) await stopCloud(cloud);
  cloud = undefined;
});

const r53 = () => createAwsClient(Route53Client, { region: "us-east-1" });
const weighted = (id: string, weight: number, value: string) => ({
  Name: "app.example.com",
  Type: "CNAME" as const,
  TTL: 60,
  SetIdentifier: id,
  Weight: weight,
  ResourceRecords: [{ Value: value }],
});

describe("Route 53 record sets", () => {
  it("applies a change batch atomically, and reports it PENDING then INSYNC", async () => {
    const { cloud: c, clock } = startCloud();
    cloud = c;
    const zone = await r53().send(
      new CreateHostedZoneCommand({ Name: "example.com", CallerReference: "z1" }),
    );
    const zoneId = zone.HostedZone?.Id ?? "";

    const change = await r53().send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: {
          Changes: [
            { Action: "CREATE", ResourceRecordSet: weighted("blue", 90, "blue.example.com") },
            { Action: "CREATE", ResourceRecordSet: weighted("green", 10, "green.example.com") },
          ],
        },
      }),
    );
    const took = await waitUntil(
      clock,
      async () =>
        (await r53().send(new GetChangeCommand({ Id: change.ChangeInfo?.Id }))).ChangeInfo?.Status ===
        "INSYNC",
      { everyMs: 10_000 },
    );
    const listed = await r53().send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }));

    expect(change.ChangeInfo?.Status).toBe("PENDING");
    expect(took).toBeGreaterThanOrEqual(60_000);
    expect(
      listed.ResourceRecordSets?.map((r) => `${r.Type} ${r.SetIdentifier ?? ""} ${r.Weight ?? ""}`),
    ).toEqual(["NS  ", "SOA  ", "CNAME blue 90", "CNAME green 10"]);
    expect(c.route53.resolve(zoneId, "app.example.com", "CNAME").map((r) => r.SetIdentifier)).toEqual([
      "blue",
      "green",
    ]);
  });

  it("refuses a batch with a duplicate CREATE or a missing DELETE and changes nothing", async () => {
    cloud = startCloud().cloud;
    const zone = await r53().send(
      new CreateHostedZoneCommand({ Name: "example.com", CallerReference: "z1" }),
    );
    const zoneId = zone.HostedZone?.Id ?? "";
    await r53().send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: {
          Changes: [{ Action: "CREATE", ResourceRecordSet: weighted("blue", 100, "blue.example.com") }],
        },
      }),
    );

    const duplicate = r53().send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: {
          Changes: [
            { Action: "UPSERT", ResourceRecordSet: weighted("green", 0, "green.example.com") },
            { Action: "CREATE", ResourceRecordSet: weighted("blue", 50, "blue.example.com") },
          ],
        },
      }),
    );
    await expect(duplicate).rejects.toMatchObject({
      name: "InvalidChangeBatch",
      message: expect.stringContaining("but it already exists"),
    });
    await expect(
      r53().send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: zoneId,
          ChangeBatch: {
            Changes: [{ Action: "DELETE", ResourceRecordSet: weighted("red", 1, "red.example.com") }],
          },
        }),
      ),
    ).rejects.toMatchObject({
      name: "InvalidChangeBatch",
      message: expect.stringContaining("was not found"),
    });
    await expect(
      r53().send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: zoneId,
          ChangeBatch: {
            Changes: [
              {
                Action: "CREATE",
                ResourceRecordSet: {
                  Name: "x.other.org",
                  Type: "A",
                  TTL: 60,
                  ResourceRecords: [{ Value: "1.2.3.4" }],
                },
              },
            ],
          },
        }),
      ),
    ).rejects.toMatchObject({ name: "InvalidChangeBatch" });
    await expect(
      r53().send(new ListResourceRecordSetsCommand({ HostedZoneId: "/hostedzone/ZNOPE" })),
    ).rejects.toMatchObject({ name: "NoSuchHostedZone" });
    await expect(r53().send(new DeleteHostedZoneCommand({ Id: zoneId }))).rejects.toMatchObject({
      name: "HostedZoneNotEmpty",
    });

    const listed = await r53().send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }));
    expect(listed.ResourceRecordSets?.filter((r) => r.SetIdentifier).map((r) => r.SetIdentifier)).toEqual([
      "blue",
    ]);
    expect(
      (await r53().send(new ListHostedZonesByNameCommand({ DNSName: "example.com" }))).HostedZones?.[0]?.Name,
    ).toBe("example.com.");
  });

  it("answers failover records with the secondary when the primary's health check fails", async () => {
    const { cloud: c, clock } = startCloud();
    cloud = c;
    const zoneId =
      (await r53().send(new CreateHostedZoneCommand({ Name: "example.com", CallerReference: "z" })))
        .HostedZone?.Id ?? "";
    const check =
      (
        await r53().send(
          new CreateHealthCheckCommand({
            CallerReference: "p",
            HealthCheckConfig: { Type: "HTTPS", FullyQualifiedDomainName: "api.us-east-1.example.com" },
          }),
        )
      ).HealthCheck?.Id ?? "";
    const record = (id: string, failover: "PRIMARY" | "SECONDARY", value: string, hc?: string) => ({
      Action: "CREATE" as const,
      ResourceRecordSet: {
        Name: "api.example.com",
        Type: "CNAME" as const,
        TTL: 60,
        SetIdentifier: id,
        Failover: failover,
        HealthCheckId: hc,
        ResourceRecords: [{ Value: value }],
      },
    });
    await r53().send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: {
          Changes: [
            record("east", "PRIMARY", "east.example.com", check),
            record("west", "SECONDARY", "west.example.com"),
          ],
        },
      }),
    );
    expect(c.route53.resolve(zoneId, "api.example.com", "CNAME")[0]?.SetIdentifier).toBe("east");

    c.faults.regionDown("us-east-1");
    await clock.sleep(61_000);

    expect(c.route53.resolve(zoneId, "api.example.com", "CNAME")[0]?.SetIdentifier).toBe("west");
    await expect(r53().send(new DeleteHealthCheckCommand({ HealthCheckId: check }))).rejects.toMatchObject({
      name: "HealthCheckInUse",
    });
  });

  it("keeps CLOUDWATCH_METRIC and CALCULATED health checks in line with their alarm and children", async () => {
    const { cloud: c, clock } = startCloud();
    cloud = c;
    await createAwsClient(CloudWatchClient, { region: "us-east-1" }).send(
      new PutMetricAlarmCommand({
        AlarmName: "db-down",
        Namespace: "X",
        MetricName: "Up",
        Statistic: "Minimum",
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: "LessThanThreshold",
      }),
    );
    const metric =
      (
        await r53().send(
          new CreateHealthCheckCommand({
            CallerReference: "m",
            HealthCheckConfig: {
              Type: "CLOUDWATCH_METRIC",
              AlarmIdentifier: { Region: "us-east-1", Name: "db-down" },
              InsufficientDataHealthStatus: "Healthy",
            },
          }),
        )
      ).HealthCheck?.Id ?? "";
    const calculated =
      (
        await r53().send(
          new CreateHealthCheckCommand({
            CallerReference: "c",
            HealthCheckConfig: { Type: "CALCULATED", ChildHealthChecks: [metric], HealthThreshold: 1 },
          }),
        )
      ).HealthCheck?.Id ?? "";

    await createAwsClient(CloudWatchClient, { region: "us-east-1" }).send(
      new SetAlarmStateCommand({ AlarmName: "db-down", StateValue: "ALARM", StateReason: "test" }),
    );
    await clock.sleep(60_000);

    expect(c.route53.isHealthy(metric)).toBe(false);
    expect(c.route53.isHealthy(calculated)).toBe(false);
    await expect(
      r53().send(
        new CreateHealthCheckCommand({
          CallerReference: "m",
          HealthCheckConfig: { Type: "HTTPS", FullyQualifiedDomainName: "x" },
        }),
      ),
    ).rejects.toMatchObject({ name: "HealthCheckAlreadyExists" });
  });
});
