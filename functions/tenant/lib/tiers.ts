/**
 * What each tier gets: database size and retention, recovery targets, Kubernetes quotas and default
 * limits. Workflows that act per tier (backup verification, failover) keep their own per-tier tables
 * keyed by `Tier` beside their handlers, and read the recovery targets from here.
 */
import { z } from "zod";

export const Tier = z.enum(["premium", "standard", "basic"]);
export type Tier = z.infer<typeof Tier>;

export interface TierProfile {
  readonly instanceClass: string;
  readonly readers: number;
  readonly backupRetentionDays: number;
  /**
   * The tier's promise: data lost at most `rpoSeconds` back, service back within `rtoSeconds` of the
   * signal. Premium is served by an Aurora global secondary (RPO under a minute, failover within 5
   * minutes, as one team's architecture asks); standard and basic by cross-region snapshot copies.
   */
  readonly recovery: { readonly rpoSeconds: number; readonly rtoSeconds: number };
  readonly quota: {
    readonly cpu: string;
    readonly memory: string;
    readonly storage: string;
    readonly pods: string;
  };
  readonly defaultLimits: { readonly cpu: string; readonly memory: string };
  readonly defaultRequests: { readonly cpu: string; readonly memory: string };
}

export const TIERS: Readonly<Record<Tier, TierProfile>> = {
  premium: {
    instanceClass: "db.r6g.large",
    readers: 1,
    backupRetentionDays: 30,
    recovery: { rpoSeconds: 60, rtoSeconds: 300 },
    quota: { cpu: "16", memory: "64Gi", storage: "500Gi", pods: "200" },
    defaultLimits: { cpu: "2", memory: "4Gi" },
    defaultRequests: { cpu: "250m", memory: "512Mi" },
  },
  standard: {
    instanceClass: "db.t4g.large",
    readers: 0,
    backupRetentionDays: 14,
    recovery: { rpoSeconds: 900, rtoSeconds: 1800 },
    quota: { cpu: "8", memory: "32Gi", storage: "200Gi", pods: "100" },
    defaultLimits: { cpu: "1", memory: "2Gi" },
    defaultRequests: { cpu: "100m", memory: "256Mi" },
  },
  basic: {
    instanceClass: "db.t4g.medium",
    readers: 0,
    backupRetentionDays: 7,
    recovery: { rpoSeconds: 3600, rtoSeconds: 3600 },
    quota: { cpu: "2", memory: "8Gi", storage: "50Gi", pods: "30" },
    defaultLimits: { cpu: "500m", memory: "1Gi" },
    defaultRequests: { cpu: "50m", memory: "128Mi" },
  },
};
