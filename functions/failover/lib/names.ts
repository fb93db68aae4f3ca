/** Names of a tenant's DR resources, derived from its slug like every other tenant resource. */
import { tenantNames } from "../../tenant/lib/slug.ts";

/**
 * A tenant's cluster keeps its identifier in either region (identifiers are per region), so that its
 * global secondary, or the cluster restored from its copy, is found by the same name wherever it runs.
 */
export function drNames(slug: string) {
  const names = tenantNames(slug);
  return {
    ...names,
    globalClusterIdentifier: `${names.clusterIdentifier}-global`,
    /** DR snapshots and their copies: `tenant-<slug>-dr-<yyyymmddhhmmss>` (the copy keeps the id). */
    snapshotPrefix: `${names.clusterIdentifier}-dr-`,
  };
}

/** `20260301T120000` style stamp (snapshot identifiers allow letters, digits and hyphens). */
export function stamp(at: number): string {
  return new Date(at).toISOString().replace(/[-:]/g, "").replace(/\..*$/, "").replace("T", "-").toLowerCase();
}

/** The KMS key RDS encrypts with by default in a region (a cross-region encrypted copy needs one). */
export function defaultRdsKey(region: string, account: string): string {
  return `arn:aws:kms:${region}:${account}:alias/aws/rds`;
}

/** The account an ARN names. */
export function accountOfArn(arn: string): string {
  return arn.split(":")[4] ?? "";
}
