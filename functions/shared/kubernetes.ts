/**
 * Kubernetes clients for the EKS clusters the control plane manages. The endpoint and CA come from
 * `DescribeCluster`; the bearer token is what `aws eks get-token` makes: `k8s-aws-v1.` + base64url of a
 * presigned STS `GetCallerIdentity` URL whose signed `x-k8s-aws-id` header names the cluster. Tokens are
 * cached per cluster until shortly before they expire. Endpoints may be plain `http://` (the local
 * cloud's loopback Kubernetes API), so TLS is used when the endpoint says so, never forced.
 *
 * The API is spoken over `node:https` with the cluster's CA: four REST calls (server-side apply, read,
 * delete, discovery) do not need `@kubernetes/client-node`, which would put 2.9 MB (undici, ws, js-yaml,
 * its generated models) into each Lambda bundle that calls Kubernetes (bench/bundles.bench.ts).
 */
import { createHash, createHmac } from "node:crypto";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { DescribeClusterCommand, EKSClient } from "@aws-sdk/client-eks";
import { STSClient } from "@aws-sdk/client-sts";
import { SignatureV4 } from "@smithy/signature-v4";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@smithy/types";
import { createAwsClient, signingCredentials } from "./aws-clients.ts";
import { KubernetesClusterNotFoundError, KubernetesRequestError, TransientError } from "./errors.ts";

const eks = createAwsClient(EKSClient);
/** EKS clients for clusters in other regions than the function's own (a canary in the secondary region). */
const eksByRegion = new Map<string, EKSClient>();
function eksIn(region: string | undefined): EKSClient {
  if (region === undefined) return eks;
  let client = eksByRegion.get(region);
  if (!client) {
    client = createAwsClient(EKSClient, { region });
    eksByRegion.set(region, client);
  }
  return client;
}
const sts = createAwsClient(STSClient);

export const FIELD_MANAGER = "cplane";
/** EKS accepts a token for 15 minutes after it is signed; we renew well before. */
export const TOKEN_LIFETIME_MS = 14 * 60_000;
export const TOKEN_RENEW_MARGIN_MS = 2 * 60_000;

// Defined with the other errors (functions/errors.ts lists them without loading this module's clients).
export { KubernetesClusterNotFoundError, KubernetesRequestError };

/** SHA-256 for the signer, from node:crypto (the SDK's own hash packages are not direct dependencies). */
class Sha256 {
  readonly #hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.#hash =
      secret === undefined
        ? createHash("sha256")
        : createHmac("sha256", typeof secret === "string" ? secret : Buffer.from(secret as ArrayBuffer));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.#hash.update(typeof data === "string" ? data : Buffer.from(data as ArrayBuffer));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }
}

export interface TokenOptions {
  region: string;
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  now?: Date;
}

/** An EKS bearer token for `clusterName`, as `aws eks get-token` makes it. */
export async function eksToken(clusterName: string, options: TokenOptions): Promise<string> {
  const hostname = `sts.${options.region}.amazonaws.com`;
  const signer = new SignatureV4({
    service: "sts",
    region: options.region,
    credentials: options.credentials,
    sha256: Sha256,
  });
  const signed = await signer.presign(
    {
      method: "GET",
      protocol: "https:",
      hostname,
      path: "/",
      query: { Action: "GetCallerIdentity", Version: "2011-06-15" },
      headers: { host: hostname, "x-k8s-aws-id": clusterName },
    },
    { expiresIn: 60, signingDate: options.now },
  );
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(signed.query ?? {})) {
    for (const item of Array.isArray(value) ? value : [value]) if (item !== null) query.append(key, item);
  }
  const url = `https://${hostname}/?${query.toString()}`;
  return `k8s-aws-v1.${Buffer.from(url).toString("base64url")}`;
}

/** What a call to a cluster's API needs: its endpoint, the CA that signed it, a bearer token. */
export interface ClusterAccess {
  readonly server: string;
  /** Base64 PEM of the cluster's CA (DescribeCluster's `certificateAuthority.data`). */
  readonly caData: string | undefined;
  readonly token: string;
}

interface CachedAccess {
  readonly access: ClusterAccess;
  readonly expiresAt: number;
}
const cache = new Map<string, CachedAccess>();

/** Forgets cached tokens (tests, or after the API server rejected one). */
export function clearKubernetesCache(): void {
  cache.clear();
}

/** Endpoint, CA and token of an EKS cluster (in `region`, by default the function's own); cached until shortly before the token expires. */
export async function eksClusterAccess(
  clusterName: string,
  now: () => number = Date.now,
  region?: string,
): Promise<ClusterAccess> {
  // Per region, cluster and identity: locally every function shares this module but signs as its own role.
  const credentials = await signingCredentials(sts);
  const cacheKey = `${region ?? ""}/${clusterName}\n${credentials.accessKeyId}`;
  const cached = cache.get(cacheKey);
  if (cached && cached.expiresAt - TOKEN_RENEW_MARGIN_MS > now()) return cached.access;
  const { cluster } = await eksIn(region)
    .send(new DescribeClusterCommand({ name: clusterName }))
    .catch((error) => {
      if (error instanceof Error && error.name === "ResourceNotFoundException") {
        throw new KubernetesClusterNotFoundError(`EKS cluster ${clusterName} does not exist`, {
          cause: error,
        });
      }
      throw error;
    });
  if (!cluster?.endpoint) throw new TransientError(`EKS cluster ${clusterName} has no endpoint yet`);
  const issuedAt = now();
  const token = await eksToken(clusterName, {
    region: String(await sts.config.region()),
    credentials,
    now: new Date(issuedAt),
  });
  const access = { server: cluster.endpoint, caData: cluster.certificateAuthority?.data, token };
  cache.set(cacheKey, { access, expiresAt: issuedAt + TOKEN_LIFETIME_MS });
  return access;
}

/** A Kubernetes object as the API server returns it: its kind and metadata (the rest is per kind). */
export interface KubernetesObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: { [key: string]: string };
    annotations?: { [key: string]: string };
  };
}

/** A manifest as applied: a Kubernetes object with whatever fields its kind has. */
export type Manifest = KubernetesObject & { readonly [field: string]: unknown };

export interface ObjectRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string };
}

export interface KubernetesClient {
  /** Server-side apply (fieldManager `cplane`, force): creates or updates to exactly this manifest. */
  apply(manifest: Manifest): Promise<KubernetesObject>;
  /** The object, or undefined when it does not exist. */
  read(ref: ObjectRef): Promise<KubernetesObject | undefined>;
  /** Deletes the object; true when it was there. */
  delete(ref: ObjectRef): Promise<boolean>;
  /**
   * The objects of a kind in a namespace (none when the namespace does not exist); without a namespace,
   * in every namespace (or the cluster's, for a kind that has none), in one request.
   */
  list(apiVersion: string, kind: string, namespace?: string): Promise<KubernetesObject[]>;
}

/** An answer of the API server other than 2xx. */
class KubernetesStatusError extends Error {
  override name = "KubernetesStatusError";
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.code = code;
  }
}

interface ApiResource {
  readonly name: string;
  readonly namespaced: boolean;
}

/** The kinds the control plane manages, so no discovery round trip is needed (and none is trusted). */
const KNOWN_RESOURCES: Readonly<Record<string, ApiResource>> = {
  "v1/Namespace": { name: "namespaces", namespaced: false },
  "v1/ResourceQuota": { name: "resourcequotas", namespaced: true },
  "v1/LimitRange": { name: "limitranges", namespaced: true },
  "v1/ServiceAccount": { name: "serviceaccounts", namespaced: true },
  "networking.k8s.io/v1/NetworkPolicy": { name: "networkpolicies", namespaced: true },
  "networking.k8s.io/v1/Ingress": { name: "ingresses", namespaced: true },
  "rbac.authorization.k8s.io/v1/Role": { name: "roles", namespaced: true },
  "rbac.authorization.k8s.io/v1/RoleBinding": { name: "rolebindings", namespaced: true },
  "apps/v1/Deployment": { name: "deployments", namespaced: true },
  "networking.istio.io/v1/VirtualService": { name: "virtualservices", namespaced: true },
  "networking.istio.io/v1/DestinationRule": { name: "destinationrules", namespaced: true },
};

/** One REST call; a status other than 2xx is thrown as KubernetesStatusError. */
function call(
  access: ClusterAccess,
  method: string,
  path: string,
  options: { query?: Record<string, string>; body?: string; contentType?: string } = {},
): Promise<unknown> {
  const url = new URL(path, access.server);
  for (const [key, value] of Object.entries(options.query ?? {})) url.searchParams.set(key, value);
  const tls = url.protocol === "https:";
  const headers: Record<string, string> = {
    Accept: "application/json",
    Authorization: `Bearer ${access.token}`,
  };
  if (options.body !== undefined) {
    headers["Content-Type"] = options.contentType ?? "application/json";
    headers["Content-Length"] = String(Buffer.byteLength(options.body));
  }
  return new Promise((resolve, reject) => {
    const send = tls ? httpsRequest : httpRequest;
    const request = send(
      url,
      {
        method,
        headers,
        ...(tls && access.caData ? { ca: Buffer.from(access.caData, "base64") } : {}),
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("error", reject);
        response.on("end", () => {
          const text = Buffer.concat(chunks).toString();
          const status = response.statusCode ?? 0;
          if (status < 200 || status >= 300) {
            reject(new KubernetesStatusError(status, `${method} ${url.pathname}: HTTP ${status}`));
            return;
          }
          try {
            resolve(text ? JSON.parse(text) : undefined);
          } catch (error) {
            reject(error);
          }
        });
      },
    );
    request.on("error", reject);
    request.end(options.body);
  });
}

/** Where a kind lives: known kinds without a round trip, others from the API server's discovery. */
async function resourceOf(access: ClusterAccess, apiVersion: string, kind: string): Promise<ApiResource> {
  const known = KNOWN_RESOURCES[`${apiVersion}/${kind}`];
  if (known) return known;
  const list = (await call(access, "GET", groupPath(apiVersion))) as {
    resources?: { name: string; kind: string; namespaced: boolean }[];
  };
  const found = list?.resources?.find((r) => r.kind === kind && !r.name.includes("/"));
  if (!found) throw new KubernetesRequestError(`the API server serves no ${kind} in ${apiVersion}`);
  return { name: found.name, namespaced: found.namespaced };
}

function groupPath(apiVersion: string): string {
  return apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

async function objectPath(access: ClusterAccess, object: KubernetesObject): Promise<string> {
  const { apiVersion, kind, metadata } = object;
  if (!apiVersion || !kind || !metadata?.name)
    throw new KubernetesRequestError("a Kubernetes object needs apiVersion, kind and metadata.name");
  const resource = await resourceOf(access, apiVersion, kind);
  // As client-node: a namespaced object without a namespace is in `default`.
  const namespace = resource.namespaced
    ? `/namespaces/${encodeURIComponent(metadata.namespace ?? "default")}`
    : "";
  return `${groupPath(apiVersion)}${namespace}/${resource.name}/${encodeURIComponent(metadata.name)}`;
}

/** A client for an EKS cluster by name (in `region`, by default the function's own). */
export async function kubernetesClient(clusterName: string, region?: string): Promise<KubernetesClient> {
  const access = await eksClusterAccess(clusterName, Date.now, region);
  return {
    apply: async (manifest) =>
      (await call(access, "PATCH", await objectPath(access, manifest), {
        query: { fieldManager: FIELD_MANAGER, force: "true" },
        // JSON is YAML: the manifest goes as it is, every field under its wire name.
        contentType: "application/apply-patch+yaml",
        body: JSON.stringify(manifest),
      }).catch(rethrow(`apply ${describe(manifest)}`))) as KubernetesObject,
    read: async (ref) =>
      (await call(access, "GET", await objectPath(access, ref)).catch((error: unknown) => {
        if (statusOf(error) === 404) return undefined;
        return rethrow(`read ${describe(ref)}`)(error);
      })) as KubernetesObject | undefined,
    delete: async (ref) =>
      call(access, "DELETE", await objectPath(access, ref), {
        query: { propagationPolicy: "Background" },
      }).then(
        () => true,
        (error: unknown) => {
          if (statusOf(error) === 404) return false;
          return rethrow(`delete ${describe(ref)}`)(error);
        },
      ),
    list: async (apiVersion, kind, namespace) => {
      const resource = await resourceOf(access, apiVersion, kind);
      const scope =
        resource.namespaced && namespace !== undefined ? `/namespaces/${encodeURIComponent(namespace)}` : "";
      const path = `${groupPath(apiVersion)}${scope}/${resource.name}`;
      const answer = (await call(access, "GET", path).catch((error: unknown) => {
        if (statusOf(error) === 404) return { items: [] };
        return rethrow(`list ${kind} in ${namespace ?? "every namespace"}`)(error);
      })) as { items?: KubernetesObject[] } | undefined;
      return (answer?.items ?? []).map((item) => ({ apiVersion, kind, ...item }));
    },
  };
}

function describe(object: { kind?: string; metadata?: { name?: string; namespace?: string } }): string {
  const where = object.metadata?.namespace ? `${object.metadata.namespace}/` : "";
  return `${object.kind ?? "object"} ${where}${object.metadata?.name ?? ""}`;
}

function statusOf(error: unknown): number | undefined {
  return error instanceof KubernetesStatusError ? error.code : undefined;
}

/** 429, 409 and 5xx (and network failures) are worth retrying; other refusals are not. */
function rethrow(action: string) {
  return (error: unknown): never => {
    const status = statusOf(error);
    if (status !== undefined && status >= 400 && status < 500 && status !== 429 && status !== 409) {
      throw new KubernetesRequestError(`Kubernetes refused to ${action} (HTTP ${status})`, { cause: error });
    }
    throw new TransientError(`Kubernetes could not ${action}: ${String(status ?? error)}`, { cause: error });
  };
}
