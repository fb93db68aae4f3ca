/**
 * A Kubernetes API server on 127.0.0.1 (one per emulated EKS cluster), enough of it for
 * `@kubernetes/client-node`: discovery, get/list/create/replace/delete, JSON merge patch (strategic
 * merge is treated as merge), JSON patch, server-side apply (JSON body, fieldManager, force,
 * conflicts between appliers), resourceVersion and optimistic concurrency, Status objects, namespaces
 * that terminate and take their objects with them, Deployments whose status follows a rollout on the
 * clock. It speaks HTTPS (see tls.ts). Every request needs `Authorization: Bearer k8s-aws-v1.<anything>` (an EKS token); none: 401.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Server } from "node:https";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { type JsonText, plainJsonText, SavedText } from "./changes.ts";
import type { CloudContext, Json } from "./context.ts";
import { LOCAL_CA_PEM, SERVER_CERT_PEM, SERVER_KEY_PEM } from "./tls.ts";

export interface KindInfo {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  shortNames?: string[];
}

export const KINDS: KindInfo[] = [
  {
    group: "",
    version: "v1",
    kind: "Namespace",
    plural: "namespaces",
    namespaced: false,
    shortNames: ["ns"],
  },
  {
    group: "",
    version: "v1",
    kind: "ResourceQuota",
    plural: "resourcequotas",
    namespaced: true,
    shortNames: ["quota"],
  },
  {
    group: "",
    version: "v1",
    kind: "LimitRange",
    plural: "limitranges",
    namespaced: true,
    shortNames: ["limits"],
  },
  {
    group: "",
    version: "v1",
    kind: "ServiceAccount",
    plural: "serviceaccounts",
    namespaced: true,
    shortNames: ["sa"],
  },
  { group: "", version: "v1", kind: "Service", plural: "services", namespaced: true, shortNames: ["svc"] },
  { group: "", version: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true, shortNames: ["cm"] },
  { group: "", version: "v1", kind: "Secret", plural: "secrets", namespaced: true },
  {
    group: "networking.k8s.io",
    version: "v1",
    kind: "NetworkPolicy",
    plural: "networkpolicies",
    namespaced: true,
    shortNames: ["netpol"],
  },
  {
    group: "networking.k8s.io",
    version: "v1",
    kind: "Ingress",
    plural: "ingresses",
    namespaced: true,
    shortNames: ["ing"],
  },
  { group: "rbac.authorization.k8s.io", version: "v1", kind: "Role", plural: "roles", namespaced: true },
  {
    group: "rbac.authorization.k8s.io",
    version: "v1",
    kind: "RoleBinding",
    plural: "rolebindings",
    namespaced: true,
  },
  {
    group: "rbac.authorization.k8s.io",
    version: "v1",
    kind: "ClusterRole",
    plural: "clusterroles",
    namespaced: false,
  },
  {
    group: "rbac.authorization.k8s.io",
    version: "v1",
    kind: "ClusterRoleBinding",
    plural: "clusterrolebindings",
    namespaced: false,
  },
  {
    group: "apps",
    version: "v1",
    kind: "Deployment",
    plural: "deployments",
    namespaced: true,
    shortNames: ["deploy"],
  },
  {
    group: "networking.istio.io",
    version: "v1",
    kind: "VirtualService",
    plural: "virtualservices",
    namespaced: true,
    shortNames: ["vs"],
  },
  {
    group: "networking.istio.io",
    version: "v1",
    kind: "DestinationRule",
    plural: "destinationrules",
    namespaced: true,
    shortNames: ["dr"],
  },
  {
    group: "networking.istio.io",
    version: "v1beta1",
    kind: "VirtualService",
    plural: "virtualservices",
    namespaced: true,
  },
  {
    group: "networking.istio.io",
    version: "v1beta1",
    kind: "DestinationRule",
    plural: "destinationrules",
    namespaced: true,
  },
];

const VERBS = ["create", "delete", "get", "list", "patch", "update"];

export type KObject = {
  apiVersion?: string;
  kind?: string;
  metadata?: Record<string, unknown> & { name?: string; namespace?: string; resourceVersion?: string };
  [key: string]: unknown;
};

class HttpError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly details: Record<string, unknown>;
  constructor(code: number, reason: string, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.details = details;
  }
}

interface Route {
  info: KindInfo;
  namespace?: string;
  name?: string;
  subresource?: string;
}

interface Stored {
  info: KindInfo;
  object: KObject;
  /** Server-side apply: the leaf paths each apply manager set. */
  applied: Record<string, string[]>;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else
      Object.defineProperty(out, key, {
        value: mergePatch(out[key], value),
        enumerable: true,
        writable: true,
        configurable: true,
      });
  }
  return out;
}

function leafPaths(value: unknown, prefix = ""): string[] {
  if (!isObject(value)) return [prefix];
  const out: string[] = [];
  for (const [key, v] of Object.entries(value)) out.push(...leafPaths(v, prefix ? `${prefix}.${key}` : key));
  return out;
}

function at(value: unknown, path: string): unknown {
  let node = value;
  for (const part of path.split(".")) node = isObject(node) ? node[part] : undefined;
  return node;
}

/** RFC 6902 JSON patch (add, remove, replace, test, copy, move). */
function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw new HttpError(400, "BadRequest", "json patch must be an array");
  const doc = structuredClone(target);
  const parse = (pointer: string) =>
    pointer
      .split("/")
      .slice(1)
      .map((p) => p.replaceAll("~1", "/").replaceAll("~0", "~"));
  const parent = (path: string[]): [Record<string, unknown> | unknown[], string] => {
    let node: unknown = doc;
    for (const part of path.slice(0, -1)) node = (node as Record<string, unknown>)[part];
    if (!isObject(node) && !Array.isArray(node)) throw new HttpError(422, "Invalid", `path not found`);
    return [node, path[path.length - 1] ?? ""];
  };
  for (const op of ops as { op: string; path: string; value?: unknown; from?: string }[]) {
    const [node, key] = parent(parse(op.path));
    const set = (v: unknown) => {
      if (Array.isArray(node)) {
        if (key === "-") node.push(v);
        else if (op.op === "add") node.splice(Number(key), 0, v);
        else node[Number(key)] = v;
      } else node[key] = v;
    };
    if (op.op === "add" || op.op === "replace") set(structuredClone(op.value));
    else if (op.op === "remove") {
      if (Array.isArray(node)) node.splice(Number(key), 1);
      else delete node[key];
    } else if (op.op === "test") {
      const current = Array.isArray(node) ? node[Number(key)] : node[key];
      if (JSON.stringify(current) !== JSON.stringify(op.value))
        throw new HttpError(422, "Invalid", `test failed at ${op.path}`);
    } else if (op.op === "copy" || op.op === "move") {
      const [fromNode, fromKey] = parent(parse(op.from ?? ""));
      const value = Array.isArray(fromNode) ? fromNode[Number(fromKey)] : fromNode[fromKey];
      if (op.op === "move") {
        if (Array.isArray(fromNode)) fromNode.splice(Number(fromKey), 1);
        else delete fromNode[fromKey];
      }
      set(structuredClone(value));
    }
  }
  return doc;
}

function matchLabels(object: KObject, selector: string | null): boolean {
  if (!selector) return true;
  const labels = (object.metadata?.labels ?? {}) as Record<string, string>;
  return selector.split(",").every((term) => {
    const t = term.trim();
    if (!t) return true;
    const neq = t.match(/^([^!=]+)!=(.*)$/);
    if (neq) return labels[neq[1]?.trim() ?? ""] !== neq[2]?.trim();
    const eq = t.match(/^([^=]+)==?(.*)$/);
    if (eq) return labels[eq[1]?.trim() ?? ""] === eq[2]?.trim();
    const inSet = t.match(/^(\S+)\s+in\s+\((.*)\)$/);
    if (inSet)
      return (inSet[2] ?? "")
        .split(",")
        .map((s) => s.trim())
        .includes(labels[inSet[1] ?? ""] ?? "\u0000");
    if (t.startsWith("!")) return !(t.slice(1) in labels);
    return t in labels;
  });
}

export interface KubernetesClusterOptions {
  ctx: CloudContext;
  /** Cluster name, for messages and job arguments. */
  name: string;
  /** Jobs are namespaced by this key (the EKS cluster ARN). */
  key: string;
  /** Kubernetes minor version reported by /version. */
  version: string;
  /** Whether new pods of a rollout using this image fail (a broken release). */
  isBrokenImage?: (image: string) => boolean;
}

/** One cluster's API server and object store. */
export class KubernetesCluster {
  private readonly ctx: CloudContext;
  readonly name: string;
  readonly key: string;
  private readonly version: string;
  private server: Server | undefined;
  private store = new Map<string, Stored>();
  private revision = 1;
  /**
   * Writes to the store (every path that changes it counts one: `changed()`), so that a save serializes
   * the objects again only after one; `resourceVersion` alone would miss a delete.
   */
  private writes = 0;
  private readonly saved = new SavedText();
  endpoint = "";
  private readonly isBrokenImage: (image: string) => boolean;
  /** Requests served (for the report and tests). */
  requests = 0;

  constructor(options: KubernetesClusterOptions) {
    this.ctx = options.ctx;
    this.name = options.name;
    this.key = options.key;
    this.version = options.version;
    this.isBrokenImage = options.isBrokenImage ?? (() => false);
  }

  async start(port = 0): Promise<string> {
    if (this.server) return this.endpoint;
    const server = createServer({ key: SERVER_KEY_PEM, cert: SERVER_CERT_PEM }, (req, res) => {
      void this.handle(req, res);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    }).catch(async (error: unknown) => {
      if (port === 0) throw error;
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    });
    this.server = server;
    const { port: bound } = server.address() as AddressInfo;
    this.endpoint = `https://127.0.0.1:${bound}`;
    return this.endpoint;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  // ------------------------------------------------------------- store API (also used in-process)

  private keyOf(info: KindInfo, namespace: string | undefined, name: string): string {
    return `${info.group}/${info.plural}/${info.namespaced ? (namespace ?? "") : ""}/${name}`;
  }

  /** Objects of a kind (all versions of a group/plural share storage), optionally in one namespace. */
  list(kind: string, namespace?: string): KObject[] {
    return [...this.store.values()]
      .filter(
        (s) =>
          s.info.kind === kind && (namespace === undefined || s.object.metadata?.namespace === namespace),
      )
      .map((s) => structuredClone(s.object));
  }

  get(kind: string, namespace: string | undefined, name: string): KObject | undefined {
    const info = KINDS.find((k) => k.kind === kind);
    if (!info) return undefined;
    const found = this.store.get(this.keyOf(info, namespace, name));
    return found ? structuredClone(found.object) : undefined;
  }

  /** Server-side apply from in process (the demo fleet): same semantics as the HTTP API. */
  apply(object: KObject, fieldManager = "cplane-local"): KObject {
    const [group, version] = (object.apiVersion ?? "").includes("/")
      ? (object.apiVersion ?? "").split("/")
      : ["", object.apiVersion];
    const info = KINDS.find((k) => k.group === group && k.version === version && k.kind === object.kind);
    if (!info) throw new Error(`the local Kubernetes API does not serve ${object.apiVersion} ${object.kind}`);
    const name = encodeURIComponent(object.metadata?.name ?? "");
    const base = info.group ? `/apis/${info.group}/${info.version}` : "/api/v1";
    const path = info.namespaced
      ? `${base}/namespaces/${object.metadata?.namespace ?? "default"}/${info.plural}/${name}`
      : `${base}/${info.plural}/${name}`;
    const url = new URL(
      `http://localhost${path}?fieldManager=${encodeURIComponent(fieldManager)}&force=true`,
    );
    return this.route("PATCH", url, "application/apply-patch+yaml", JSON.stringify(object)).body as KObject;
  }

  /** Number of objects stored. */
  size(): number {
    return this.store.size;
  }

  private nextVersion(): string {
    return String(++this.revision);
  }

  private status(code: number, reason: string, message: string, details: Record<string, unknown> = {}) {
    return {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message,
      reason,
      details,
      code,
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests++;
    // A read changes nothing the heartbeat would show (ticker.ts); and a request over the loopback
    // carries no mark of the work that made it, so the DR upkeep's reads would count as someone's use.
    if (req.method !== "GET") this.ctx.activity();
    const send = (code: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(code, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
      res.end(text);
    };
    try {
      const auth = req.headers.authorization ?? "";
      if (!auth.startsWith("Bearer k8s-aws-v1.")) {
        send(401, this.status(401, "Unauthorized", "Unauthorized"));
        return;
      }
      if (this.downRegion()) {
        req.socket.destroy();
        return;
      }
      const url = new URL(req.url ?? "/", "http://localhost");
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const raw = Buffer.concat(chunks).toString("utf8");
      const denial = this.authorize(auth.slice("Bearer ".length), {
        method: req.method ?? "GET",
        path: url.pathname,
      });
      if (denial) {
        send(denial.code, this.status(denial.code, denial.reason, denial.message));
        return;
      }
      const result = await this.ctx.track(
        Promise.resolve().then(() =>
          this.route(req.method ?? "GET", url, req.headers["content-type"] ?? "", raw),
        ),
      );
      send(result.code, result.body);
    } catch (error) {
      if (error instanceof HttpError)
        send(error.code, this.status(error.code, error.reason, error.message, error.details));
      else send(500, this.status(500, "InternalError", String(error)));
    }
  }

  /**
   * Set by EKS: whether the bearer token's principal may make the request (undefined) or the Status to
   * answer instead. By default any EKS token may do anything, as when local IAM is off.
   */
  authorize: (
    token: string,
    request: { method: string; path: string },
  ) => { code: number; reason: string; message: string } | undefined = () => undefined;

  /** Set by EKS: whether this cluster's region is down (its API server stops answering). */
  downRegion: () => boolean = () => false;

  private discovery(path: string): unknown {
    if (path === "/version") {
      return {
        major: "1",
        minor: this.version.split(".")[1] ?? "31",
        gitVersion: `v${this.version}.0-eks-local`,
        platform: "linux/amd64",
      };
    }
    if (path === "/api") {
      return {
        kind: "APIVersions",
        versions: ["v1"],
        serverAddressByClientCIDRs: [
          { clientCIDR: "0.0.0.0/0", serverAddress: this.endpoint.replace("https://", "") },
        ],
      };
    }
    if (path === "/apis") {
      const groups = new Map<string, string[]>();
      for (const k of KINDS) {
        if (!k.group) continue;
        const versions = groups.get(k.group) ?? [];
        if (!versions.includes(k.version)) versions.push(k.version);
        groups.set(k.group, versions);
      }
      return {
        kind: "APIGroupList",
        apiVersion: "v1",
        groups: [...groups].map(([name, versions]) => ({
          name,
          versions: versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v })),
          preferredVersion: { groupVersion: `${name}/${versions[0]}`, version: versions[0] },
        })),
      };
    }
    const core = path === "/api/v1";
    const group = path.match(/^\/apis\/([^/]+)\/([^/]+)$/);
    if (core || group) {
      const [g, v] = core ? ["", "v1"] : [group?.[1] ?? "", group?.[2] ?? ""];
      const kinds = KINDS.filter((k) => k.group === g && k.version === v);
      if (kinds.length === 0)
        throw new HttpError(404, "NotFound", "the server could not find the requested resource");
      const resources: unknown[] = [];
      for (const k of kinds) {
        resources.push({
          name: k.plural,
          singularName: k.kind.toLowerCase(),
          namespaced: k.namespaced,
          kind: k.kind,
          verbs: VERBS,
          shortNames: k.shortNames,
        });
        if (k.kind === "Deployment" || k.kind === "Namespace") {
          resources.push({
            name: `${k.plural}/status`,
            singularName: "",
            namespaced: k.namespaced,
            kind: k.kind,
            verbs: ["get", "patch", "update"],
          });
        }
      }
      return {
        kind: "APIResourceList",
        apiVersion: "v1",
        groupVersion: core ? "v1" : `${g}/${v}`,
        resources,
      };
    }
    const groupOnly = path.match(/^\/apis\/([^/]+)$/);
    if (groupOnly) {
      const versions = [...new Set(KINDS.filter((k) => k.group === groupOnly[1]).map((k) => k.version))];
      if (versions.length === 0)
        throw new HttpError(404, "NotFound", "the server could not find the requested resource");
      return {
        kind: "APIGroup",
        apiVersion: "v1",
        name: groupOnly[1],
        versions: versions.map((v) => ({ groupVersion: `${groupOnly[1]}/${v}`, version: v })),
        preferredVersion: { groupVersion: `${groupOnly[1]}/${versions[0]}`, version: versions[0] },
      };
    }
    return undefined;
  }

  private parse(path: string): Route | undefined {
    const core = path.match(/^\/api\/v1\/(.+)$/);
    const named = path.match(/^\/apis\/([^/]+)\/([^/]+)\/(.+)$/);
    if (!core && !named) return undefined;
    const group = core ? "" : (named?.[1] ?? "");
    const version = core ? "v1" : (named?.[2] ?? "");
    const segs = (core ? (core[1] ?? "") : (named?.[3] ?? ""))
      .split("/")
      .filter(Boolean)
      .map(decodeURIComponent);
    const find = (plural: string | undefined, namespaced: boolean) =>
      KINDS.find(
        (k) =>
          k.group === group && k.version === version && k.plural === plural && k.namespaced === namespaced,
      );
    if (segs[0] === "namespaces" && segs.length >= 3) {
      const info = find(segs[2], true);
      if (info) return { info, namespace: segs[1], name: segs[3], subresource: segs[4] };
    }
    const info = find(segs[0], false) ?? find(segs[0], true);
    if (!info) throw new HttpError(404, "NotFound", `the server could not find the requested resource`);
    return { info, name: segs[1], subresource: segs[2] };
  }

  private route(method: string, url: URL, contentType: string, raw: string): { code: number; body: unknown } {
    // Counted before the write and whether or not it succeeds: a failed write may have changed part.
    if (method !== "GET") this.changed();
    // Answered synchronously: by the time a checkpoint reads the store, the write is in it.
    if (method !== "GET" && method !== "HEAD") this.ctx.changed?.();
    const path = url.pathname.replace(/\/$/, "");
    if (method === "GET") {
      const found = this.discovery(path);
      if (found) return { code: 200, body: found };
    }
    const route = this.parse(path);
    if (!route) throw new HttpError(404, "NotFound", "the server could not find the requested resource");
    const body = raw ? this.parseBody(raw) : undefined;
    const { info } = route;
    const apiVersion = info.group ? `${info.group}/${info.version}` : info.version;
    if (url.searchParams.get("watch") === "true" || url.searchParams.get("watch") === "1") {
      throw new HttpError(405, "MethodNotAllowed", "watch is not supported by the local Kubernetes API");
    }
    if (!route.name) {
      if (method === "GET") {
        const selector = url.searchParams.get("labelSelector");
        const field = url.searchParams.get("fieldSelector");
        const items = [...this.store.values()]
          .filter((s) => s.info.group === info.group && s.info.plural === info.plural)
          .filter((s) => !route.namespace || s.object.metadata?.namespace === route.namespace)
          .map((s) => ({ ...structuredClone(s.object), apiVersion, kind: info.kind }))
          .filter((o) => matchLabels(o, selector))
          .filter((o) => {
            const m = field?.match(/^metadata\.(name|namespace)=(.*)$/);
            return !m || o.metadata?.[m[1] ?? ""] === m[2];
          });
        return {
          code: 200,
          body: {
            kind: `${info.kind}List`,
            apiVersion,
            metadata: { resourceVersion: String(this.revision) },
            items,
          },
        };
      }
      if (method === "POST") return { code: 201, body: this.create(route, this.requireBody(body)) };
      if (method === "DELETE")
        throw new HttpError(405, "MethodNotAllowed", "deletecollection is not supported");
      throw new HttpError(405, "MethodNotAllowed", `${method} is not allowed here`);
    }
    const key = this.keyOf(info, route.namespace, route.name);
    const stored = this.store.get(key);
    const notFound = () =>
      new HttpError(
        404,
        "NotFound",
        `${info.plural}${info.group ? `.${info.group}` : ""} "${route.name}" not found`,
        { name: route.name, group: info.group, kind: info.plural },
      );
    if (method === "GET") {
      if (!stored) throw notFound();
      return { code: 200, body: { ...structuredClone(stored.object), apiVersion, kind: info.kind } };
    }
    if (method === "PUT") {
      if (!stored) throw notFound();
      const next = this.requireBody(body);
      const rv = next.metadata?.resourceVersion;
      if (rv && rv !== stored.object.metadata?.resourceVersion) {
        throw new HttpError(
          409,
          "Conflict",
          `Operation cannot be fulfilled on ${info.plural} "${route.name}": the object has been modified; please apply your changes to the latest version and try again`,
          { name: route.name, kind: info.plural },
        );
      }
      const replaced =
        route.subresource === "status"
          ? { ...stored.object, status: next.status }
          : { ...next, status: next.status ?? stored.object.status };
      return { code: 200, body: this.write(stored, replaced, route) };
    }
    if (method === "PATCH") {
      const apply = contentType.startsWith("application/apply-patch");
      if (apply) {
        const manager = url.searchParams.get("fieldManager");
        if (!manager) throw new HttpError(400, "BadRequest", "PATCH /apply requires fieldManager");
        const force = url.searchParams.get("force") === "true";
        const patch = this.requireBody(body);
        if (!stored) {
          const created = this.create(route, patch);
          const fresh = this.store.get(key);
          if (fresh) fresh.applied[manager] = leafPaths(this.userFields(patch));
          return { code: 201, body: created };
        }
        const paths = leafPaths(this.userFields(patch));
        const conflicts: { manager: string; path: string }[] = [];
        for (const [other, owned] of Object.entries(stored.applied)) {
          if (other === manager) continue;
          for (const p of paths) {
            if (owned.includes(p) && JSON.stringify(at(stored.object, p)) !== JSON.stringify(at(patch, p)))
              conflicts.push({ manager: other, path: p });
          }
        }
        if (conflicts.length > 0 && !force) {
          throw new HttpError(
            409,
            "Conflict",
            `Apply failed with ${conflicts.length} conflict${conflicts.length > 1 ? "s" : ""}: ${conflicts.map((c) => `conflict with "${c.manager}": .${c.path}`).join("; ")}`,
            {
              name: route.name,
              kind: info.plural,
              causes: conflicts.map((c) => ({
                reason: "FieldManagerConflict",
                message: `conflict with "${c.manager}"`,
                field: `.${c.path}`,
              })),
            },
          );
        }
        for (const c of conflicts) {
          const owned = stored.applied[c.manager];
          if (owned) stored.applied[c.manager] = owned.filter((p) => p !== c.path);
        }
        const previous = stored.applied[manager] ?? [];
        let merged = mergePatch(stored.object, this.userFields(patch)) as KObject;
        // Fields this manager applied before and no longer applies are removed unless another owns them.
        for (const p of previous) {
          if (
            paths.includes(p) ||
            Object.entries(stored.applied).some(([m, owned]) => m !== manager && owned.includes(p))
          )
            continue;
          merged = mergePatch(
            merged,
            p.split(".").reduceRight<unknown>((acc, part) => ({ [part]: acc }), null),
          ) as KObject;
        }
        stored.applied[manager] = paths;
        return { code: 200, body: this.write(stored, merged, route) };
      }
      if (!stored) throw notFound();
      const patch = body;
      const next = contentType.startsWith("application/json-patch")
        ? jsonPatch(stored.object, patch)
        : mergePatch(stored.object, patch);
      const rv = (patch as KObject | undefined)?.metadata?.resourceVersion;
      if (
        rv &&
        !contentType.startsWith("application/json-patch") &&
        rv !== stored.object.metadata?.resourceVersion
      ) {
        throw new HttpError(
          409,
          "Conflict",
          `Operation cannot be fulfilled on ${info.plural} "${route.name}": the object has been modified; please apply your changes to the latest version and try again`,
        );
      }
      return { code: 200, body: this.write(stored, next as KObject, route) };
    }
    if (method === "DELETE") {
      if (!stored) throw notFound();
      if (info.kind === "Namespace") {
        const meta = stored.object.metadata ?? {};
        if (!meta.deletionTimestamp) {
          meta.deletionTimestamp = new Date(this.ctx.clock.now()).toISOString().replace(/\.\d{3}Z$/, "Z");
          meta.resourceVersion = this.nextVersion();
          stored.object.status = { phase: "Terminating" };
          this.ctx.jobs.schedule("k8s.namespace.gone", this.ctx.durations.namespaceTermination, {
            key: this.key,
            name: route.name,
          });
        }
        return { code: 200, body: { ...structuredClone(stored.object), apiVersion, kind: info.kind } };
      }
      this.store.delete(key);
      return {
        code: 200,
        body: {
          kind: "Status",
          apiVersion: "v1",
          metadata: {},
          status: "Success",
          details: {
            name: route.name,
            group: info.group,
            kind: info.plural,
            uid: stored.object.metadata?.uid,
          },
        },
      };
    }
    throw new HttpError(405, "MethodNotAllowed", `${method} is not allowed`);
  }

  private userFields(object: KObject): KObject {
    const { apiVersion: _a, kind: _k, status: _s, ...rest } = object;
    const metadata = { ...(object.metadata ?? {}) };
    for (const k of [
      "resourceVersion",
      "uid",
      "creationTimestamp",
      "generation",
      "managedFields",
      "name",
      "namespace",
    ])
      delete metadata[k];
    return { ...rest, metadata };
  }

  private parseBody(raw: string): unknown {
    try {
      return JSON.parse(raw);
    } catch {
      throw new HttpError(
        400,
        "BadRequest",
        "the local Kubernetes API accepts JSON bodies only (apply patches too)",
      );
    }
  }

  private requireBody(body: unknown): KObject {
    if (!isObject(body)) throw new HttpError(400, "BadRequest", "the request body must be a JSON object");
    return body as KObject;
  }

  private create(route: Route, object: KObject): KObject {
    this.changed();
    const { info } = route;
    const name =
      object.metadata?.name ??
      (typeof object.metadata?.generateName === "string"
        ? `${object.metadata.generateName}${randomUUID().slice(0, 5)}`
        : undefined);
    if (!name)
      throw new HttpError(
        422,
        "Invalid",
        `${info.kind} is invalid: metadata.name: Required value: name or generateName is required`,
      );
    if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name) || name.length > 253) {
      throw new HttpError(
        422,
        "Invalid",
        `${info.kind} "${name}" is invalid: metadata.name: Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'`,
      );
    }
    if (route.name && route.name !== name) {
      throw new HttpError(
        400,
        "BadRequest",
        `the name of the object (${name}) does not match the name on the URL (${route.name})`,
      );
    }
    const namespace = info.namespaced
      ? (route.namespace ?? object.metadata?.namespace ?? "default")
      : undefined;
    if (info.namespaced) {
      const ns = this.store.get(this.keyOf(KINDS[0] as KindInfo, undefined, namespace ?? ""));
      if (!ns)
        throw new HttpError(404, "NotFound", `namespaces "${namespace}" not found`, {
          name: namespace,
          kind: "namespaces",
        });
      if (ns.object.metadata?.deletionTimestamp) {
        throw new HttpError(
          403,
          "Forbidden",
          `${info.plural} "${name}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
        );
      }
    }
    const key = this.keyOf(info, namespace, name);
    if (this.store.has(key)) {
      throw new HttpError(
        409,
        "AlreadyExists",
        `${info.plural}${info.group ? `.${info.group}` : ""} "${name}" already exists`,
        { name, group: info.group, kind: info.plural },
      );
    }
    const object2: KObject = {
      ...structuredClone(object),
      apiVersion: info.group ? `${info.group}/${info.version}` : info.version,
      kind: info.kind,
      metadata: {
        ...structuredClone(object.metadata ?? {}),
        name,
        ...(namespace ? { namespace } : {}),
        uid: randomUUID(),
        resourceVersion: this.nextVersion(),
        creationTimestamp: new Date(this.ctx.clock.now()).toISOString().replace(/\.\d{3}Z$/, "Z"),
        generation: 1,
      },
    };
    if (info.kind === "Namespace") object2.status = { phase: "Active" };
    if (info.kind === "Deployment") this.startRollout(object2);
    const stored: Stored = { info, object: object2, applied: {} };
    this.store.set(key, stored);
    return structuredClone(object2);
  }

  private write(stored: Stored, next: KObject, route: Route): KObject {
    this.changed();
    const before = stored.object;
    const meta = before.metadata ?? {};
    const specChanged = JSON.stringify(before.spec) !== JSON.stringify(next.spec);
    const updated: KObject = {
      ...structuredClone(next),
      apiVersion: before.apiVersion,
      kind: before.kind,
      metadata: {
        ...structuredClone(next.metadata ?? {}),
        name: meta.name,
        ...(meta.namespace ? { namespace: meta.namespace } : {}),
        uid: meta.uid,
        creationTimestamp: meta.creationTimestamp,
        ...(meta.deletionTimestamp ? { deletionTimestamp: meta.deletionTimestamp } : {}),
        resourceVersion: this.nextVersion(),
        generation: (Number(meta.generation) || 1) + (specChanged && route.subresource !== "status" ? 1 : 0),
      },
    };
    if (updated.status === undefined && before.status !== undefined) updated.status = before.status;
    stored.object = updated;
    if (stored.info.kind === "Deployment" && specChanged) this.startRollout(updated);
    return structuredClone(updated);
  }

  // ------------------------------------------------------------- Deployment rollouts

  private images(object: KObject): string[] {
    const containers = at(object, "spec.template.spec.containers");
    return Array.isArray(containers)
      ? containers.map((c) => String((c as { image?: unknown }).image ?? ""))
      : [];
  }

  private startRollout(object: KObject): void {
    const replicas = Number(at(object, "spec.replicas") ?? 1);
    const generation = Number(object.metadata?.generation ?? 1);
    const prior = isObject(object.status) ? object.status : {};
    object.status = {
      observedGeneration: generation,
      replicas: Math.max(replicas, Number(prior.replicas ?? 0)),
      updatedReplicas: 0,
      readyReplicas: Number(prior.readyReplicas ?? 0),
      availableReplicas: Number(prior.availableReplicas ?? 0),
      unavailableReplicas: replicas,
      conditions: [
        {
          type: "Progressing",
          status: "True",
          reason: "ReplicaSetUpdated",
          message: `ReplicaSet is progressing.`,
          lastUpdateTime: this.isoNow(),
          lastTransitionTime: this.isoNow(),
        },
      ],
    };
    const broken = this.images(object).some((image) => this.isBrokenImage(image));
    const ref = {
      key: this.key,
      namespace: object.metadata?.namespace ?? "",
      name: object.metadata?.name ?? "",
      generation,
    };
    if (broken) {
      const deadline = Number(at(object, "spec.progressDeadlineSeconds") ?? 600) * 1000;
      this.ctx.jobs.schedule("k8s.rollout.stuck", deadline, ref);
      return;
    }
    this.ctx.jobs.schedule("k8s.rollout.step", replicas === 0 ? 0 : this.ctx.durations.podReady, ref);
  }

  private isoNow(): string {
    return new Date(this.ctx.clock.now()).toISOString().replace(/\.\d{3}Z$/, "Z");
  }

  private deployment(args: { namespace: string; name: string; generation: number }): Stored | undefined {
    const info = KINDS.find((k) => k.kind === "Deployment") as KindInfo;
    const stored = this.store.get(this.keyOf(info, args.namespace, args.name));
    if (!stored || Number(stored.object.metadata?.generation) !== args.generation) return undefined;
    return stored;
  }

  rolloutStep(args: { namespace: string; name: string; generation: number }): void {
    this.changed();
    const stored = this.deployment(args);
    if (!stored || !isObject(stored.object.status)) return;
    const status = stored.object.status;
    const want = Number(at(stored.object, "spec.replicas") ?? 1);
    const updated = Math.min(want, Number(status.updatedReplicas ?? 0) + 1);
    const done = updated >= want;
    Object.assign(status, {
      updatedReplicas: updated,
      replicas: done ? want : Math.max(want, Number(status.replicas ?? 0)),
      readyReplicas: done ? want : Math.max(updated, Number(status.readyReplicas ?? 0)),
      availableReplicas: done ? want : Math.max(updated, Number(status.availableReplicas ?? 0)),
      unavailableReplicas: want - updated,
    });
    if (done) {
      status.conditions = [
        {
          type: "Available",
          status: "True",
          reason: "MinimumReplicasAvailable",
          message: "Deployment has minimum availability.",
          lastUpdateTime: this.isoNow(),
          lastTransitionTime: this.isoNow(),
        },
        {
          type: "Progressing",
          status: "True",
          reason: "NewReplicaSetAvailable",
          message: `ReplicaSet "${args.name}" has successfully progressed.`,
          lastUpdateTime: this.isoNow(),
          lastTransitionTime: this.isoNow(),
        },
      ];
    } else {
      this.ctx.jobs.schedule("k8s.rollout.step", this.ctx.durations.podReady, { key: this.key, ...args });
    }
    if (stored.object.metadata) stored.object.metadata.resourceVersion = this.nextVersion();
  }

  rolloutStuck(args: { namespace: string; name: string; generation: number }): void {
    this.changed();
    const stored = this.deployment(args);
    if (!stored || !isObject(stored.object.status)) return;
    const status = stored.object.status;
    status.conditions = [
      {
        type: "Available",
        status: Number(status.availableReplicas ?? 0) > 0 ? "True" : "False",
        reason: "MinimumReplicasAvailable",
        lastUpdateTime: this.isoNow(),
        lastTransitionTime: this.isoNow(),
      },
      {
        type: "Progressing",
        status: "False",
        reason: "ProgressDeadlineExceeded",
        message: `ReplicaSet "${args.name}" has timed out progressing.`,
        lastUpdateTime: this.isoNow(),
        lastTransitionTime: this.isoNow(),
      },
    ];
    if (stored.object.metadata) stored.object.metadata.resourceVersion = this.nextVersion();
  }

  namespaceGone(name: string): void {
    this.changed();
    for (const [key, stored] of this.store) {
      if (stored.object.metadata?.namespace === name) this.store.delete(key);
    }
    this.store.delete(this.keyOf(KINDS[0] as KindInfo, undefined, name));
  }

  /** Creates the namespaces every EKS cluster has. */
  seedDefaults(): void {
    for (const name of ["default", "kube-system", "kube-public", "kube-node-lease"]) {
      if (!this.get("Namespace", undefined, name)) {
        this.create({ info: KINDS[0] as KindInfo }, { metadata: { name } });
      }
    }
  }

  private changed(): void {
    this.writes++;
  }

  save(): JsonText {
    // Objects are JSON as requests carried them (in-process writes go through JSON too): no Dates.
    return this.saved.take(
      this.writes,
      () => ({
        revision: this.revision,
        objects: [...this.store.values()].map((s) => ({
          info: s.info,
          object: s.object,
          applied: s.applied,
        })),
      }),
      plainJsonText,
    );
  }

  load(state: Json): void {
    this.changed();
    const saved = state as unknown as { revision: number; objects: Stored[] };
    this.revision = saved.revision;
    this.store = new Map(
      saved.objects.map((s) => [
        this.keyOf(s.info, s.object.metadata?.namespace, s.object.metadata?.name ?? ""),
        s,
      ]),
    );
  }
}

/** The CA that signed every loopback API server's certificate, base64 (DescribeCluster's `certificateAuthority.data`). */
export function clusterCa(): string {
  return Buffer.from(LOCAL_CA_PEM).toString("base64");
}
