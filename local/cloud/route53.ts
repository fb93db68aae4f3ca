/**
 * Route 53: hosted zones, record sets (simple, weighted, failover, alias) changed atomically by
 * ChangeResourceRecordSets with changes PENDING then INSYNC on the clock, and health checks whose
 * status follows the emulated region they watch (and CLOUDWATCH_METRIC / CALCULATED checks). Health
 * checkers publish `AWS/Route53 HealthCheckStatus` in us-east-1 every minute, as on AWS.
 */
import { randomUUID } from "node:crypto";
import type {
  Change,
  ChangeResourceRecordSetsCommandInput,
  ChangeTagsForResourceCommandInput,
  CreateHealthCheckCommandInput,
  CreateHostedZoneCommandInput,
  DeleteHealthCheckCommandInput,
  DeleteHostedZoneCommandInput,
  GetChangeCommandInput,
  GetHealthCheckCommandInput,
  GetHealthCheckStatusCommandInput,
  GetHostedZoneCommandInput,
  HealthCheckConfig,
  ListHostedZonesByNameCommandInput,
  ListResourceRecordSetsCommandInput,
  ListTagsForResourceCommandInput,
  ResourceRecordSet,
} from "@aws-sdk/client-route-53";
import { type JsonText, toJsonText } from "./changes.ts";
import type { CloudWatch } from "./cloudwatch.ts";
import type { CloudContext, Json } from "./context.ts";
import { randomId } from "./context.ts";
import { fail } from "./errors.ts";
import type { EmulatedService } from "./service.ts";
import { addTo, fromJson } from "./service.ts";
import type { Ticker } from "./ticker.ts";

interface Zone {
  id: string;
  name: string;
  callerReference: string;
  comment?: string;
  privateZone: boolean;
  records: ResourceRecordSet[];
  tags: { Key?: string; Value?: string }[];
}

interface HealthCheck {
  id: string;
  callerReference: string;
  config: HealthCheckConfig;
  version: number;
  /** The emulated region this check probes (from its domain name, or set by the runtime). */
  region?: string;
  healthy: boolean;
  /** Forced by fault injection. */
  forced?: boolean;
  checkedAt: number;
  tags: { Key?: string; Value?: string }[];
}

interface ChangeRecord {
  id: string;
  status: "PENDING" | "INSYNC";
  submittedAt: Date;
  comment?: string;
}

const CHECKER_REGIONS = [
  "us-east-1",
  "us-west-1",
  "us-west-2",
  "eu-west-1",
  "ap-southeast-1",
  "ap-southeast-2",
  "ap-northeast-1",
  "sa-east-1",
];

function fqdn(name: string | undefined): string {
  const n = (name ?? "").toLowerCase();
  return n.endsWith(".") ? n : `${n}.`;
}

function recordKey(r: ResourceRecordSet): string {
  return `${fqdn(r.Name)}|${r.Type}|${r.SetIdentifier ?? ""}`;
}

function describeRecord(r: ResourceRecordSet): string {
  return `[name='${fqdn(r.Name)}', type='${r.Type}'${r.SetIdentifier ? `, set-identifier='${r.SetIdentifier}'` : ""}]`;
}

export class Route53 implements EmulatedService {
  readonly name = "Route53";
  readonly global = true;
  private readonly ctx: CloudContext;
  private readonly cloudwatch: CloudWatch;
  private readonly ticker: Ticker;
  private zones: Zone[] = [];
  private healthChecks: HealthCheck[] = [];
  private changes: ChangeRecord[] = [];

  constructor(ctx: CloudContext, cloudwatch: CloudWatch, ticker: Ticker) {
    this.ctx = ctx;
    this.cloudwatch = cloudwatch;
    this.ticker = ticker;
    ctx.jobs.on("route53.insync", (args) => {
      const change = this.changes.find((c) => c.id === String(args));
      if (change) change.status = "INSYNC";
    });
    ticker.subscribe({
      order: 20,
      active: () => this.healthChecks.length > 0,
      tick: (now) => this.probe(now),
    });
  }

  private zone(id: string | undefined): Zone {
    const bare = (id ?? "").replace(/^\/hostedzone\//, "");
    const zone = this.zones.find((z) => z.id === bare);
    if (!zone) fail("NoSuchHostedZone", `No hosted zone found with ID: ${bare}`, { status: 404 });
    return zone;
  }

  private healthCheck(id: string | undefined): HealthCheck {
    const check = this.healthChecks.find((h) => h.id === id);
    if (!check) fail("NoSuchHealthCheck", `A health check with id ${id} does not exist.`, { status: 404 });
    return check;
  }

  /** Which emulated region a health check watches: a region name in its domain, else none (always healthy). */
  private regionOf(config: HealthCheckConfig): string | undefined {
    const host = `${config.FullyQualifiedDomainName ?? ""} ${config.IPAddress ?? ""}`.toLowerCase();
    return this.ctx.regionList().find((r) => host.includes(r));
  }

  /** Points a health check at an emulated region (the runtime's demo fleet does). */
  watchRegion(healthCheckId: string, region: string): void {
    this.healthCheck(healthCheckId).region = region;
  }

  /** Fault injection: force a health check's status (undefined: follow its region again). */
  forceHealth(healthCheckId: string, healthy: boolean | undefined): void {
    const check = this.healthCheck(healthCheckId);
    check.forced = healthy;
  }

  private status(check: HealthCheck, seen = new Set<string>()): boolean {
    if (check.forced !== undefined) return check.forced;
    const c = check.config;
    if (c.Type === "CLOUDWATCH_METRIC") {
      const state = this.cloudwatch.alarmState(
        c.AlarmIdentifier?.Region ?? "",
        c.AlarmIdentifier?.Name ?? "",
      );
      if (state === "ALARM") return false;
      if (state === "INSUFFICIENT_DATA" || state === undefined)
        return c.InsufficientDataHealthStatus !== "Unhealthy";
      return true;
    }
    if (c.Type === "CALCULATED") {
      if (seen.has(check.id)) return false;
      seen.add(check.id);
      const children = (c.ChildHealthChecks ?? []).map((id) => this.healthChecks.find((h) => h.id === id));
      const healthy = children.filter((h) => h && this.status(h, seen)).length;
      return healthy >= (c.HealthThreshold ?? children.length);
    }
    const region = check.region ?? this.regionOf(c);
    return region ? !this.ctx.isRegionDown(region) : true;
  }

  /** One round of health checking: update statuses and publish the metrics. */
  probe(now: number): void {
    for (const check of this.healthChecks) {
      const healthy = this.status(check);
      check.healthy = healthy;
      check.checkedAt = now;
      const dims = [{ Name: "HealthCheckId", Value: check.id }];
      this.cloudwatch.record("us-east-1", "AWS/Route53", "HealthCheckStatus", dims, {
        t: now,
        values: [healthy ? 1 : 0],
        counts: [1],
      });
      this.cloudwatch.record("us-east-1", "AWS/Route53", "HealthCheckPercentageHealthy", dims, {
        t: now,
        values: [healthy ? 100 : 0],
        counts: [1],
      });
    }
  }

  /** Whether a health check is healthy as of its last probe. */
  isHealthy(healthCheckId: string): boolean {
    return this.healthCheck(healthCheckId).healthy;
  }

  /** The records of the zone that answer `name` now: failover and weights resolved with health. */
  resolve(zoneId: string, name: string, type = "A"): ResourceRecordSet[] {
    const zone = this.zone(zoneId);
    const candidates = zone.records.filter((r) => fqdn(r.Name) === fqdn(name) && r.Type === type);
    const healthy = (r: ResourceRecordSet) =>
      !r.HealthCheckId || this.healthChecks.find((h) => h.id === r.HealthCheckId)?.healthy !== false;
    const failover = candidates.filter((r) => r.Failover);
    if (failover.length > 0) {
      const primary = failover.find((r) => r.Failover === "PRIMARY");
      if (primary && healthy(primary)) return [primary];
      const secondary = failover.find((r) => r.Failover === "SECONDARY");
      return secondary ? [secondary] : [];
    }
    const weighted = candidates.filter((r) => r.Weight !== undefined);
    if (weighted.length > 0) return weighted.filter((r) => healthy(r) && (r.Weight ?? 0) > 0);
    return candidates;
  }

  private validate(zone: Zone, changes: readonly Change[]): ResourceRecordSet[] {
    const records = zone.records.map((r) => structuredClone(r));
    const errors: string[] = [];
    for (const change of changes) {
      const r = change.ResourceRecordSet;
      if (!r?.Name || !r.Type) {
        errors.push("ResourceRecordSet must have a Name and a Type");
        continue;
      }
      const name = fqdn(r.Name);
      if (name !== fqdn(zone.name) && !name.endsWith(`.${fqdn(zone.name)}`)) {
        errors.push(`RRSet with DNS name ${name} is not permitted in zone ${fqdn(zone.name)}`);
        continue;
      }
      if ((r.Weight !== undefined || r.Failover) && !r.SetIdentifier)
        errors.push(
          `Invalid request: Missing field 'SetIdentifier' in Change with [Action=${change.Action}, Name=${name}, Type=${r.Type}]`,
        );
      if (r.SetIdentifier && r.Weight === undefined && !r.Failover && !r.Region && !r.GeoLocation)
        errors.push(
          `Invalid request: Expected exactly one of [Weight, Region, Failover, GeoLocation, MultiValueAnswer, GeoProximityLocation, or CidrRoutingConfig], but found none in Change with [Action=${change.Action}, Name=${name}, Type=${r.Type}, SetIdentifier=${r.SetIdentifier}]`,
        );
      if (
        !r.AliasTarget &&
        change.Action !== "DELETE" &&
        !(r.ResourceRecords && r.ResourceRecords.length > 0)
      )
        errors.push(
          `Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found none in Change with [Action=${change.Action}, Name=${name}, Type=${r.Type}]`,
        );
      if (r.HealthCheckId && !this.healthChecks.some((h) => h.id === r.HealthCheckId))
        errors.push(`Invalid request: HealthCheck with id ${r.HealthCheckId} does not exist`);
      const normalized = { ...structuredClone(r), Name: name };
      const at = records.findIndex((x) => recordKey(x) === recordKey(normalized));
      if (change.Action === "CREATE") {
        if (at >= 0)
          errors.push(`Tried to create resource record set ${describeRecord(r)} but it already exists`);
        else records.push(normalized);
      } else if (change.Action === "DELETE") {
        const current = records[at];
        if (at < 0 || !current)
          errors.push(`Tried to delete resource record set ${describeRecord(r)} but it was not found`);
        else if (
          JSON.stringify(current.ResourceRecords ?? []) !== JSON.stringify(r.ResourceRecords ?? []) &&
          r.ResourceRecords
        ) {
          errors.push(
            `Tried to delete resource record set ${describeRecord(r)} but the values provided do not match the current values`,
          );
        } else records.splice(at, 1);
      } else if (change.Action === "UPSERT") {
        if (at >= 0) records[at] = normalized;
        else records.push(normalized);
      } else errors.push(`Invalid Action ${change.Action}`);
    }
    if (errors.length > 0) fail("InvalidChangeBatch", `[${errors.join(", ")}]`);
    return records;
  }

  private newChange(comment?: string): ChangeRecord {
    const change: ChangeRecord = {
      id: `C${randomId(20, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")}`,
      status: "PENDING",
      submittedAt: this.ctx.clock.date(),
      comment,
    };
    this.changes.push(change);
    this.ctx.jobs.schedule("route53.insync", this.ctx.durations.route53Propagation, change.id);
    return change;
  }

  private changeOut(c: ChangeRecord) {
    return { Id: `/change/${c.id}`, Status: c.status, SubmittedAt: c.submittedAt, Comment: c.comment };
  }

  private zoneOut(z: Zone) {
    return {
      Id: `/hostedzone/${z.id}`,
      Name: fqdn(z.name),
      CallerReference: z.callerReference,
      Config: { Comment: z.comment, PrivateZone: z.privateZone },
      ResourceRecordSetCount: z.records.length,
    };
  }

  private checkOut(h: HealthCheck) {
    return {
      Id: h.id,
      CallerReference: h.callerReference,
      HealthCheckConfig: structuredClone(h.config),
      HealthCheckVersion: h.version,
    };
  }

  readonly operations = {
    CreateHostedZone: (input: CreateHostedZoneCommandInput) => {
      const name = fqdn(input.Name);
      if (!input.CallerReference) fail("InvalidInput", "CallerReference is required");
      const again = this.zones.find((z) => z.callerReference === input.CallerReference);
      if (again)
        fail(
          "HostedZoneAlreadyExists",
          `A hosted zone has already been created with the specified caller reference.`,
          { status: 409 },
        );
      const id = `Z${randomId(20, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")}`;
      const nameServers = [
        "ns-1.awsdns-01.org.",
        "ns-2.awsdns-02.co.uk.",
        "ns-3.awsdns-03.com.",
        "ns-4.awsdns-04.net.",
      ];
      const zone: Zone = {
        id,
        name,
        callerReference: input.CallerReference,
        comment: input.HostedZoneConfig?.Comment,
        privateZone: input.HostedZoneConfig?.PrivateZone ?? false,
        records: [
          { Name: name, Type: "NS", TTL: 172800, ResourceRecords: nameServers.map((Value) => ({ Value })) },
          {
            Name: name,
            Type: "SOA",
            TTL: 900,
            ResourceRecords: [
              { Value: `${nameServers[0]} awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400` },
            ],
          },
        ],
        tags: [],
      };
      this.zones.push(zone);
      return {
        HostedZone: this.zoneOut(zone),
        ChangeInfo: this.changeOut(this.newChange()),
        DelegationSet: { NameServers: nameServers },
        Location: `https://route53.amazonaws.com/2013-04-01/hostedzone/${id}`,
      };
    },
    GetHostedZone: (input: GetHostedZoneCommandInput) => {
      const zone = this.zone(input.Id);
      return {
        HostedZone: this.zoneOut(zone),
        DelegationSet: {
          NameServers: (zone.records.find((r) => r.Type === "NS")?.ResourceRecords ?? []).map(
            (r) => r.Value ?? "",
          ),
        },
      };
    },
    ListHostedZones: () => ({
      HostedZones: this.zones.map((z) => this.zoneOut(z)),
      IsTruncated: false,
      MaxItems: 100,
    }),
    ListHostedZonesByName: (input: ListHostedZonesByNameCommandInput) => {
      const sorted = [...this.zones].sort((a, b) =>
        fqdn(a.name)
          .split(".")
          .reverse()
          .join(".")
          .localeCompare(fqdn(b.name).split(".").reverse().join(".")),
      );
      const from = input.DNSName
        ? sorted.filter(
            (z) =>
              fqdn(z.name).split(".").reverse().join(".") >=
              fqdn(input.DNSName).split(".").reverse().join("."),
          )
        : sorted;
      return {
        HostedZones: from.map((z) => this.zoneOut(z)),
        DNSName: input.DNSName,
        IsTruncated: false,
        MaxItems: 100,
      };
    },
    DeleteHostedZone: (input: DeleteHostedZoneCommandInput) => {
      const zone = this.zone(input.Id);
      if (zone.records.some((r) => r.Type !== "NS" && r.Type !== "SOA"))
        fail(
          "HostedZoneNotEmpty",
          "The specified hosted zone contains non-required resource record sets and so cannot be deleted.",
        );
      this.zones = this.zones.filter((z) => z !== zone);
      return { ChangeInfo: this.changeOut(this.newChange()) };
    },
    ChangeResourceRecordSets: (input: ChangeResourceRecordSetsCommandInput) => {
      const zone = this.zone(input.HostedZoneId);
      const changes = input.ChangeBatch?.Changes ?? [];
      if (changes.length === 0) fail("InvalidInput", "ChangeBatch.Changes must contain at least one change");
      zone.records = this.validate(zone, changes);
      return { ChangeInfo: this.changeOut(this.newChange(input.ChangeBatch?.Comment)) };
    },
    ListResourceRecordSets: (input: ListResourceRecordSetsCommandInput) => {
      const zone = this.zone(input.HostedZoneId);
      const reversed = (n: string | undefined) => fqdn(n).split(".").reverse().join(".");
      const sorted = [...zone.records].sort(
        (a, b) =>
          reversed(a.Name).localeCompare(reversed(b.Name)) ||
          (a.Type ?? "").localeCompare(b.Type ?? "") ||
          (a.SetIdentifier ?? "").localeCompare(b.SetIdentifier ?? ""),
      );
      const start = input.StartRecordName
        ? sorted.filter(
            (r) =>
              reversed(r.Name) > reversed(input.StartRecordName) ||
              (reversed(r.Name) === reversed(input.StartRecordName) &&
                (!input.StartRecordType || (r.Type ?? "") >= input.StartRecordType)),
          )
        : sorted;
      const max = Number(input.MaxItems ?? 300);
      return {
        ResourceRecordSets: start.slice(0, max).map((r) => structuredClone(r)),
        IsTruncated: start.length > max,
        MaxItems: max,
      };
    },
    GetChange: (input: GetChangeCommandInput) => {
      const id = (input.Id ?? "").replace(/^\/change\//, "");
      const change = this.changes.find((c) => c.id === id);
      if (!change)
        fail("NoSuchChange", `A change with the specified change ID does not exist.`, { status: 404 });
      return { ChangeInfo: this.changeOut(change) };
    },
    CreateHealthCheck: (input: CreateHealthCheckCommandInput) => {
      const config = input.HealthCheckConfig ?? fail("InvalidInput", "HealthCheckConfig is required");
      if (!input.CallerReference) fail("InvalidInput", "CallerReference is required");
      const again = this.healthChecks.find((h) => h.callerReference === input.CallerReference);
      if (again) {
        if (JSON.stringify(again.config) === JSON.stringify(config))
          return {
            HealthCheck: this.checkOut(again),
            Location: `https://route53.amazonaws.com/2013-04-01/healthcheck/${again.id}`,
          };
        fail(
          "HealthCheckAlreadyExists",
          "A health check with the same caller reference and a different configuration already exists.",
          { status: 409 },
        );
      }
      if (config.Type === "CLOUDWATCH_METRIC" && !config.AlarmIdentifier)
        fail("InvalidInput", "AlarmIdentifier is required for CLOUDWATCH_METRIC health checks");
      if (config.Type === "CALCULATED" && !config.ChildHealthChecks)
        fail("InvalidInput", "ChildHealthChecks is required for CALCULATED health checks");
      const check: HealthCheck = {
        id: randomUUID(),
        callerReference: input.CallerReference,
        config: structuredClone(config),
        version: 1,
        healthy: true,
        checkedAt: this.ctx.clock.now(),
        tags: [],
      };
      this.healthChecks.push(check);
      check.healthy = this.status(check);
      this.ticker.wake();
      return {
        HealthCheck: this.checkOut(check),
        Location: `https://route53.amazonaws.com/2013-04-01/healthcheck/${check.id}`,
      };
    },
    GetHealthCheck: (input: GetHealthCheckCommandInput) => ({
      HealthCheck: this.checkOut(this.healthCheck(input.HealthCheckId)),
    }),
    ListHealthChecks: () => ({
      HealthChecks: this.healthChecks.map((h) => this.checkOut(h)),
      IsTruncated: false,
      MaxItems: 100,
    }),
    DeleteHealthCheck: (input: DeleteHealthCheckCommandInput) => {
      const check = this.healthCheck(input.HealthCheckId);
      const used = this.zones.some((z) => z.records.some((r) => r.HealthCheckId === check.id));
      if (used)
        fail(
          "HealthCheckInUse",
          `The health check ${check.id} is still referenced from a resource record set.`,
        );
      this.healthChecks = this.healthChecks.filter((h) => h !== check);
      return {};
    },
    GetHealthCheckStatus: (input: GetHealthCheckStatusCommandInput) => {
      const check = this.healthCheck(input.HealthCheckId);
      const checked = new Date(check.checkedAt);
      const status = check.healthy
        ? "Success: HTTP Status Code 200, OK"
        : "Failure: Connection timed out. The endpoint or the internet connection is down, or requests are being blocked by your firewall.";
      return {
        HealthCheckObservations: CHECKER_REGIONS.map((Region, i) => ({
          Region,
          IPAddress: `15.177.${i * 2}.${10 + i}`,
          StatusReport: { Status: status, CheckedTime: checked },
        })),
      };
    },
    ChangeTagsForResource: (input: ChangeTagsForResourceCommandInput) => {
      const target =
        input.ResourceType === "healthcheck"
          ? this.healthCheck(input.ResourceId)
          : this.zone(input.ResourceId);
      target.tags = target.tags.filter((t) => !(input.RemoveTagKeys ?? []).includes(t.Key ?? ""));
      for (const tag of input.AddTags ?? []) {
        target.tags = target.tags.filter((t) => t.Key !== tag.Key);
        target.tags.push({ Key: tag.Key, Value: tag.Value });
      }
      return {};
    },
    ListTagsForResource: (input: ListTagsForResourceCommandInput) => {
      const target =
        input.ResourceType === "healthcheck"
          ? this.healthCheck(input.ResourceId)
          : this.zone(input.ResourceId);
      return {
        ResourceTagSet: {
          ResourceType: input.ResourceType,
          ResourceId: input.ResourceId,
          Tags: target.tags.map((t) => ({ ...t })),
        },
      };
    },
  };

  describe(): Record<string, Record<string, unknown[]>> {
    const out = {};
    for (const z of this.zones) {
      addTo(out, "global", "hostedZones", {
        id: z.id,
        name: z.name,
        records: z.records
          .filter((r) => r.Type !== "NS" && r.Type !== "SOA")
          .map(
            (r) =>
              `${r.Name} ${r.Type}${r.SetIdentifier ? ` [${r.SetIdentifier}${r.Weight !== undefined ? ` w=${r.Weight}` : ""}${r.Failover ? ` ${r.Failover}` : ""}]` : ""} ${(r.ResourceRecords ?? []).map((v) => v.Value).join(",") || (r.AliasTarget?.DNSName ?? "")}`,
          ),
      });
    }
    for (const h of this.healthChecks) {
      addTo(out, "global", "healthChecks", {
        id: h.id,
        target: h.config.FullyQualifiedDomainName ?? h.config.Type,
        region: h.region ?? this.regionOf(h.config),
        healthy: h.healthy,
      });
    }
    return out;
  }

  /** Serialized at every save: health checks change on every minute's tick, which reports no change. */
  save(): JsonText {
    return toJsonText({ zones: this.zones, healthChecks: this.healthChecks, changes: this.changes });
  }

  load(saved: Json): void {
    const s = fromJson<{ zones: Zone[]; healthChecks: HealthCheck[]; changes: ChangeRecord[] }>(saved);
    this.zones = s.zones;
    this.healthChecks = s.healthChecks;
    this.changes = s.changes;
    this.ticker.wake();
  }
}
