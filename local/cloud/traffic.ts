/**
 * Simulated traffic: services with versions in a Kubernetes namespace of an emulated EKS cluster.
 * Each version behaves as a scenario says (request rate, error rate, latency p50/p99, business
 * success rate). Every minute the simulator splits the service's requests by the weights of its Istio
 * VirtualService (subsets resolved through the DestinationRule), and publishes per version and per
 * service, in the cluster's region, under the `cplane/Traffic` namespace:
 *
 * - `Requests` (Sum), `Errors` (Sum: 5xx), `Latency` (milliseconds, a distribution: p50/p99 work),
 * - `BusinessTransactions` and `BusinessSuccesses` (Sum), for the business success rate,
 *
 * with dimensions `{Namespace, Service, Version}` and `{Namespace, Service}`. A version whose
 * Deployment (`<service>-<version>`, or labelled `app=<service>,version=<version>`) has no ready
 * replica fails every request it gets; every request fails while the region is down. A version the
 * routes name but the scenario does not behaves like the scenario's first version.
 *
 * Releases: a behaviour can be set for an image tag (`setBehaviour(where, "2.0.0", ...)` when `2.0.0`
 * is not a version of the scenario): a version whose Deployment runs an image with that tag behaves so,
 * whatever its subset is called (the canary running `api:2.0.0`, then stable once it is promoted).
 *
 * Tenants: with a `requestMix` (the share of requests carrying each value of a header, such as the
 * tenant tier header), routes with a header match take the matching share of requests, in route order;
 * a route without a match takes what is left.
 */
import type { Dimension } from "@aws-sdk/client-cloudwatch";
import { TRAFFIC_METRICS_NAMESPACE } from "../../deploy/alarms.ts";
import { JsonText } from "./changes.ts";
import type { CloudWatch } from "./cloudwatch.ts";
import type { CloudContext, Json } from "./context.ts";
import type { Eks } from "./eks.ts";
import type { KObject } from "./kubernetes.ts";
import type { EmulatedService } from "./service.ts";
import { addTo } from "./service.ts";
import type { Ticker } from "./ticker.ts";

/** The namespace the canary alarms read (deploy/alarms.ts), where the emulated traffic is published. */
export const TRAFFIC_NAMESPACE = TRAFFIC_METRICS_NAMESPACE;

export interface VersionBehaviour {
  requestsPerMinute: number;
  /** Fraction of requests that fail (0..1). */
  errorRate: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** Fraction of business transactions that succeed (0..1); one business transaction per ten requests. */
  businessSuccessRate: number;
}

export interface TrafficServiceSpec {
  region: string;
  /** EKS cluster name in that region. */
  cluster: string;
  namespace: string;
  service: string;
  /** Behaviour by version name (`stable`, `canary`, or image tags). */
  versions: Record<string, Partial<VersionBehaviour>>;
  /** Share of requests (0..1) by header, then by value: `{"x-cplane-tenant-tier": {"basic": 0.5, ...}}`. */
  requestMix?: Record<string, Record<string, number>>;
}

const DEFAULT_BEHAVIOUR: VersionBehaviour = {
  requestsPerMinute: 600,
  errorRate: 0.002,
  latencyP50Ms: 80,
  latencyP99Ms: 320,
  businessSuccessRate: 0.98,
};

/** z-scores of the quantiles sampled to describe a latency distribution. */
const QUANTILES = [
  0.05, 0.15, 0.25, 0.35, 0.45, 0.5, 0.55, 0.65, 0.75, 0.85, 0.9, 0.95, 0.975, 0.99, 0.995, 0.999,
];
const Z = [
  -1.645, -1.036, -0.674, -0.385, -0.126, 0, 0.126, 0.385, 0.674, 1.036, 1.282, 1.645, 1.96, 2.326, 2.576,
  3.09,
];

interface ServiceState {
  spec: TrafficServiceSpec;
  versions: Record<string, VersionBehaviour>;
  /** Behaviour by image tag (a release), for whichever version runs it. */
  images?: Record<string, VersionBehaviour>;
  last?: Record<string, { share: number; requests: number; errors: number }>;
  /** Fractions of an error and of a business success not yet published, per version. */
  carry?: Record<string, { errors: number; ok: number }>;
}

export class Traffic implements EmulatedService {
  /** Not an AWS service: nothing is dispatched to it; it is registered for describe and persistence. */
  readonly name = "Traffic";
  readonly operations = {};
  private readonly ctx: CloudContext;
  private readonly cloudwatch: CloudWatch;
  private readonly eks: Eks;
  private readonly ticker: Ticker;
  private services: ServiceState[] = [];

  constructor(ctx: CloudContext, cloudwatch: CloudWatch, eks: Eks, ticker: Ticker) {
    this.ctx = ctx;
    this.cloudwatch = cloudwatch;
    this.eks = eks;
    this.ticker = ticker;
    ticker.subscribe({ order: 10, active: () => this.services.length > 0, tick: (now) => this.publish(now) });
  }

  private find(region: string, namespace: string, service: string): ServiceState | undefined {
    return this.services.find(
      (s) => s.spec.region === region && s.spec.namespace === namespace && s.spec.service === service,
    );
  }

  /** Adds or replaces a service and its versions' behaviour. */
  setService(spec: TrafficServiceSpec): void {
    const versions = Object.fromEntries(
      Object.entries(spec.versions).map(([v, b]) => [v, { ...DEFAULT_BEHAVIOUR, ...b }]),
    );
    const existing = this.find(spec.region, spec.namespace, spec.service);
    if (existing) {
      existing.spec = structuredClone(spec);
      existing.versions = versions;
    } else this.services.push({ spec: structuredClone(spec), versions });
    this.ticker.wake();
  }

  /** Changes one version's behaviour (a scenario step: "the canary starts failing 5%"). */
  setBehaviour(
    where: { region: string; namespace: string; service: string },
    version: string,
    behaviour: Partial<VersionBehaviour>,
  ): void {
    const state = this.find(where.region, where.namespace, where.service);
    if (!state)
      throw new Error(`no simulated service ${where.namespace}/${where.service} in ${where.region}`);
    if (version in state.versions) {
      state.versions[version] = { ...(state.versions[version] ?? DEFAULT_BEHAVIOUR), ...behaviour };
      return;
    }
    // An image tag: it starts from the behaviour of the scenario's first version (the release as it was).
    state.images ??= {};
    const images = state.images;
    const first = Object.values(state.versions)[0] ?? DEFAULT_BEHAVIOUR;
    images[version] = { ...(images[version] ?? first), ...behaviour };
    this.ticker.wake();
  }

  /** Every simulated service, for `cplane traffic list`. */
  list(): { region: string; namespace: string; service: string }[] {
    return this.services.map((s) => ({
      region: s.spec.region,
      namespace: s.spec.namespace,
      service: s.spec.service,
    }));
  }

  removeService(where: { region: string; namespace: string; service: string }): void {
    this.services = this.services.filter(
      (s) =>
        !(
          s.spec.region === where.region &&
          s.spec.namespace === where.namespace &&
          s.spec.service === where.service
        ),
    );
  }

  /** The traffic share of each version now, from the VirtualService weights. */
  shares(state: ServiceState): Record<string, number> {
    const versions = Object.keys(state.versions);
    const api = this.eks.kubernetes(state.spec.cluster, state.spec.region);
    const vs = api?.list("VirtualService", state.spec.namespace).find((v) => {
      const hosts = ((v.spec as { hosts?: string[] } | undefined)?.hosts ?? []).map((h) => h.split(".")[0]);
      return hosts.includes(state.spec.service) || v.metadata?.name === state.spec.service;
    });
    type Route = { destination?: { host?: string; subset?: string }; weight?: number };
    type HeaderMatch = Record<string, { exact?: string; prefix?: string; regex?: string }>;
    const http =
      (vs?.spec as { http?: { match?: { headers?: HeaderMatch }[]; route?: Route[] }[] } | undefined)?.http ??
      [];
    if (!http.some((h) => (h.route ?? []).length > 0))
      return versions.length > 0 ? { [versions[0] ?? ""]: 1 } : {};
    const subsets = new Map<string, string>();
    for (const dr of api?.list("DestinationRule", state.spec.namespace) ?? []) {
      for (const subset of (
        dr.spec as { subsets?: { name?: string; labels?: Record<string, string> }[] } | undefined
      )?.subsets ?? []) {
        if (subset.name) subsets.set(subset.name, subset.labels?.version ?? subset.name);
      }
    }
    const out: Record<string, number> = {};
    let remaining = 1;
    for (const entry of http) {
      if (remaining <= 0) break;
      const routes = entry.route ?? [];
      const taken = entry.match ? Math.min(remaining, this.matchedShare(state, entry.match)) : remaining;
      remaining -= taken;
      const total = routes.reduce((sum, r) => sum + (r.weight ?? (routes.length === 1 ? 100 : 0)), 0) || 1;
      for (const r of routes) {
        const subset = r.destination?.subset ?? versions[0] ?? "";
        const version = subsets.get(subset) ?? subset;
        out[version] = (out[version] ?? 0) + (taken * (r.weight ?? (routes.length === 1 ? 100 : 0))) / total;
      }
    }
    return out;
  }

  /** The share of requests a route's header matches select, from the service's request mix (none without one). */
  private matchedShare(
    state: ServiceState,
    matches: { headers?: Record<string, { exact?: string; prefix?: string; regex?: string }> }[],
  ): number {
    let share = 0;
    for (const match of matches) {
      let matched = 1;
      for (const [header, rule] of Object.entries(match.headers ?? {})) {
        const mix = state.spec.requestMix?.[header.toLowerCase()] ?? {};
        const test = (value: string) =>
          rule.exact !== undefined
            ? value === rule.exact
            : rule.prefix !== undefined
              ? value.startsWith(rule.prefix)
              : rule.regex !== undefined
                ? new RegExp(`^(?:${rule.regex})$`).test(value)
                : false;
        matched *= Object.entries(mix).reduce(
          (sum, [value, fraction]) => sum + (test(value) ? fraction : 0),
          0,
        );
      }
      share += matched;
    }
    return Math.min(1, share);
  }

  /** The image tag of the version's Deployment, if the scenario has a behaviour for that release. */
  private release(state: ServiceState, version: string): VersionBehaviour | undefined {
    if (!state.images) return undefined;
    const api = this.eks.kubernetes(state.spec.cluster, state.spec.region);
    for (const d of api?.list("Deployment", state.spec.namespace) ?? []) {
      const labels = (d.metadata?.labels ?? {}) as Record<string, string>;
      if (
        d.metadata?.name !== `${state.spec.service}-${version}` &&
        !(labels.app === state.spec.service && labels.version === version)
      )
        continue;
      const containers = (
        d.spec as { template?: { spec?: { containers?: { image?: string }[] } } } | undefined
      )?.template?.spec?.containers;
      const image = containers?.[0]?.image ?? "";
      const tag = image.slice(image.lastIndexOf(":") + 1);
      if (image.includes(":") && state.images[tag]) return state.images[tag];
    }
    return undefined;
  }

  private deploymentReady(state: ServiceState, version: string): boolean {
    const api = this.eks.kubernetes(state.spec.cluster, state.spec.region);
    if (!api) return false;
    const deployments = api.list("Deployment", state.spec.namespace);
    const mine = (d: KObject) => {
      const labels = (d.metadata?.labels ?? {}) as Record<string, string>;
      return (
        d.metadata?.name === `${state.spec.service}-${version}` ||
        (labels.app === state.spec.service && labels.version === version)
      );
    };
    const found = deployments.filter(mine);
    if (found.length === 0) return true;
    return found.some(
      (d) => Number((d.status as { readyReplicas?: number } | undefined)?.readyReplicas ?? 0) > 0,
    );
  }

  private publish(now: number): void {
    const minutes = this.ctx.durations.metricsTick / 60_000;
    const t = now - 1;
    for (const state of this.services) {
      const { region, namespace, service } = state.spec;
      const down = this.ctx.isRegionDown(region);
      const shares = this.shares(state);
      const totals = {
        requests: 0,
        errors: 0,
        tx: 0,
        ok: 0,
        latency: [] as number[],
        counts: [] as number[],
      };
      state.last = {};
      // A version routed to but not in the scenario (a new image tag) behaves like the first declared one.
      const first = Object.values(state.versions)[0] ?? DEFAULT_BEHAVIOUR;
      const versions = {
        ...Object.fromEntries(Object.keys(shares).map((v) => [v, first])),
        ...state.versions,
      };
      for (const [version, scenario] of Object.entries(versions)) {
        const behaviour = this.release(state, version) ?? scenario;
        const share = shares[version] ?? 0;
        const requests = Math.round(behaviour.requestsPerMinute * minutes * share);
        const broken = down || !this.deploymentReady(state, version);
        // Whole requests, with the fractions carried to the next minute: a rate over a window comes out
        // as set, however few requests a share gets (rounding each minute would bias small shares).
        state.carry ??= {};
        const carry = state.carry[version] ?? { errors: 0, ok: 0 };
        const exactErrors = requests * behaviour.errorRate + carry.errors;
        const errors = broken ? requests : Math.floor(exactErrors);
        const tx = Math.round(requests / 10);
        const exactOk = tx * behaviour.businessSuccessRate + carry.ok;
        const ok = broken ? 0 : Math.floor(exactOk);
        state.carry[version] = broken ? carry : { errors: exactErrors - errors, ok: exactOk - ok };
        const sigma =
          Math.log(Math.max(behaviour.latencyP99Ms, behaviour.latencyP50Ms + 1) / behaviour.latencyP50Ms) /
          2.326;
        const latency = Z.map((z) =>
          broken ? 30_000 : Math.round(behaviour.latencyP50Ms * Math.exp(sigma * z) * 10) / 10,
        );
        const weights = QUANTILES.map((q, i) => (i === 0 ? q : q - (QUANTILES[i - 1] ?? 0)));
        const counts = weights
          .map((w, i) => (i === weights.length - 1 ? w + (1 - (QUANTILES[QUANTILES.length - 1] ?? 1)) : w))
          .map((w) => Math.max(0, w * requests));
        state.last[version] = { share, requests, errors };
        const dims: Dimension[] = [
          { Name: "Namespace", Value: namespace },
          { Name: "Service", Value: service },
          { Name: "Version", Value: version },
        ];
        this.emit(region, dims, t, { requests, errors, tx, ok, latency, counts });
        totals.requests += requests;
        totals.errors += errors;
        totals.tx += tx;
        totals.ok += ok;
        if (requests > 0) {
          totals.latency.push(...latency);
          totals.counts.push(...counts);
        }
      }
      this.emit(
        region,
        [
          { Name: "Namespace", Value: namespace },
          { Name: "Service", Value: service },
        ],
        t,
        totals,
      );
    }
  }

  private emit(
    region: string,
    dims: Dimension[],
    t: number,
    m: { requests: number; errors: number; tx: number; ok: number; latency: number[]; counts: number[] },
  ): void {
    const cw = this.cloudwatch;
    cw.record(region, TRAFFIC_NAMESPACE, "Requests", dims, { t, values: [m.requests], counts: [1] });
    cw.record(region, TRAFFIC_NAMESPACE, "Errors", dims, { t, values: [m.errors], counts: [1] });
    cw.record(region, TRAFFIC_NAMESPACE, "BusinessTransactions", dims, { t, values: [m.tx], counts: [1] });
    cw.record(region, TRAFFIC_NAMESPACE, "BusinessSuccesses", dims, { t, values: [m.ok], counts: [1] });
    if (m.requests > 0)
      cw.record(region, TRAFFIC_NAMESPACE, "Latency", dims, { t, values: m.latency, counts: m.counts });
  }

  describe(): Record<string, Record<string, unknown[]>> {
    const out = {};
    for (const s of this.services) {
      addTo(out, s.spec.region, "services", {
        service: `${s.spec.namespace}/${s.spec.service}`,
        cluster: s.spec.cluster,
        versions: Object.fromEntries(
          [...new Set([...Object.keys(s.versions), ...Object.keys(s.last ?? {})])].map((v) => [
            v,
            { ...(s.versions[v] ?? { routedOnly: true }), lastMinute: s.last?.[v] },
          ]),
        ),
        ...(s.images ? { releases: s.images } : {}),
      });
    }
    return out;
  }

  /** Serialized at every save: each minute's tick changes what it keeps, and reports no change. */
  save(): JsonText {
    return new JsonText(
      JSON.stringify(this.services.map((s) => ({ spec: s.spec, versions: s.versions, images: s.images }))),
    );
  }

  load(saved: Json): void {
    this.services = (saved as unknown as ServiceState[]).map((s) => ({
      spec: s.spec,
      versions: s.versions,
      ...(s.images ? { images: s.images } : {}),
    }));
    this.ticker.wake();
  }
}
