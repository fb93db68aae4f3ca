/**
 * After a tenant's database moved (a global database promoted, a restore, a fail back): its secret, as
 * apps in that region read it, names the cluster now writing (lib/secret-endpoint.ts). Returns the
 * secret's ARN and the endpoint, never the value. The platform's own database (no tenant) is skipped.
 */
import { z } from "zod";
import { defineStep } from "../shared/handler.ts";
import { type PointedSecret, pointSecret } from "./lib/secret-endpoint.ts";

export const PointSecretInput = z.object({
  /** The tenant's slug, or `platform`. */
  subject: z.string().min(1),
  tenantId: z.string().nullable(),
  /** The cluster now writing: its identifier or ARN in `region`. */
  cluster: z.string().min(1),
  region: z.string().min(1),
  executionArn: z.string().min(1),
});

export const handler = defineStep(
  PointSecretInput,
  async (input): Promise<PointedSecret | { skipped: string }> => {
    if (input.tenantId === null) return { skipped: `${input.subject} has no tenant secret` };
    return pointSecret(input.subject, input.cluster, input.region);
  },
);
