/**
 * The failover steps' AWS calls, with the exact inputs they send: promotion (failover with data loss
 * vs switchover, nothing when already moved), the flap guard's signals, the Route 53 switch, the
 * restore, the cross-region copy.
 */
import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import {
  CopyDBClusterSnapshotCommand,
  CreateDBClusterSnapshotCommand,
  CreateDBInstanceCommand,
  DescribeDBClustersCommand,
  DescribeGlobalClustersCommand,
  FailoverGlobalClusterCommand,
  RDSClient,
  RestoreDBClusterFromSnapshotCommand,
  SwitchoverGlobalClusterCommand,
} from "@aws-sdk/client-rds";
import {
  ChangeResourceRecordSetsCommand,
  GetHealthCheckStatusCommand,
  Route53Client,
} from "@aws-sdk/client-route-53";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { handler as checkSignal } from "../../../functions/failover/check-signal.ts";
import { copyRound } from "../../../functions/failover/lib/copies.ts";
import { provenTo } from "../../../functions/failover/lib/writes.ts";
import { handler as promote } from "../../../functions/failover/promote-database.ts";
import { handler as restore } from "../../../functions/failover/restore-tenant.ts";
import { handler as switchTraffic } from "../../../functions/failover/switch-traffic.ts";
import { lambdaContext } from "../../support/context.ts";

const rds = mockClient(RDSClient);
const route53 = mockClient(Route53Client);
const cloudwatch = mockClient(CloudWatchClient);
const EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:cplane-test-regional-failover:run-1";
const PRIMARY = "arn:aws:rds:us-east-1:123456789012:cluster:cplane-platform";
const SECONDARY = "arn:aws:rds:us-west-2:123456789012:cluster:cplane-platform-dr";
const timeout = () =>
  Object.assign(new Error("connect ETIMEDOUT"), { name: "TimeoutError", code: "ETIMEDOUT" });

beforeEach(() => {
  rds.reset();
  route53.reset();
  cloudwatch.reset();
  process.env.AWS_REGION = "us-east-1";
  process.env.DR_REGION = "us-west-2";
  process.env.TENANT_TABLE = "cplane-test-tenants";
  cloudwatch.on(GetMetricDataCommand).resolves({
    MetricDataResults: [{ Id: "m", Timestamps: [new Date("2026-03-01T11:59:00Z")], Values: [1200] }],
  });
});

const global = (writer: string) => ({
  GlobalClusters: [
    {
      GlobalClusterIdentifier: "cplane-platform",
      Status: "available",
      GlobalClusterMembers: [
        { DBClusterArn: PRIMARY, IsWriter: writer === PRIMARY },
        { DBClusterArn: SECONDARY, IsWriter: writer === SECONDARY },
      ],
    },
  ],
});

describe("promote-database", () => {
  it("fails over with data loss allowed, and reports the last replication lag as the RPO", async () => {
    rds.on(DescribeGlobalClustersCommand).resolves(global(PRIMARY));
    rds.on(FailoverGlobalClusterCommand).resolves({});

    const result = await promote(
      {
        globalClusterIdentifier: "cplane-platform",
        targetArn: SECONDARY,
        dataLoss: true,
        executionArn: EXECUTION,
      },
      lambdaContext(),
    );

    expect(rds.commandCalls(FailoverGlobalClusterCommand).map((c) => c.args[0].input)).toEqual([
      {
        GlobalClusterIdentifier: "cplane-platform",
        TargetDbClusterIdentifier: SECONDARY,
        AllowDataLoss: true,
      },
    ]);
    expect(rds.commandCalls(SwitchoverGlobalClusterCommand)).toHaveLength(0);
    expect(result).toMatchObject({ rpoSeconds: 1.2, already: false });
  });

  it("switches over without data loss when planned", async () => {
    rds.on(DescribeGlobalClustersCommand).resolves(global(PRIMARY));
    rds.on(SwitchoverGlobalClusterCommand).resolves({});

    const result = await promote(
      {
        globalClusterIdentifier: "cplane-platform",
        targetArn: SECONDARY,
        dataLoss: false,
        executionArn: EXECUTION,
      },
      lambdaContext(),
    );

    expect(rds.commandCalls(SwitchoverGlobalClusterCommand)[0]?.args[0].input).toEqual({
      GlobalClusterIdentifier: "cplane-platform",
      TargetDbClusterIdentifier: SECONDARY,
    });
    expect(result).toMatchObject({ rpoSeconds: 0, already: false });
  });

  it("starts nothing when the target already writes (a retry, a redrive)", async () => {
    rds.on(DescribeGlobalClustersCommand).resolves(global(SECONDARY));

    const result = await promote(
      {
        globalClusterIdentifier: "cplane-platform",
        targetArn: SECONDARY,
        dataLoss: true,
        executionArn: EXECUTION,
      },
      lambdaContext(),
    );

    expect(rds.commandCalls(FailoverGlobalClusterCommand)).toHaveLength(0);
    expect(result.already).toBe(true);
  });

  it("waits, as DrResourceBusyError, for a switchover still under way to the other member before moving back", async () => {
    // Prepare: a drill's switchover to the secondary is under way; the primary still writes until it ends.
    const moving = global(PRIMARY).GlobalClusters.map((g) => ({
      ...g,
      Status: "switching-over",
      FailoverState: {
        Status: "failing-over" as const,
        FromDbClusterArn: PRIMARY,
        ToDbClusterArn: SECONDARY,
      },
    }));
    rds.on(DescribeGlobalClustersCommand).resolves({ GlobalClusters: moving });

    // Act: fail back to the primary
    const back = promote(
      {
        globalClusterIdentifier: "cplane-platform",
        targetArn: PRIMARY,
        dataLoss: false,
        executionArn: EXECUTION,
      },
      lambdaContext(),
    );

    // Assess: not "already there" (it will not be, once the move ends), and nothing started
    await expect(back).rejects.toMatchObject({ name: "DrResourceBusyError" });
    expect(rds.commandCalls(SwitchoverGlobalClusterCommand)).toHaveLength(0);
  });

  it("says DrResourceBusyError while the global database is mid-change, for the state machine to retry", async () => {
    rds.on(DescribeGlobalClustersCommand).resolves(global(PRIMARY));
    rds
      .on(FailoverGlobalClusterCommand)
      .rejects(Object.assign(new Error("busy"), { name: "InvalidGlobalClusterStateFault" }));

    await expect(
      promote(
        {
          globalClusterIdentifier: "cplane-platform",
          targetArn: SECONDARY,
          dataLoss: true,
          executionArn: EXECUTION,
        },
        lambdaContext(),
      ),
    ).rejects.toMatchObject({ name: "DrResourceBusyError", retryable: true });
  });
});

describe("check-signal (the flap guard)", () => {
  const input = {
    fromRegion: "us-east-1",
    alarmName: "cplane-region-health-us-east-1",
    alarmRegion: "us-east-1",
    healthCheckId: "hc-1",
    executionArn: EXECUTION,
  };
  const checks = (status: string) => ({
    HealthCheckObservations: [
      { Region: "us-east-1" as const, StatusReport: { Status: status } },
      { Region: "eu-west-1" as const, StatusReport: { Status: status } },
    ],
  });

  it("confirms when every checker fails and the region's API does not answer (the alarm's region neither)", async () => {
    route53.on(GetHealthCheckStatusCommand).resolves(checks("Failure: Connection timed out"));
    cloudwatch.on(DescribeAlarmsCommand).rejects(timeout());
    rds.on(DescribeDBClustersCommand).rejects(timeout());

    const result = await checkSignal(input, lambdaContext());

    expect(route53.commandCalls(GetHealthCheckStatusCommand)[0]?.args[0].input).toEqual({
      HealthCheckId: "hc-1",
    });
    expect(result).toMatchObject({
      confirmed: true,
      healthCheck: "failing",
      alarm: "unreachable",
      regionApi: "unreachable",
    });
  });

  it("does not confirm an alarm that cleared: health checks pass, the alarm is OK", async () => {
    route53.on(GetHealthCheckStatusCommand).resolves(checks("Success: HTTP Status Code 200"));
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ StateValue: "OK" }] });
    rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [] });

    const result = await checkSignal(input, lambdaContext());

    expect(cloudwatch.commandCalls(DescribeAlarmsCommand)[0]?.args[0].input).toEqual({
      AlarmNames: ["cplane-region-health-us-east-1"],
    });
    expect(result).toMatchObject({
      confirmed: false,
      healthCheck: "healthy",
      alarm: "OK",
      regionApi: "answers",
    });
  });
});

describe("switch-traffic", () => {
  it("makes the target PRIMARY and the region left SECONDARY in one change, keeping their health checks", async () => {
    route53
      .on(ChangeResourceRecordSetsCommand)
      .resolves({ ChangeInfo: { Id: "/change/C1", Status: "PENDING", SubmittedAt: new Date() } });

    const result = await switchTraffic(
      {
        dns: {
          zoneId: "Z1",
          record: "api.cplane.example.com",
          type: "CNAME",
          ttl: 60,
          targets: {
            "us-east-1": { value: "api.us-east-1.cplane.example.com", healthCheckId: "hc-east" },
            "us-west-2": { value: "api.us-west-2.cplane.example.com", healthCheckId: "hc-west" },
          },
        },
        primaryRegion: "us-west-2",
        secondaryRegion: "us-east-1",
        executionArn: EXECUTION,
      },
      lambdaContext(),
    );

    expect(result.changeId).toBe("/change/C1");
    expect(route53.commandCalls(ChangeResourceRecordSetsCommand)[0]?.args[0].input).toEqual({
      HostedZoneId: "Z1",
      ChangeBatch: {
        Comment: "cplane: us-west-2 primary (run-1)",
        Changes: [
          {
            Action: "UPSERT",
            ResourceRecordSet: {
              Name: "api.cplane.example.com",
              Type: "CNAME",
              TTL: 60,
              SetIdentifier: "us-west-2",
              Failover: "PRIMARY",
              HealthCheckId: "hc-west",
              ResourceRecords: [{ Value: "api.us-west-2.cplane.example.com" }],
            },
          },
          {
            Action: "UPSERT",
            ResourceRecordSet: {
              Name: "api.cplane.example.com",
              Type: "CNAME",
              TTL: 60,
              SetIdentifier: "us-east-1",
              Failover: "SECONDARY",
              HealthCheckId: "hc-east",
              ResourceRecords: [{ Value: "api.us-east-1.cplane.example.com" }],
            },
          },
        ],
      },
    });
  });
});

describe("restore-tenant", () => {
  it("restores the tenant's cluster from its copy with a writer, and measures the copy's age at the signal", async () => {
    rds
      .on(DescribeDBClustersCommand)
      .rejects(Object.assign(new Error("none"), { name: "DBClusterNotFoundFault" }));
    rds
      .on(RestoreDBClusterFromSnapshotCommand)
      .resolves({ DBCluster: { DBClusterIdentifier: "tenant-acme" } });
    rds.on(CreateDBInstanceCommand).resolves({});
    const snapshotArn = "arn:aws:rds:us-west-2:123456789012:cluster-snapshot:tenant-acme-dr-20260301-114500";

    const result = await restore(
      {
        subject: "acme",
        tenantId: "t-1",
        tier: "standard",
        region: "us-west-2",
        snapshotArn,
        copyCreatedAt: "2026-03-01T11:45:00.000Z",
        signalAt: "2026-03-01T12:00:00.000Z",
        executionArn: EXECUTION,
      },
      lambdaContext(),
    );

    expect(rds.commandCalls(RestoreDBClusterFromSnapshotCommand)[0]?.args[0].input).toMatchObject({
      DBClusterIdentifier: "tenant-acme",
      SnapshotIdentifier: snapshotArn,
      Engine: "aurora-postgresql",
      DeletionProtection: true,
      Tags: expect.arrayContaining([
        { Key: "cplane:tenant", Value: "acme" },
        { Key: "cplane:execution", Value: EXECUTION },
      ]),
    });
    expect(rds.commandCalls(CreateDBInstanceCommand)[0]?.args[0].input).toMatchObject({
      DBInstanceIdentifier: "tenant-acme-writer",
      DBClusterIdentifier: "tenant-acme",
      DBInstanceClass: "db.t4g.large",
    });
    expect(result).toMatchObject({ created: true, rpoSeconds: 900 });
  });

  it("refuses by name when the tenant has no copy to restore from", async () => {
    await expect(
      restore(
        {
          subject: "acme",
          tenantId: "t-1",
          tier: "basic",
          region: "us-west-2",
          snapshotArn: null,
          copyCreatedAt: null,
          signalAt: "2026-03-01T12:00:00.000Z",
          executionArn: EXECUTION,
        },
        lambdaContext(),
      ),
    ).rejects.toMatchObject({ name: "NoRecoveryPointError" });
    expect(rds.commandCalls(RestoreDBClusterFromSnapshotCommand)).toHaveLength(0);
  });
});

describe("the copy pipeline", () => {
  const tags = [
    { Key: "cplane:tenant", Value: "acme" },
    { Key: "cplane:dr", Value: "true" },
  ];
  const source = "arn:aws:rds:us-east-1:123456789012:cluster-snapshot:tenant-acme-dr-20260301-115800";
  const snapshotAgo = (ms: number) => ({
    DBClusterSnapshotIdentifier: "tenant-acme-dr-20260301-115800",
    DBClusterSnapshotArn: source,
    SnapshotCreateTime: new Date(Date.now() - ms),
    Status: "available",
    TagList: tags,
  });
  const acme = { slug: "acme", tenantId: "t-1", tier: "standard" as const };

  it("copies the newest available DR snapshot to the paired region with that region's RDS key", async () => {
    rds.on(CopyDBClusterSnapshotCommand).resolves({});
    rds.on(CreateDBClusterSnapshotCommand).resolves({});

    const round = await copyRound({
      tenant: acme,
      home: "us-east-1",
      target: "us-west-2",
      atHome: [snapshotAgo(60_000)],
      copies: [],
    });

    expect(rds.commandCalls(CopyDBClusterSnapshotCommand)[0]?.args[0].input).toEqual({
      SourceDBClusterSnapshotIdentifier: source,
      TargetDBClusterSnapshotIdentifier: "tenant-acme-dr-20260301-115800",
      KmsKeyId: "arn:aws:kms:us-west-2:123456789012:alias/aws/rds",
      Tags: [
        { Key: "cplane:tenant", Value: "acme" },
        { Key: "cplane:tenant-id", Value: "t-1" },
        { Key: "cplane:dr", Value: "true" },
      ],
    });
    // Taken a minute ago: the next DR snapshot waits for the cadence.
    expect(rds.commandCalls(CreateDBClusterSnapshotCommand)).toHaveLength(0);
    expect(round.copyStarted).toBe("tenant-acme-dr-20260301-115800");
  });

  it("starts a DR snapshot once the cadence has passed, and none when the cluster is proven unchanged", async () => {
    rds.on(CreateDBClusterSnapshotCommand).resolves({});
    const copied = {
      ...snapshotAgo(10 * 60_000),
      DBClusterSnapshotArn: source.replace("us-east-1", "us-west-2"),
    };
    const input = {
      tenant: acme,
      home: "us-east-1",
      target: "us-west-2",
      atHome: [snapshotAgo(10 * 60_000)],
      copies: [copied],
    };

    const unchanged = await copyRound({ ...input, unchanged: true });
    expect(rds.commandCalls(CreateDBClusterSnapshotCommand)).toHaveLength(0);
    expect(unchanged.snapshotStarted).toBeUndefined();

    const changed = await copyRound(input);
    expect(rds.commandCalls(CreateDBClusterSnapshotCommand)[0]?.args[0].input).toMatchObject({
      DBClusterIdentifier: "tenant-acme",
      Tags: [
        { Key: "cplane:tenant", Value: "acme" },
        { Key: "cplane:tenant-id", Value: "t-1" },
        { Key: "cplane:dr", Value: "true" },
      ],
    });
    expect(changed.snapshotStarted).toMatch(/^tenant-acme-dr-\d{8}-\d{6}$/);
  });
});

describe("provenTo: a cluster proven free of writes from VolumeWriteIOPs", () => {
  const P = 300_000;
  const now = 100 * P + 60_000;
  const zeros = (from: number, to: number) =>
    Array.from({ length: (to - from) / P }, (_, i) => ({ t: from + i * P, v: 0 }));

  it("proves up to the end of the last period reported when every period since is there and says 0", () => {
    expect(provenTo(90 * P + 1_000, zeros(90 * P, 100 * P), now)).toBe(100 * P);
  });

  it("proves nothing when any period since has a write, is missing, or the newest report is stale", () => {
    const written = zeros(90 * P, 100 * P).map((p) => (p.t === 95 * P ? { ...p, v: 3 } : p));
    expect(provenTo(90 * P, written, now)).toBeUndefined();
    const gap = zeros(90 * P, 100 * P).filter((p) => p.t !== 93 * P);
    expect(provenTo(90 * P, gap, now)).toBeUndefined();
    expect(provenTo(80 * P, zeros(80 * P, 95 * P), now)).toBeUndefined();
  });

  it("counts the writes of the period the moment falls in (a snapshot mid-period may not hold them)", () => {
    const early = zeros(90 * P, 100 * P).map((p) => (p.t === 90 * P ? { ...p, v: 1 } : p));
    expect(provenTo(90 * P + 120_000, early, now)).toBeUndefined();
  });
});
