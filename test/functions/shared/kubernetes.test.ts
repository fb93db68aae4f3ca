import { DescribeClusterCommand, EKSClient } from "@aws-sdk/client-eks";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { TransientError } from "../../../functions/shared/errors.ts";
import {
  clearKubernetesCache,
  eksClusterAccess,
  eksToken,
  KubernetesClusterNotFoundError,
  KubernetesRequestError,
  kubernetesClient,
  TOKEN_LIFETIME_MS,
} from "../../../functions/shared/kubernetes.ts";
import { FakeKubernetes } from "../tenant/support.ts";

const eks = mockClient(EKSClient);
const api = new FakeKubernetes();
let endpoint = "";

beforeAll(async () => {
  endpoint = await api.start();
});
afterAll(() => api.stop());
beforeEach(() => {
  eks.reset();
  clearKubernetesCache();
  api.requests.length = 0;
  api.objects.clear();
  api.failWith = undefined;
  eks.on(DescribeClusterCommand).resolves({
    cluster: {
      name: "tenants",
      endpoint,
      certificateAuthority: { data: Buffer.from("ca").toString("base64") },
    },
  });
});

function decodeToken(token: string): URL {
  expect(token.startsWith("k8s-aws-v1.")).toBe(true);
  const encoded = token.slice("k8s-aws-v1.".length);
  expect(encoded).not.toContain("=");
  return new URL(Buffer.from(encoded, "base64url").toString());
}

describe("eksToken", () => {
  it("is a presigned STS GetCallerIdentity URL that signs the cluster name header", async () => {
    // Act
    const token = await eksToken("tenants", {
      region: "eu-west-1",
      credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
      now: new Date("2026-11-22T10:00:00Z"),
    });

    // Assess
    const url = decodeToken(token);
    expect(url.host).toBe("sts.eu-west-1.amazonaws.com");
    expect(url.searchParams.get("Action")).toBe("GetCallerIdentity");
    expect(url.searchParams.get("Version")).toBe("2011-06-15");
    expect(url.searchParams.get("X-Amz-Algorithm")).toBe("AWS4-HMAC-SHA256");
    expect(url.searchParams.get("X-Amz-Credential")).toBe("AKIDEXAMPLE/20261122/eu-west-1/sts/aws4_request");
    expect(url.searchParams.get("X-Amz-Date")).toBe("20261122T100000Z");
    expect(url.searchParams.get("X-Amz-Expires")).toBe("60");
    expect(url.searchParams.get("X-Amz-SignedHeaders")).toBe("host;x-k8s-aws-id");
    expect(url.searchParams.get("X-Amz-Signature")).toMatch(/^[0-9a-f]{64}$/);
  });

  it("signs differently for another cluster", async () => {
    const options = {
      region: "us-east-1",
      credentials: { accessKeyId: "A", secretAccessKey: "S" },
      now: new Date(0),
    };
    expect(await eksToken("one", options)).not.toBe(await eksToken("two", options));
  });
});

describe("eksClusterAccess", () => {
  it("points at the cluster's endpoint with its CA and a bearer token", async () => {
    // Act
    const access = await eksClusterAccess("tenants");

    // Assess
    expect(eks.commandCalls(DescribeClusterCommand)[0]?.args[0].input).toEqual({ name: "tenants" });
    expect(access).toMatchObject({ server: endpoint, caData: Buffer.from("ca").toString("base64") });
    expect(access.token).toMatch(/^k8s-aws-v1\./);
  });

  it("reuses the token until shortly before it expires, then makes a new one", async () => {
    // Prepare
    let clock = Date.parse("2026-11-22T10:00:00Z");
    const now = () => clock;

    // Act
    const first = await eksClusterAccess("tenants", now);
    clock += TOKEN_LIFETIME_MS / 2;
    const second = await eksClusterAccess("tenants", now);
    clock += TOKEN_LIFETIME_MS / 2;
    const third = await eksClusterAccess("tenants", now);

    // Assess
    expect(second).toBe(first);
    expect(third).not.toBe(first);
    expect(eks.commandCalls(DescribeClusterCommand)).toHaveLength(2);
  });

  it("names a missing cluster", async () => {
    eks
      .on(DescribeClusterCommand)
      .rejects(Object.assign(new Error("No cluster found"), { name: "ResourceNotFoundException" }));
    await expect(eksClusterAccess("gone")).rejects.toBeInstanceOf(KubernetesClusterNotFoundError);
  });

  it("treats a cluster without an endpoint yet as transient", async () => {
    eks.on(DescribeClusterCommand).resolves({ cluster: { name: "new" } });
    await expect(eksClusterAccess("new")).rejects.toBeInstanceOf(TransientError);
  });
});

describe("kubernetesClient", () => {
  const namespace = {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: "acme", labels: { team: "a" } },
  };

  it("server-side applies with the cplane field manager, forced, as apply-patch+yaml, with the bearer token", async () => {
    // Prepare
    const client = await kubernetesClient("tenants");

    // Act
    await client.apply(namespace);

    // Assess
    const [request] = api.requests;
    expect(request?.method).toBe("PATCH");
    expect(request?.path).toBe("/api/v1/namespaces/acme");
    expect(request?.query.get("fieldManager")).toBe("cplane");
    expect(request?.query.get("force")).toBe("true");
    expect(request?.headers["content-type"]).toBe("application/apply-patch+yaml");
    expect(request?.headers.authorization).toMatch(/^Bearer k8s-aws-v1\./);
    expect(request?.body).toEqual(namespace);
  });

  it("finds the path of namespaced kinds without asking the API server", async () => {
    // Prepare
    const client = await kubernetesClient("tenants");

    // Act
    await client.apply({
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "default-deny", namespace: "acme" },
      spec: { podSelector: {} },
    });
    await client.apply({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "ops", namespace: "acme" },
      roleRef: { kind: "Role", name: "ops", apiGroup: "rbac.authorization.k8s.io" },
    });

    // Assess
    expect(api.requests.map((request) => request.path)).toEqual([
      "/apis/networking.k8s.io/v1/namespaces/acme/networkpolicies/default-deny",
      "/apis/rbac.authorization.k8s.io/v1/namespaces/acme/rolebindings/ops",
    ]);
  });

  it("sends the manifest exactly, fields the typed models rename included (LimitRange default)", async () => {
    // Prepare
    const client = await kubernetesClient("tenants");
    const limits = {
      apiVersion: "v1",
      kind: "LimitRange",
      metadata: { name: "limits", namespace: "acme" },
      spec: { limits: [{ type: "Container", default: { cpu: "1" }, defaultRequest: { cpu: "100m" } }] },
    };

    // Act
    await client.apply(limits);

    // Assess
    expect(api.requests[0]?.body).toEqual(limits);
  });

  it("reads an object, and says undefined when it is not there", async () => {
    const client = await kubernetesClient("tenants");
    expect(await client.read(namespace)).toBeUndefined();
    await client.apply(namespace);
    expect(await client.read(namespace)).toMatchObject({ metadata: { name: "acme" } });
  });

  it("deletes an object, and says false when it was already gone", async () => {
    const client = await kubernetesClient("tenants");
    await client.apply(namespace);
    expect(await client.delete(namespace)).toBe(true);
    expect(await client.delete(namespace)).toBe(false);
  });

  it("treats throttling and server errors as transient, other refusals as named request errors", async () => {
    const client = await kubernetesClient("tenants");
    api.failWith = 503;
    await expect(client.apply(namespace)).rejects.toBeInstanceOf(TransientError);
    api.failWith = 429;
    await expect(client.read(namespace)).rejects.toBeInstanceOf(TransientError);
    api.failWith = 403;
    await expect(client.delete(namespace)).rejects.toMatchObject({ name: "KubernetesRequestError" });
    await expect(client.apply(namespace)).rejects.toBeInstanceOf(KubernetesRequestError);
  });
});
