/** Fields the tenant steps share in their payloads. */
import { z } from "zod";
import { ExecutionArn } from "../../../events/fields.ts";
import { awsNow } from "../../shared/aws-clients.ts";
import { Tier } from "./tiers.ts";

export { ExecutionArn };

/** Who a step works for: the registered tenant and the execution driving it. */
export const TenantRef = z.object({
  tenantId: z.string().min(1),
  slug: z.string().min(1),
  executionArn: ExecutionArn,
});

export const TenantWithTier = TenantRef.extend({ tier: Tier });

/** Now, as registry timestamps are written: in the cloud's time (simulated locally). */
export function now(): string {
  return new Date(awsNow()).toISOString();
}
