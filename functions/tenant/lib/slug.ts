/**
 * Tenant slugs. One slug names the tenant everywhere: Kubernetes namespace (RFC 1123 label),
 * RDS cluster identifier (`tenant-<slug>`, letters/digits/single hyphens, starts with a letter,
 * at most 63 with the `-writer`/`-reader` suffixes of its instances), DNS label of `<slug>.<domain>`.
 * Keeping a slug to lowercase letters, digits and single hyphens, starting with a letter, ending
 * with a letter or digit, at most 40 characters, satisfies all of them.
 */
import { InvalidSlugError, ReservedSlugError } from "./errors.ts";

export const MAX_SLUG_LENGTH = 40;
/** The slug syntax (without the length limit), also published in the request events' JSON Schema. */
export const SLUG = /^[a-z](?:[a-z0-9]|-(?=[a-z0-9]))*$/;

export const RESERVED_SLUGS: ReadonlySet<string> = new Set([
  "admin",
  "api",
  "app",
  "auth",
  "aws",
  "cert-manager",
  "console",
  "cplane",
  "default",
  "dns",
  "ingress-nginx",
  "internal",
  "mail",
  "monitoring",
  "root",
  "status",
  "support",
  "system",
  "www",
]);
const RESERVED_PREFIXES = ["kube-", "eks-", "aws-", "cplane-"];

/** Whether `slug` is syntactically valid (reserved ones included). */
export function isValidSlug(slug: string): boolean {
  return slug.length <= MAX_SLUG_LENGTH && SLUG.test(slug);
}

export function isReservedSlug(slug: string): boolean {
  return RESERVED_SLUGS.has(slug) || RESERVED_PREFIXES.some((prefix) => slug.startsWith(prefix));
}

/** Derives a slug from a display name: `Café Müller GmbH` → `cafe-muller-gmbh`. */
export function deriveSlug(name: string): string {
  let slug = name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^[^a-z]+/, "");
  slug = slug.slice(0, MAX_SLUG_LENGTH).replace(/-+$/, "");
  if (slug === "") {
    throw new InvalidSlugError(`cannot derive a slug from the name "${name}"`, [
      "name: needs at least one latin letter; give a slug explicitly",
    ]);
  }
  return slug;
}

/** The slug to use: the given one after checking it, or one derived from the name; never a reserved one. */
export function resolveSlug(name: string, given?: string): string {
  const slug = given ?? deriveSlug(name);
  if (!isValidSlug(slug)) {
    throw new InvalidSlugError(`invalid slug "${slug}"`, [
      `slug: lowercase letters, digits and single hyphens, starting with a letter, at most ${MAX_SLUG_LENGTH} characters`,
    ]);
  }
  if (isReservedSlug(slug))
    throw new ReservedSlugError(`slug "${slug}" is reserved`, [`slug: "${slug}" is reserved`]);
  return slug;
}

/** Names every resource of a tenant derives from its slug. */
export function tenantNames(slug: string, secretPrefix = "cplane/tenants") {
  return {
    namespace: slug,
    clusterIdentifier: `tenant-${slug}`,
    writerIdentifier: `tenant-${slug}-writer`,
    readerIdentifier: `tenant-${slug}-reader`,
    finalSnapshotIdentifier: `tenant-${slug}-final`,
    secretName: `${secretPrefix}/${slug}/db`,
  };
}
