/**
 * A tenant's operators reach its namespace in the paired region too: onboarding's DR step gives their
 * role an access entry on that region's tenant cluster, scoped to the namespace with the view policy
 * as at home (local IAM and the local Kubernetes API enforce access entries), and offboarding takes it
 * away with the DR space.
 */
import { request as httpsRequest } from "node:https";
import { DescribeClusterCommand, EKSClient } from "@aws-sdk/client-eks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAwsClient } from "../../functions/shared/aws-clients.ts";
import { eksToken } from "../../functions/shared/kubernetes.ts";
import { clusterCa } from "../../local/cloud/kubernetes.ts";
import { runAs } from "../../local/iam/identity.ts";
import { EKS_CLUSTER_NAME, type Runtime } from "../../local/runtime.ts";
import { failoverRuntime, finish, onboard, start } from "./failover-support.ts";

let runtime: Runtime;

beforeAll(async () => {
  runtime = await failoverRuntime();
  await onboard(runtime, [{ name: "Ops Reach", tier: "standard" }]);
}, 600_000);
afterAll(async () => {
  await runtime?.close();
});

/** A request to the tenant cluster's Kubernetes API in `region`, with an EKS token. */
function kubernetes(region: string, method: string, path: string, token: string, body?: unknown) {
  const endpoint = runtime.cloud
    .kubernetesEndpoints()
    .find((e) => e.region === region && e.name === EKS_CLUSTER_NAME)?.endpoint;
  const ca = Buffer.from(clusterCa(), "base64").toString("utf8");
  return new Promise<number>((resolve, reject) => {
    const request = httpsRequest(
      `${endpoint}${path}`,
      { method, ca, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" } },
      (response) => {
        response.resume();
        response.on("end", () => resolve(response.statusCode ?? 0));
      },
    );
    request.on("error", reject);
    request.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const OPERATORS = { functionId: "operators", roleName: "cplane-local-tenant-ops-reach-operators" };

/** The token the tenant's operators sign for the cluster in `region` (`aws eks get-token`). */
function operatorsToken(region: string): Promise<string> {
  const credentials = runtime.iam?.credentialsFor(OPERATORS);
  if (!credentials) throw new Error("local IAM is off");
  return eksToken(EKS_CLUSTER_NAME, { region, credentials });
}

describe("the operators' access in the paired region", () => {
  it("reads the tenant's namespace there, and cannot write nor read another namespace", async () => {
    const token = await operatorsToken(runtime.secondaryRegion);
    const secondary = runtime.secondaryRegion;

    expect(await kubernetes(secondary, "GET", "/api/v1/namespaces/ops-reach/configmaps", token)).toBe(200);
    expect(
      await kubernetes(secondary, "POST", "/api/v1/namespaces/ops-reach/configmaps", token, {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "probe", namespace: "ops-reach" },
      }),
    ).toBe(403);
    expect(await kubernetes(secondary, "GET", "/api/v1/namespaces/kube-system/configmaps", token)).toBe(403);
    // `aws eks update-kubeconfig` there: the role and its boundary let it describe that cluster too.
    const described = await runAs(OPERATORS, () =>
      createAwsClient(EKSClient, { region: secondary, trace: false }).send(
        new DescribeClusterCommand({ name: EKS_CLUSTER_NAME }),
      ),
    );
    expect(described.cluster?.name).toBe(EKS_CLUSTER_NAME);
  });

  it("goes with the tenant: after offboarding the cluster there no longer knows the operators", async () => {
    const run = start(runtime, "tenant-offboarding", { slug: "ops-reach", requestedBy: "e2e" });
    const done = await finish(runtime, run, "offboarding ops-reach");

    expect(done.status, `${done.error} ${done.cause}`).toBe("SUCCEEDED");
    const token = await operatorsToken(runtime.secondaryRegion);
    expect(
      await kubernetes(runtime.secondaryRegion, "GET", "/api/v1/namespaces/ops-reach/configmaps", token),
    ).toBe(401);
  });
});
