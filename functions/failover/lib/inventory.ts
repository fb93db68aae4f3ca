/**
 * What the DR upkeep reads, listed once per region instead of described once per tenant: every DB
 * cluster (paged DescribeDBClusters), every global database, the DR snapshots by tenant, the tenants'
 * secrets (paged ListSecrets under the tenants' prefix), the replication lag of every global secondary
 * (one GetMetricData of up to 500 queries), and on a Kubernetes cluster its namespaces and Deployments
 * (one list each, every namespace). A readiness run over N tenants then costs a handful of calls plus
 * the changes it makes, not N times a dozen.
 *
 * An inventory lives for one handler invocation and is only ever read: a step that acts on a tenant
 * reads that tenant again before it changes anything (reconcile and reestablish decide from the
 * inventory whether a tenant needs them at all, then work from fresh describes). A listing that fails
 * (a region down) fails every read of it, as the describe it replaces would have.
 */

import { GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import {
  type DBCluster,
  type DBClusterSnapshot,
  type GlobalCluster,
  paginateDescribeDBClusters,
  paginateDescribeGlobalClusters,
} from "@aws-sdk/client-rds";
import { paginateListSecrets, type SecretListEntry } from "@aws-sdk/client-secrets-manager";
import { awsNow } from "../../shared/aws-clients.ts";
import type { KubernetesClient, KubernetesObject } from "../../shared/kubernetes.ts";
import { tenantNames } from "../../tenant/lib/slug.ts";
import { cloudwatchIn, isOutage, rdsIn } from "./aws.ts";
import { drSnapshotsByTenant } from "./copies.ts";
import { secretsIn } from "./dr-space.ts";

/** GetMetricData takes at most 500 queries per call (CloudWatch API reference). */
const METRIC_QUERIES_PER_CALL = 500;
/** The tenants' secrets share this prefix (tenant/lib/slug.ts): ListSecrets filters on it. */
const TENANT_SECRET_PREFIX = tenantNames("x").secretName.split("/").slice(0, -2).join("/");

const byKey = <T>(items: readonly T[], key: (item: T) => string | undefined) =>
  new Map(items.flatMap((item) => (key(item) ? [[key(item) as string, item] as const] : [])));

export class Inventory {
  private readonly lists = new Map<string, Promise<unknown>>();

  /** One listing per key for the inventory's life, its failure included. */
  private once<T>(key: string, list: () => Promise<T>): Promise<T> {
    let listed = this.lists.get(key) as Promise<T> | undefined;
    if (!listed) {
      // Returned to the caller that asked first, who awaits it: a failure reaches every reader.
      listed = list();
      this.lists.set(key, listed);
    }
    return listed;
  }

  /** Every DB cluster in `region`, by identifier and by ARN. */
  clusters(region: string): Promise<Map<string, DBCluster>> {
    return this.once(`clusters:${region}`, async () => {
      const all: DBCluster[] = [];
      for await (const page of paginateDescribeDBClusters({ client: rdsIn(region), pageSize: 100 }, {}))
        all.push(...(page.DBClusters ?? []));
      return new Map([...byKey(all, (c) => c.DBClusterIdentifier), ...byKey(all, (c) => c.DBClusterArn)]);
    });
  }

  async cluster(region: string, identifierOrArn: string): Promise<DBCluster | undefined> {
    return (await this.clusters(region)).get(identifierOrArn);
  }

  /**
   * Every global database, by identifier, as the first of `regions` that answers lists them (a global
   * database is listed alike in every region); undefined when none answers.
   */
  globals(regions: readonly string[]): Promise<Map<string, GlobalCluster> | undefined> {
    return this.once(`globals:${regions.join(",")}`, async () => {
      for (const region of regions) {
        try {
          const all: GlobalCluster[] = [];
          for await (const page of paginateDescribeGlobalClusters(
            { client: rdsIn(region), pageSize: 100 },
            {},
          ))
            all.push(...(page.GlobalClusters ?? []));
          return byKey(all, (g) => g.GlobalClusterIdentifier);
        } catch (error) {
          if (!isOutage(error)) throw error;
        }
      }
      return undefined;
    });
  }

  /** Each tenant's DR snapshots and copies in `region`, newest first (lib/copies.ts). */
  drSnapshots(region: string): Promise<Map<string, DBClusterSnapshot[]>> {
    return this.once(`snapshots:${region}`, () => drSnapshotsByTenant(region));
  }

  /** The tenants' secrets in `region` (primaries and replicas), by name. */
  secrets(region: string): Promise<Map<string, SecretListEntry>> {
    return this.once(`secrets:${region}`, async () => {
      const all: SecretListEntry[] = [];
      const pages = paginateListSecrets(
        { client: secretsIn(region), pageSize: 100 },
        { Filters: [{ Key: "name", Values: [`${TENANT_SECRET_PREFIX}/`] }] },
      );
      for await (const page of pages) all.push(...(page.SecretList ?? []));
      return byKey(all, (s) => s.Name);
    });
  }

  /**
   * The newest AuroraGlobalDBRPOLag (seconds) of each cluster in `region` over the last 10 minutes,
   * asked in one call per 500 clusters; a cluster with no data is absent.
   */
  async lags(region: string, clusterIdentifiers: readonly string[]): Promise<Map<string, number>> {
    const wanted = [...new Set(clusterIdentifiers)].sort();
    return this.once(`lags:${region}:${wanted.join(",")}`, async () => {
      const out = new Map<string, number>();
      const end = awsNow();
      for (let i = 0; i < wanted.length; i += METRIC_QUERIES_PER_CALL) {
        const chunk = wanted.slice(i, i + METRIC_QUERIES_PER_CALL);
        const { MetricDataResults } = await cloudwatchIn(region).send(
          new GetMetricDataCommand({
            StartTime: new Date(end - 10 * 60_000),
            EndTime: new Date(end),
            ScanBy: "TimestampDescending",
            MetricDataQueries: chunk.map((id, n) => ({
              Id: `m${n}`,
              MetricStat: {
                Metric: {
                  Namespace: "AWS/RDS",
                  MetricName: "AuroraGlobalDBRPOLag",
                  Dimensions: [{ Name: "DBClusterIdentifier", Value: id }],
                },
                Period: 60,
                Stat: "Maximum",
              },
            })),
          }),
        );
        for (const result of MetricDataResults ?? []) {
          const id = chunk[Number(result.Id?.slice(1))];
          const newest = (result.Timestamps ?? [])
            .map((t, k) => ({ t: t.getTime(), v: result.Values?.[k] }))
            .filter((p) => p.v !== undefined)
            .sort((a, b) => b.t - a.t)[0];
          if (id !== undefined && newest?.v !== undefined) out.set(id, newest.v / 1000);
        }
      }
      return out;
    });
  }

  /** The namespaces of a Kubernetes cluster, by name. */
  namespaces(key: string, client: KubernetesClient): Promise<Map<string, KubernetesObject>> {
    return this.once(`namespaces:${key}`, async () =>
      byKey(await client.list("v1", "Namespace"), (n) => n.metadata?.name),
    );
  }

  /** The Deployments of a Kubernetes cluster, by namespace. */
  deployments(key: string, client: KubernetesClient): Promise<Map<string, KubernetesObject[]>> {
    return this.once(`deployments:${key}`, async () => {
      const out = new Map<string, KubernetesObject[]>();
      for (const deployment of await client.list("apps/v1", "Deployment")) {
        const namespace = deployment.metadata?.namespace ?? "";
        const list = out.get(namespace) ?? [];
        list.push(deployment);
        out.set(namespace, list);
      }
      return out;
    });
  }
}
