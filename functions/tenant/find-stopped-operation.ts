/**
 * Clean-up after a tenant execution was stopped or timed out from outside: which tenant it worked on
 * (from its input, as its first step found it), and whether it still owns the tenant. Only an owner is
 * compensated and marked failed; a request that had joined another execution, or one that never got
 * as far as registering, leaves the tenant alone.
 */
import { z } from "zod";
import { defineStep } from "../shared/handler.ts";
import { getTenant, slugOfTenant } from "./lib/registry.ts";
import { resolveSlug } from "./lib/slug.ts";

export const FindStoppedOperationInput = z.object({
  executionArn: z.string().min(1),
  /** The stopped execution's input, as DescribeExecution returned it. */
  input: z.unknown(),
});

export interface FindStoppedOperationResult {
  readonly found: boolean;
  /** True when the registry says the stopped execution drives the tenant. */
  readonly owned: boolean;
  readonly tenantId?: string;
  readonly slug?: string;
  readonly status?: string;
  readonly name?: string;
}

const Request = z.object({
  name: z.string().optional(),
  slug: z.string().optional(),
  tenantId: z.string().optional(),
});

async function slugOf(input: unknown): Promise<string | undefined> {
  const request = Request.safeParse(input);
  if (!request.success) return undefined;
  if (request.data.slug) return request.data.slug;
  if (request.data.tenantId) return slugOfTenant(request.data.tenantId);
  if (!request.data.name) return undefined;
  try {
    return resolveSlug(request.data.name);
  } catch {
    return undefined; // the request was refused at step 1: nothing was registered
  }
}

export const handler = defineStep(
  FindStoppedOperationInput,
  async (event): Promise<FindStoppedOperationResult> => {
    const slug = await slugOf(event.input);
    const tenant = slug ? await getTenant(slug) : undefined;
    const name = Request.safeParse(event.input).data?.name;
    if (!tenant) return { found: false, owned: false, ...(name ? { name } : {}) };
    return {
      found: true,
      owned: tenant.executionArn === event.executionArn,
      tenantId: tenant.tenantId,
      slug: tenant.slug,
      status: tenant.status,
      ...(name ? { name } : {}),
    };
  },
);
