/**
 * Local IAM end to end: onboarding and offboarding with every handler's AWS calls authorized as its
 * function's role; AWS's access-denied errors when a role lacks a statement (a workflow then fails and
 * compensates as on AWS); a tag condition; the operator role's permissions boundary; the Kubernetes API
 * answering per EKS access entries (no entry: 401; a namespace-scoped view policy cannot write).
 */
import { request as httpsRequest } from "node:https";
import { DescribeClusterCommand, EKSClient } from "@aws-sdk/client-eks";
import { DeleteDBClusterCommand, RDSClient } from "@aws-sdk/client-rds";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAwsClient } from "../../functions/shared/aws-clients.ts";
import { eksToken } from "../../functions/shared/kubernetes.ts";
import { createClock } from "../../local/clock/clock.ts";
import { clusterCa } from "../../local/cloud/kubernetes.ts";
import type { Decision } from "../../local/iam/authorizer.ts";
import { type Caller, runAs } from "../../local/iam/identity.ts";
import { CATALOG_POLICY, functionRoleName } from "../../local/iam/roles.ts";
import { createRuntime, EKS_CLUSTER_NAME, type Runtime } from "../../local/runtime.ts";

let runtime: Runtime;
const decisions: Decision[] = [];
const LOCAL = { app: "cplane", stage: "local" };
const callerOf = (functionId: string): Caller => ({
  functionId,
  roleName: functionRoleName(functionId, LOCAL),
});

beforeAll(async () => {
  runtime = await createRuntime({ clock: createClock({ mode: { kind: "instant" } }) });
  runtime.iam?.onDecision((decision) => decisions.push(decision));
}, 120_000);
afterAll(async () => {
  await runtime?.close();
});

async function run(workflow: string, input: unknown) {
  const { executionArn } = runtime.engine.startExecution({
    stateMachineArn: runtime.stateMachineArn(workflow),
    input: JSON.stringify(input),
  });
  return runtime.engine.waitForExecution(executionArn);
}

/** Replaces a function's role policy (what a catalog entry with `keep` statements only would deploy). */
function setRolePolicy(functionId: string, keep: (statement: { Action: string[] }) => boolean): () => void {
  const iam = runtime.cloud.iam.operations as unknown as Record<
    string,
    (input: unknown) => { PolicyDocument?: string }
  >;
  const RoleName = functionRoleName(functionId, LOCAL);
  const original = decodeURIComponent(
    (iam.GetRolePolicy?.({ RoleName, PolicyName: CATALOG_POLICY }).PolicyDocument as string) ?? "",
  );
  const document = JSON.parse(original) as { Statement: { Action: string[] }[] };
  iam.PutRolePolicy?.({
    RoleName,
    PolicyName: CATALOG_POLICY,
    PolicyDocument: JSON.stringify({ ...document, Statement: document.Statement.filter(keep) }),
  });
  return () => iam.PutRolePolicy?.({ RoleName, PolicyName: CATALOG_POLICY, PolicyDocument: original });
}

function kubernetes(method: string, path: string, token: string, body?: unknown) {
  const endpoint = runtime.cloud.kubernetesEndpoints().find((e) => e.region === runtime.region)?.endpoint;
  const ca = Buffer.from(clusterCa(), "base64").toString("utf8");
  return new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
    const request = httpsRequest(
      `${endpoint}${path}`,
      { method, ca, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" } },
      (response) => {
        let text = "";
        response.on("data", (chunk: Buffer) => {
          text += chunk.toString("utf8");
        });
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) }));
      },
    );
    request.on("error", reject);
    request.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** The EKS token a role signs (`aws eks get-token`), with the credentials local IAM gives it. */
async function tokenOf(caller: Caller): Promise<string> {
  const credentials = runtime.iam?.credentialsFor(caller);
  if (!credentials) throw new Error("local IAM is off");
  return eksToken(EKS_CLUSTER_NAME, { region: runtime.region, credentials });
}

describe("local IAM on the runtime", () => {
  it("is on by default, and authorizes every call of an onboarding and an offboarding", async () => {
    expect(runtime.iam).toBeDefined();
    const onboarded = await run("tenant-onboarding", {
      name: "Initech",
      tier: "standard",
      adminEmail: "it@initech.example",
    });
    expect(onboarded.status, onboarded.cause).toBe("SUCCEEDED");
    const offboarded = await run("tenant-offboarding", { slug: "initech" });
    expect(offboarded.status, offboarded.cause).toBe("SUCCEEDED");

    const denied = decisions.filter((d) => d.result.decision !== "Allow");
    expect(denied.map((d) => `${d.caller.functionId} ${d.request.action} ${d.request.resource}`)).toEqual([]);
    // Every step that calls AWS was authorized as its own role.
    const callers = new Set(decisions.map((d) => d.caller.functionId));
    for (const id of [
      "tenant/provision-database",
      "tenant/create-namespace",
      "tenant/migrate-database",
      "tenant/delete-database",
      "ops/acquire-locks",
    ]) {
      expect(callers).toContain(id);
    }
  }, 300_000);

  it("fails a step whose role lacks a statement with AWS's AccessDenied, and the workflow compensates", async () => {
    const restore = setRolePolicy(
      "tenant/provision-database",
      (s) => !s.Action.includes("rds:CreateDBCluster"),
    );
    try {
      const failed = await run("tenant-onboarding", {
        name: "Hooli",
        tier: "basic",
        adminEmail: "it@hooli.example",
      });
      expect(failed.status).toBe("FAILED");
      expect(failed.cause).toContain("AccessDenied");
      expect(failed.cause).toMatch(
        /User: arn:aws:sts::000000000000:assumed-role\/cplane-local-tenant-provision-database\/\S+ is not authorized to perform: rds:CreateDBCluster on resource: arn:aws:rds:us-east-1:000000000000:cluster:tenant-hooli because no identity-based policy allows the rds:CreateDBCluster action/,
      );
    } finally {
      restore();
    }
    const tenant = await run("tenant-onboarding", {
      name: "Hooli",
      tier: "basic",
      adminEmail: "it@hooli.example",
    });
    expect(tenant.status, tenant.cause).toBe("SUCCEEDED");
  }, 300_000);

  // A catalog without one of these statements deploys a role that cannot do the step: the run says so.
  it.each([
    { functionId: "tenant/create-namespace", action: "iam:PassRole", error: "AccessDenied" },
    {
      functionId: "tenant/migrate-database",
      action: "rds-data:ExecuteStatement",
      error: "AccessDeniedException",
    },
    { functionId: "tenant/announce", action: "events:PutEvents", error: "AccessDeniedException" },
  ])(
    "fails onboarding when $functionId lacks its $action statement",
    async ({ functionId, action, error }) => {
      const restore = setRolePolicy(functionId, (s) => !s.Action.includes(action));
      try {
        const slug = functionId.replace(/\W/g, "");
        const failed = await run("tenant-onboarding", {
          name: slug,
          tier: "basic",
          adminEmail: "it@x.example",
        });
        expect(failed.status).toBe("FAILED");
        expect(failed.cause).toContain(error);
        expect(failed.cause).toContain(`not authorized to perform: ${action}`);
      } finally {
        restore();
      }
    },
    300_000,
  );

  it("surfaces the denial to the SDK caller as the service's modeled error", async () => {
    const secrets = createAwsClient(SecretsManagerClient, { trace: false });
    // announce may read no secret: Secrets Manager says AccessDeniedException (JSON protocol).
    const error = await runAs(callerOf("tenant/announce"), () =>
      secrets.send(new GetSecretValueCommand({ SecretId: "cplane/tenants/hooli/db" })),
    ).catch((e: unknown) => e as Error & { $metadata?: { httpStatusCode?: number } });
    expect(error).toMatchObject({ name: "AccessDeniedException", $metadata: { httpStatusCode: 403 } });
    expect((error as Error).message).toContain("secretsmanager:GetSecretValue");
  });

  it("holds a tag condition: a tenant cluster without the cplane:tenant tag cannot be deleted", async () => {
    const rds = createAwsClient(RDSClient, { trace: false });
    const operator = runtime.cloud.services.RDS?.operations as unknown as Record<
      string,
      (i: unknown, r: string) => unknown
    >;
    operator.CreateDBCluster?.(
      {
        DBClusterIdentifier: "tenant-untagged",
        Engine: "aurora-postgresql",
        MasterUsername: "postgres",
        ManageMasterUserPassword: true,
      },
      runtime.region,
    );
    const deleteAs = (id: string) =>
      runAs(callerOf("tenant/delete-database"), () =>
        rds.send(new DeleteDBClusterCommand({ DBClusterIdentifier: id, SkipFinalSnapshot: true })),
      ).then(
        () => "deleted",
        (e: Error) => e.name,
      );
    expect(await deleteAs("tenant-untagged")).toBe("AccessDenied");
    // Tagged as a tenant's, the same call is allowed by IAM (and refused by RDS for its own reasons).
    operator.AddTagsToResource?.(
      {
        ResourceName: "arn:aws:rds:us-east-1:000000000000:cluster:tenant-untagged",
        Tags: [{ Key: "cplane:tenant", Value: "x" }],
      },
      runtime.region,
    );
    expect(await deleteAs("tenant-untagged")).not.toBe("AccessDenied");
  });

  it("limits the operator role by its permissions boundary, whatever its own policy allows", async () => {
    const operators = callerOf("tenant/none");
    const role = { ...operators, roleName: "cplane-local-tenant-hooli-operators" };
    const iam = runtime.cloud.iam.operations as unknown as Record<string, (input: unknown) => unknown>;
    // An inline policy that would allow reading every secret: the boundary allows describing the cluster only.
    iam.PutRolePolicy?.({
      RoleName: role.roleName,
      PolicyName: "too-broad",
      PolicyDocument: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Action: ["secretsmanager:GetSecretValue", "eks:DescribeCluster"],
            Resource: "*",
          },
        ],
      }),
    });
    const secrets = createAwsClient(SecretsManagerClient, { trace: false });
    const read = await runAs(role, () =>
      secrets.send(new GetSecretValueCommand({ SecretId: "cplane/tenants/hooli/db" })),
    ).catch((e: Error) => e);
    expect(read).toMatchObject({ name: "AccessDeniedException" });
    expect((read as Error).message).toContain(
      "because no permissions boundary allows the secretsmanager:GetSecretValue action",
    );
    const described = await runAs(role, () =>
      createAwsClient(EKSClient, { trace: false }).send(
        new DescribeClusterCommand({ name: EKS_CLUSTER_NAME }),
      ),
    );
    expect(described.cluster?.name).toBe(EKS_CLUSTER_NAME);
  });

  it("answers the Kubernetes API per access entries: none is 401, a namespaced view policy reads but cannot write", async () => {
    const operators = await tokenOf({
      functionId: "operators",
      roleName: "cplane-local-tenant-hooli-operators",
    });
    const configMap = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "probe", namespace: "hooli" },
      data: {},
    };

    expect((await kubernetes("GET", "/api/v1/namespaces/hooli/configmaps", operators)).status).toBe(200);
    const write = await kubernetes("POST", "/api/v1/namespaces/hooli/configmaps", operators, configMap);
    expect(write.status).toBe(403);
    expect(write.body).toMatchObject({ kind: "Status", reason: "Forbidden" });
    expect(String(write.body.message)).toContain(
      'cannot create resource "configmaps" in API group "" in the namespace "hooli"',
    );
    expect((await kubernetes("GET", "/api/v1/namespaces/kube-system/configmaps", operators)).status).toBe(
      403,
    );

    // A function without an access entry is not even authenticated.
    const announce = await tokenOf(callerOf("tenant/announce"));
    expect((await kubernetes("GET", "/api/v1/namespaces/hooli/configmaps", announce)).status).toBe(401);
    // The namespace steps' entry is cluster admin.
    const createNamespace = await tokenOf(callerOf("tenant/create-namespace"));
    expect(
      (await kubernetes("POST", "/api/v1/namespaces/hooli/configmaps", createNamespace, configMap)).status,
    ).toBe(201);
  });
});
