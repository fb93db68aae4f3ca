/**
 * The registry's index of items by their sort key (`sk` hashed, `pk` ranged): `sk = TENANT` holds the
 * tenant items and nothing else, so the fleet is listed by reading the tenants alone. The table also
 * holds run reports, aliases, leases and streaks, which a Scan reads too: at 50 tenants a Scan read
 * 470 KB, 131 KB of it tenants and 301 KB reports, and the reports grow with every run that writes one.
 * The index projects a tenant's brief (no history). Shared by the handlers, the stacks and the local
 * runtime, which make the table (no AWS SDK here).
 */
export const TENANT_INDEX = "by-kind";

/** A tenant in brief: what the upkeep reads of every tenant on every run. */
export const BRIEF_FIELDS = [
  "slug",
  "tenantId",
  "tier",
  "status",
  "region",
  "createdAt",
  "leftovers",
] as const;
