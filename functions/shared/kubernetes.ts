/**
 * Kubernetes clients for the EKS clusters the control plane manages. The endpoint and CA come from
 * `DescribeCluster`; the bearer token is what `aws eks get-token` makes: `k8s-aws-v1.` + base64url of a
 * presigned STS `GetCallerIdentity` URL whose signed `x-k8s-aws-id` header names the cluster. Tokens are
 * cached per cluster until shortly before they expire. Endpoints may be plain `http://` (the local
 * cloud's loopback Kubernetes API), so TLS is used when the endpoint says so, never forced.
 */
import { createHash, createHmac } from "node:crypto";
import { DescribeClusterCommand, EKSClient } from "@aws-sdk/client-eks";
import { STSClient } from "@aws-sdk/client-sts";
import {
  ApiException,
  HttpMethod,
  KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
  type V1APIResource,
} from "@kubernetes/client-node";
import { SignatureV4 } from "@smithy/signature-v4";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@smithy/types";
import { createAwsClient } from "./aws-clients.ts";
import { KubernetesClusterNotFoundError, KubernetesRequestError, TransientError } from "./errors.ts";

const eks = createAwsClient(EKSClient);
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

interface CachedAccess {
  readonly config: KubeConfig;
  readonly expiresAt: number;
}
const cache = new Map<string, CachedAccess>();

/** Forgets cached tokens (tests, or after the API server rejected one). */
export function clearKubernetesCache(): void {
  cache.clear();
}

/** A KubeConfig for an EKS cluster, token included; cached until shortly before the token expires. */
export async function eksKubeConfig(clusterName: string, now: () => number = Date.now): Promise<KubeConfig> {
  const cached = cache.get(clusterName);
  if (cached && cached.expiresAt - TOKEN_RENEW_MARGIN_MS > now()) return cached.config;
  const { cluster } = await eks.send(new DescribeClusterCommand({ name: clusterName })).catch((error) => {
    if (error instanceof Error && error.name === "ResourceNotFoundException") {
      throw new KubernetesClusterNotFoundError(`EKS cluster ${clusterName} does not exist`, { cause: error });
    }
    throw error;
  });
  if (!cluster?.endpoint) throw new TransientError(`EKS cluster ${clusterName} has no endpoint yet`);
  const issuedAt = now();
  const token = await eksToken(clusterName, {
    region: String(await sts.config.region()),
    credentials: sts.config.credentials,
    now: new Date(issuedAt),
  });
  const config = new KubeConfig();
  config.loadFromClusterAndUser(
    {
      name: clusterName,
      server: cluster.endpoint,
      caData: cluster.certificateAuthority?.data,
      // client-node refuses plain http unless told to skip TLS checks; there is no TLS to check then.
      skipTLSVerify: cluster.endpoint.startsWith("http://"),
    },
    { name: "cplane", token },
  );
  cache.set(clusterName, { config, expiresAt: issuedAt + TOKEN_LIFETIME_MS });
  return config;
}

/** The kinds the control plane manages, so no discovery round trip is needed (and none is trusted). */
const KNOWN_RESOURCES: Readonly<Record<string, Pick<V1APIResource, "name" | "namespaced">>> = {
  "v1/Namespace": { name: "namespaces", namespaced: false },
  "v1/ResourceQuota": { name: "resourcequotas", namespaced: true },
  "v1/LimitRange": { name: "limitranges", namespaced: true },
  "v1/ServiceAccount": { name: "serviceaccounts", namespaced: true },
  "networking.k8s.io/v1/NetworkPolicy": { name: "networkpolicies", namespaced: true },
  "networking.k8s.io/v1/Ingress": { name: "ingresses", namespaced: true },
  "rbac.authorization.k8s.io/v1/Role": { name: "roles", namespaced: true },
  "rbac.authorization.k8s.io/v1/RoleBinding": { name: "rolebindings", namespaced: true },
};

/**
 * KubernetesObjectApi that knows our kinds' paths itself (falling back to discovery for others) and
 * sends apply patches as the manifest's own JSON: the generic `patch` runs the body through the typed
 * model serializer, which drops fields whose model name differs from the wire name (`LimitRange`'s
 * `default` is `_default` in the model).
 */
class KnownKindsObjectApi extends KubernetesObjectApi {
  override async resource(apiVersion: string, kind: string): Promise<V1APIResource | undefined> {
    const known = KNOWN_RESOURCES[`${apiVersion}/${kind}`];
    if (known) return { ...known, kind, singularName: kind.toLowerCase(), verbs: [] };
    return super.resource(apiVersion, kind);
  }

  async serverSideApply(manifest: Manifest): Promise<KubernetesObject> {
    const path = await this.specUriPath(structuredClone(manifest), "patch");
    const request = this.configuration.baseServer.makeRequestContext(path, HttpMethod.PATCH);
    request.setHeaderParam("Accept", "application/json");
    request.setHeaderParam("Content-Type", PatchStrategy.ServerSideApply);
    request.setQueryParam("fieldManager", FIELD_MANAGER);
    request.setQueryParam("force", "true");
    request.setBody(JSON.stringify(manifest));
    return this.requestPromise(request);
  }
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
}

/** A client for an EKS cluster by name. */
export async function kubernetesClient(clusterName: string): Promise<KubernetesClient> {
  const config = await eksKubeConfig(clusterName);
  const api = config.makeApiClient(KnownKindsObjectApi);
  return {
    apply: (manifest) => api.serverSideApply(manifest).catch(rethrow(`apply ${describe(manifest)}`)),
    read: (ref) =>
      api.read(header(ref)).catch((error: unknown) => {
        if (statusOf(error) === 404) return undefined;
        return rethrow(`read ${describe(ref)}`)(error);
      }),
    delete: (ref) =>
      api.delete(header(ref), undefined, undefined, undefined, undefined, "Background").then(
        () => true,
        (error: unknown) => {
          if (statusOf(error) === 404) return false;
          return rethrow(`delete ${describe(ref)}`)(error);
        },
      ),
  };
}

function header(ref: ObjectRef) {
  return { apiVersion: ref.apiVersion, kind: ref.kind, metadata: { ...ref.metadata } };
}

function describe(object: { kind?: string; metadata?: { name?: string; namespace?: string } }): string {
  const where = object.metadata?.namespace ? `${object.metadata.namespace}/` : "";
  return `${object.kind ?? "object"} ${where}${object.metadata?.name ?? ""}`;
}

function statusOf(error: unknown): number | undefined {
  return error instanceof ApiException ? error.code : undefined;
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
