/**
 * The demo fleet the runtime creates at start on an empty cloud: an EKS cluster per region (with a
 * node group and two services with stable versions behind Istio, and their traffic), an Aurora global
 * database for the platform, a Route 53 zone with failover records and a health check per region, and
 * the alarms the workflows need (`cplane-region-health-<region>`, `cplane-canary-errors`,
 * `cplane-canary-latency`). It is built through the same operations the handlers call, with every
 * duration at zero, so it is ready at once; the cloud's own durations are restored afterwards.
 */
import {
  canaryErrorsAlarm,
  canaryLatencyAlarm,
  PLATFORM,
  ROUTE53_METRICS_REGION,
  regionEndpoint,
  regionHealthAlarm,
} from "../../deploy/alarms.ts";
import type { LocalCloud } from "./cloud.ts";
import type { Durations } from "./context.ts";

export interface DemoFleetOptions {
  /** Hosted zone (default `cplane.example.com`). */
  domain?: string;
  /** Namespace of the demo services (default `shop`). */
  namespace?: string;
  /** Service names (default `web`, `api`). */
  services?: string[];
}

export interface DemoFleet {
  clusters: Record<string, string>;
  globalCluster: string;
  databases: Record<string, { clusterArn: string; secretArn: string }>;
  hostedZoneId: string;
  healthChecks: Record<string, string>;
  alarms: string[];
  namespace: string;
  services: string[];
}

const NODE_ROLE = (account: string) => `arn:aws:iam::${account}:role/cplane-local-nodes`;
const CLUSTER_ROLE = (account: string) => `arn:aws:iam::${account}:role/cplane-local-eks`;

export async function createDemoFleet(cloud: LocalCloud, options: DemoFleetOptions = {}): Promise<DemoFleet> {
  const domain = options.domain ?? PLATFORM.domain;
  const namespace = options.namespace ?? PLATFORM.canary.namespace;
  const services = options.services ?? [PLATFORM.canary.service, "api"];
  const { primary, secondary } = cloud.regions;
  const saved: Durations = { ...cloud.durations };
  for (const key of Object.keys(cloud.durations) as (keyof Durations)[]) {
    if (key !== "automatedBackupInterval" && key !== "metricsTick" && key !== "secretDeletionCheck")
      cloud.durations[key] = 0;
  }
  const call = async <T = Record<string, unknown>>(
    service: string,
    operation: string,
    region: string,
    input: unknown,
  ): Promise<T> => (await cloud.send({ service, operation, region, input })) as T;
  // Every job the zero durations made due, run to the end. One advance(0) can stop short on a scaled
  // clock: time moves on between a job and the one it schedules (a cluster's `backing-up`, then its
  // `available`), so the second is due after the instant advance(0) ran to. Seen under load in CI: the
  // global database was asked for while its source cluster was still backing up.
  const settle = async () => {
    for (let round = 0; round < 100; round++) {
      await cloud.clock.advance(0);
      if (!cloud.context.jobs.list().some((job) => job.due <= cloud.clock.now())) return;
    }
  };
  try {
    const fleet: DemoFleet = {
      clusters: {},
      globalCluster: "cplane-platform",
      databases: {},
      hostedZoneId: "",
      healthChecks: {},
      alarms: [],
      namespace,
      services,
    };

    // EKS: a cluster and a node group per region.
    for (const region of [primary, secondary]) {
      const name = `cplane-${region}`;
      await call("EKS", "CreateCluster", region, {
        name,
        roleArn: CLUSTER_ROLE(cloud.account),
        version: "1.31",
        resourcesVpcConfig: { subnetIds: [`subnet-${region}-a`, `subnet-${region}-b`] },
        tags: { app: "cplane" },
      });
      await settle();
      await call("EKS", "CreateNodegroup", region, {
        clusterName: name,
        nodegroupName: "general",
        nodeRole: NODE_ROLE(cloud.account),
        subnets: [`subnet-${region}-a`],
        scalingConfig: { minSize: 1, maxSize: 10, desiredSize: region === primary ? 3 : 1 },
        instanceTypes: ["m6i.large"],
      });
      fleet.clusters[region] = name;
    }

    // Aurora: the platform's global database, writer in the primary.
    const writer = await call<{
      DBCluster: { DBClusterArn: string; MasterUserSecret?: { SecretArn: string } };
    }>("RDS", "CreateDBCluster", primary, {
      DBClusterIdentifier: "cplane-platform",
      Engine: "aurora-postgresql",
      MasterUsername: "cplane",
      ManageMasterUserPassword: true,
      EnableHttpEndpoint: true,
      StorageEncrypted: true,
      BackupRetentionPeriod: 7,
      DatabaseName: "cplane",
      Tags: [{ Key: "app", Value: "cplane" }],
    });
    await call("RDS", "CreateDBInstance", primary, {
      DBInstanceIdentifier: "cplane-platform-1",
      DBClusterIdentifier: "cplane-platform",
      DBInstanceClass: "db.r6g.large",
      Engine: "aurora-postgresql",
    });
    await settle();
    await call("RDS", "CreateGlobalCluster", primary, {
      GlobalClusterIdentifier: fleet.globalCluster,
      SourceDBClusterIdentifier: writer.DBCluster.DBClusterArn,
    });
    const reader = await call<{ DBCluster: { DBClusterArn: string } }>("RDS", "CreateDBCluster", secondary, {
      DBClusterIdentifier: "cplane-platform-dr",
      Engine: "aurora-postgresql",
      GlobalClusterIdentifier: fleet.globalCluster,
      EnableHttpEndpoint: true,
      StorageEncrypted: true,
      KmsKeyId: `arn:aws:kms:${secondary}:${cloud.account}:alias/aws/rds`,
      Tags: [{ Key: "app", Value: "cplane" }],
    });
    await call("RDS", "CreateDBInstance", secondary, {
      DBInstanceIdentifier: "cplane-platform-dr-1",
      DBClusterIdentifier: "cplane-platform-dr",
      DBInstanceClass: "db.r6g.large",
      Engine: "aurora-postgresql",
    });
    const secondarySecret = await call<{ ARN: string }>("SecretsManager", "CreateSecret", secondary, {
      Name: "cplane/platform/db",
      SecretString: JSON.stringify({ username: "cplane" }),
    });
    fleet.databases[primary] = {
      clusterArn: writer.DBCluster.DBClusterArn,
      secretArn: writer.DBCluster.MasterUserSecret?.SecretArn ?? "",
    };
    fleet.databases[secondary] = {
      clusterArn: reader.DBCluster.DBClusterArn,
      secretArn: secondarySecret.ARN,
    };

    // Route 53: zone, a health check per region, failover records.
    const zone = await call<{ HostedZone: { Id: string } }>("Route53", "CreateHostedZone", primary, {
      Name: domain,
      CallerReference: "cplane-demo-zone",
    });
    fleet.hostedZoneId = zone.HostedZone.Id;
    for (const region of [primary, secondary]) {
      const check = await call<{ HealthCheck: { Id: string } }>("Route53", "CreateHealthCheck", primary, {
        CallerReference: `cplane-demo-${region}`,
        HealthCheckConfig: {
          Type: "HTTPS",
          FullyQualifiedDomainName: regionEndpoint(region, domain),
          ResourcePath: PLATFORM.healthCheckPath,
          Port: 443,
          RequestInterval: 30,
          FailureThreshold: 3,
        },
      });
      fleet.healthChecks[region] = check.HealthCheck.Id;
    }
    await call("Route53", "ChangeResourceRecordSets", primary, {
      HostedZoneId: fleet.hostedZoneId,
      ChangeBatch: {
        Comment: "cplane demo fleet",
        Changes: [primary, secondary].flatMap((region, i) => [
          {
            Action: "CREATE",
            ResourceRecordSet: {
              Name: `api.${region}.${domain}`,
              Type: "CNAME",
              TTL: 60,
              ResourceRecords: [{ Value: `ingress.${region}.elb.amazonaws.com` }],
            },
          },
          {
            Action: "CREATE",
            ResourceRecordSet: {
              Name: `api.${domain}`,
              Type: "CNAME",
              TTL: 60,
              SetIdentifier: region,
              Failover: i === 0 ? "PRIMARY" : "SECONDARY",
              HealthCheckId: fleet.healthChecks[region],
              ResourceRecords: [{ Value: `api.${region}.${domain}` }],
            },
          },
        ]),
      },
    });

    // Kubernetes: the demo services with stable versions behind Istio, in both regions, and their traffic.
    for (const region of [primary, secondary]) {
      const clusterName = fleet.clusters[region] ?? "";
      const api = cloud.eks.kubernetes(clusterName, region);
      if (!api) throw new Error(`demo fleet: no Kubernetes API for ${clusterName}`);
      api.apply({
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: namespace, labels: { "istio-injection": "enabled" } },
      });
      for (const service of services) {
        api.apply({
          apiVersion: "apps/v1",
          kind: "Deployment",
          metadata: { name: `${service}-stable`, namespace, labels: { app: service, version: "stable" } },
          spec: {
            replicas: 3,
            selector: { matchLabels: { app: service, version: "stable" } },
            template: {
              metadata: { labels: { app: service, version: "stable" } },
              spec: { containers: [{ name: service, image: `cplane/${service}:1.0.0` }] },
            },
          },
        });
        api.apply({
          apiVersion: "v1",
          kind: "Service",
          metadata: { name: service, namespace },
          spec: { selector: { app: service }, ports: [{ port: 80, targetPort: 8080 }] },
        });
        api.apply({
          apiVersion: "networking.istio.io/v1",
          kind: "DestinationRule",
          metadata: { name: service, namespace },
          spec: {
            host: service,
            subsets: [
              { name: "stable", labels: { version: "stable" } },
              { name: "canary", labels: { version: "canary" } },
            ],
          },
        });
        api.apply({
          apiVersion: "networking.istio.io/v1",
          kind: "VirtualService",
          metadata: { name: service, namespace },
          spec: {
            hosts: [service],
            http: [
              {
                route: [
                  { destination: { host: service, subset: "stable" }, weight: 100 },
                  { destination: { host: service, subset: "canary" }, weight: 0 },
                ],
              },
            ],
          },
        });
        cloud.traffic.setService({
          region,
          cluster: clusterName,
          namespace,
          service,
          versions: {
            stable: { requestsPerMinute: service === "web" ? 1200 : 600 },
            canary: { requestsPerMinute: service === "web" ? 1200 : 600 },
          },
          // Requests by tenant tier (the header the mesh routes tenant cohorts on).
          requestMix: { "x-cplane-tenant-tier": { basic: 0.5, standard: 0.3, premium: 0.2 } },
        });
      }
    }
    await settle();

    // Alarms (deploy/alarms.ts, as stacks/ creates them): region health in us-east-1, where Route 53
    // publishes its metrics, as on AWS; the canary gates on the first service.
    for (const region of [primary, secondary]) {
      const alarm = regionHealthAlarm(region, fleet.healthChecks[region] ?? "");
      await call("CloudWatch", "PutMetricAlarm", ROUTE53_METRICS_REGION, alarm);
      fleet.alarms.push(alarm.AlarmName);
    }
    const target = { namespace, service: services[0] ?? "web" };
    for (const alarm of [canaryErrorsAlarm(target), canaryLatencyAlarm(target)]) {
      await call("CloudWatch", "PutMetricAlarm", primary, alarm);
      fleet.alarms.push(alarm.AlarmName);
    }
    await settle();
    return fleet;
  } finally {
    Object.assign(cloud.durations, saved);
  }
}
