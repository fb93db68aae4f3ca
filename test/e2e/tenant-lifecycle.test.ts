/**
 * Tenant onboarding and offboarding end to end on the local runtime: from the triggering event (put
 * with the CLI) to the resources in the local cloud, the registry, and the outcome event on the bus.
 */
import { execFile } from "node:child_process";
import { get as httpsGet } from "node:https";
import { promisify } from "node:util";
import { DescribeAccessEntryCommand, EKSClient } from "@aws-sdk/client-eks";
import { GetRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { DescribeDBClusterSnapshotsCommand, DescribeDBClustersCommand, RDSClient } from "@aws-sdk/client-rds";
import { ExecuteStatementCommand, RDSDataClient } from "@aws-sdk/client-rds-data";
import { DescribeSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAwsClient } from "../../functions/shared/aws-clients.ts";
import { listTenants } from "../../functions/tenant/lib/registry.ts";
import { createClock } from "../../local/clock/clock.ts";
import { clusterCa } from "../../local/cloud/kubernetes.ts";
import type { ExecutionDescription } from "../../local/engine/index.ts";
import { createRuntime, EKS_CLUSTER_NAME, type Runtime } from "../../local/runtime.ts";
import type { LocalServer } from "../../local/server/http.ts";
import { serve } from "../../local/start.ts";

const exec = promisify(execFile);
let runtime: Runtime;
let server: LocalServer;

beforeAll(async () => {
  runtime = await createRuntime({ clock: createClock({ mode: { kind: "instant" } }) });
  server = await serve(runtime, 0);
}, 120_000);
afterAll(async () => {
  await server?.close();
  await runtime?.close();
});

async function cplane(...args: string[]) {
  return exec(process.execPath, ["local/cli/bin.ts", ...args, "--endpoint", server.url], {
    timeout: 120_000,
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({
      code: error.code,
      stdout: error.stdout,
      stderr: error.stderr,
    }),
  );
}

/** Waits for every execution of a workflow to end; returns them. */
async function settled(workflow: string, count: number): Promise<ExecutionDescription[]> {
  const arn = runtime.stateMachineArn(workflow);
  // A deadline in wall time, not a count of polls: on a loaded machine each poll takes longer.
  const deadline = Date.now() + 240_000;
  while (Date.now() < deadline) {
    const listed = runtime.engine.listExecutions({ stateMachineArn: arn, maxResults: 1000 }).executions;
    if (listed.length >= count && listed.every((e) => e.status !== "RUNNING")) {
      return listed.map((e) => runtime.engine.describeExecution(e.executionArn));
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${workflow}: ${count} executions did not settle`);
}

function tenantEvents(detailType: string) {
  return runtime.bus
    .events({ busName: "cplane" })
    .filter((logged) => logged.event["detail-type"] === detailType)
    .map((logged) => logged.event.detail as Record<string, unknown>);
}

/** A GET on the tenants' Kubernetes API in the primary region, trusting the local cluster CA. */
function kubernetes(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const endpoint = runtime.cloud.kubernetesEndpoints().find((e) => e.region === runtime.region)?.endpoint;
  const ca = Buffer.from(clusterCa(), "base64").toString("utf8");
  return new Promise((resolve, reject) => {
    const request = httpsGet(
      `${endpoint}${path}`,
      { ca, headers: { authorization: "Bearer k8s-aws-v1.test" } },
      (response) => {
        let text = "";
        response.on("data", (chunk: Buffer) => {
          text += chunk.toString("utf8");
        });
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) }));
      },
    );
    request.on("error", reject);
  });
}

describe("tenant onboarding on the local runtime", () => {
  it("turns a Tenant Requested event into an active tenant with its database, secret, namespace and event", async () => {
    // Act
    const put = await cplane("events", "put", "tenant-requested");
    expect(put.code, put.stderr).toBe(0);
    const [execution] = await settled("tenant-onboarding", 1);

    // Assess: the execution and the registry
    expect(execution?.status, execution?.cause).toBe("SUCCEEDED");
    const listed = await cplane("tenants", "list", "--json");
    const tenants = JSON.parse(listed.stdout) as {
      slug: string;
      status: string;
      tier: string;
      tenantId: string;
    }[];
    expect(tenants).toEqual([expect.objectContaining({ slug: "acme", status: "active", tier: "premium" })]);
    // The registry's times are the cloud's: between registering and announcing, the cluster and its
    // instances took their simulated minutes (the wall clock saw a few seconds).
    const history = (await listTenants()).find((t) => t.slug === "acme")?.history ?? [];
    const at = (step: string) => Date.parse(history.find((h) => h.step === step)?.at ?? "");
    expect(at("announce") - at("register")).toBeGreaterThanOrEqual(
      runtime.cloud.durations.auroraClusterCreate,
    );

    // the database: available, with the migrated schema queryable through the Data API
    const rds = createAwsClient(RDSClient, { trace: false });
    const { DBClusters } = await rds.send(
      new DescribeDBClustersCommand({ DBClusterIdentifier: "tenant-acme" }),
    );
    const cluster = DBClusters?.[0];
    expect(cluster).toMatchObject({
      Status: "available",
      StorageEncrypted: true,
      DeletionProtection: true,
      BackupRetentionPeriod: 30,
    });
    const data = createAwsClient(RDSDataClient, { trace: false });
    const ledger = await data.send(
      new ExecuteStatementCommand({
        resourceArn: cluster?.DBClusterArn,
        secretArn: cluster?.MasterUserSecret?.SecretArn,
        sql: "SELECT version FROM cplane.schema_migrations ORDER BY version",
      }),
    );
    expect(ledger.records?.map((row) => row[0]?.stringValue)).toEqual(["0001", "0002", "0003"]);

    // the application secret
    const secrets = createAwsClient(SecretsManagerClient, { trace: false });
    const secret = await secrets.send(new DescribeSecretCommand({ SecretId: "cplane/tenants/acme/db" }));
    expect(secret.Name).toBe("cplane/tenants/acme/db");

    // the namespace and its objects in the tenants' Kubernetes cluster
    const namespace = await kubernetes("/api/v1/namespaces/acme");
    expect(namespace.status).toBe(200);
    expect((namespace.body.metadata as { labels: Record<string, string> }).labels).toMatchObject({
      "cplane.io/tier": "premium",
    });
    for (const path of [
      "/api/v1/namespaces/acme/resourcequotas",
      "/api/v1/namespaces/acme/limitranges",
      "/apis/networking.k8s.io/v1/namespaces/acme/networkpolicies",
      "/apis/rbac.authorization.k8s.io/v1/namespaces/acme/roles",
      "/apis/rbac.authorization.k8s.io/v1/namespaces/acme/rolebindings",
      "/api/v1/namespaces/acme/serviceaccounts",
      "/apis/networking.k8s.io/v1/namespaces/acme/ingresses",
    ]) {
      const list = await kubernetes(path);
      expect((list.body.items as unknown[]).length, path).toBeGreaterThan(0);
    }
    expect(EKS_CLUSTER_NAME).toBe("cplane-local-tenants");

    // the operators' role, under the boundary, and its access entry scoped to the namespace
    const iam = createAwsClient(IAMClient, { trace: false });
    const { Role: operators } = await iam.send(
      new GetRoleCommand({ RoleName: "cplane-local-tenant-acme-operators" }),
    );
    expect(operators?.PermissionsBoundary?.PermissionsBoundaryArn).toBe(
      "arn:aws:iam::000000000000:policy/cplane-local-tenant-operator-boundary",
    );
    const { accessEntry } = await createAwsClient(EKSClient, { trace: false }).send(
      new DescribeAccessEntryCommand({ clusterName: EKS_CLUSTER_NAME, principalArn: operators?.Arn }),
    );
    expect(accessEntry?.kubernetesGroups).toEqual(["cplane:tenant:acme:operators"]);

    // the Tenant Created event, with the secret's ARN and never a password
    const created = tenantEvents("Tenant Created");
    expect(created).toEqual([
      expect.objectContaining({ slug: "acme", tier: "premium", secretArn: secret.ARN }),
    ]);
    expect(JSON.stringify(created)).not.toMatch(/password/i);
  }, 120_000);

  it("runs from the CLI with --follow, printing each state, and exits 0", async () => {
    const result = await cplane(
      "run",
      "tenant-onboarding",
      "--input",
      '{"name":"Globex","tier":"basic","adminEmail":"it@globex.example"}',
      "--follow",
    );
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/TaskStateEntered\s+ProvisionDatabase/);
    expect(result.stdout).toMatch(/TaskStateEntered\s+WaitForDatabase/);
    expect(result.stdout).toMatch(/SUCCEEDED/);
  });

  it("onboards twenty tenants started at once, each with its own resources", async () => {
    const names = Array.from({ length: 20 }, (_, i) => `Batch Tenant ${i + 1}`);
    const arn = runtime.stateMachineArn("tenant-onboarding");
    const before = runtime.engine.listExecutions({ stateMachineArn: arn }).executions.length;
    for (const name of names) {
      runtime.engine.startExecution({
        stateMachineArn: arn,
        input: JSON.stringify({ name, tier: "standard", adminEmail: "ops@batch.example" }),
      });
    }
    const executions = await settled("tenant-onboarding", before + 20);
    const batch = executions.filter((e) => JSON.parse(e.input).name.startsWith("Batch Tenant"));
    expect(batch.map((e) => e.status)).toEqual(Array(20).fill("SUCCEEDED"));
    const outputs = batch.map(
      (e) => JSON.parse(e.output ?? "{}") as { slug: string; secretArn: string; endpoint: string },
    );
    expect(new Set(outputs.map((o) => o.slug)).size).toBe(20);
    expect(new Set(outputs.map((o) => o.secretArn)).size).toBe(20);
    expect(new Set(outputs.map((o) => o.endpoint)).size).toBe(20);
  }, 300_000);
});

describe("tenant offboarding on the local runtime", () => {
  it("leaves a final snapshot and nothing else", async () => {
    const tenants = JSON.parse((await cplane("tenants", "list", "--json")).stdout) as {
      slug: string;
      tenantId: string;
    }[];
    const globex = tenants.find((t) => t.slug === "globex");
    expect(globex).toBeDefined();
    const arn = runtime.stateMachineArn("tenant-offboarding");

    const { executionArn } = runtime.engine.startExecution({
      stateMachineArn: arn,
      input: JSON.stringify({ tenantId: globex?.tenantId, requestedBy: "e2e", reason: "test" }),
    });
    const done = await runtime.engine.waitForExecution(executionArn);

    expect(done.status, done.cause).toBe("SUCCEEDED");
    const after = JSON.parse((await cplane("tenants", "list", "--json")).stdout) as {
      slug: string;
      status: string;
    }[];
    expect(after.find((t) => t.slug === "globex")?.status).toBe("offboarded");
    const rds = createAwsClient(RDSClient, { trace: false });
    const clusters = await rds
      .send(new DescribeDBClustersCommand({ DBClusterIdentifier: "tenant-globex" }))
      .catch((e: Error) => e);
    expect(clusters).toMatchObject({ name: "DBClusterNotFoundFault" });
    const { DBClusterSnapshots } = await rds.send(
      new DescribeDBClusterSnapshotsCommand({ DBClusterIdentifier: "tenant-globex" }),
    );
    expect(DBClusterSnapshots?.filter((s) => s.SnapshotType === "manual").map((s) => s.Status)).toEqual([
      "available",
    ]);
    expect((await kubernetes("/api/v1/namespaces/globex")).status).toBe(404);
    const operators = await createAwsClient(IAMClient, { trace: false })
      .send(new GetRoleCommand({ RoleName: "cplane-local-tenant-globex-operators" }))
      .catch((e: Error) => e);
    expect(operators).toMatchObject({ name: "NoSuchEntityException" });
    const secrets = createAwsClient(SecretsManagerClient, { trace: false });
    const secret = await secrets.send(new DescribeSecretCommand({ SecretId: "cplane/tenants/globex/db" }));
    expect(secret.DeletedDate).toBeInstanceOf(Date);
    expect(tenantEvents("Tenant Offboarded")).toEqual([expect.objectContaining({ slug: "globex" })]);
  });
});
