/**
 * How an event contract is written: its source, its detail-type and one zod schema for its detail,
 * shared by the publisher and every consumer. `envelopeSchema` validates a whole EventBridge event.
 */
import { z } from "zod";

export interface EventContract<Detail extends z.ZodType = z.ZodType> {
  readonly source: string;
  readonly detailType: string;
  readonly description: string;
  readonly detail: Detail;
}

export type DetailOf<C extends EventContract> = z.infer<C["detail"]>;

export function defineEvent<Detail extends z.ZodType>(
  contract: EventContract<Detail>,
): EventContract<Detail> {
  return contract;
}

/** The whole event as EventBridge delivers it, with this contract's source, detail-type and detail. */
export function envelopeSchema<C extends EventContract>(contract: C) {
  return z.object({
    version: z.literal("0"),
    id: z.string().min(1),
    "detail-type": z.literal(contract.detailType),
    source: z.literal(contract.source),
    account: z.string().regex(/^\d{12}$/),
    time: z.iso.datetime(),
    region: z.string().min(1),
    resources: z.array(z.string()),
    detail: contract.detail as C["detail"],
  });
}

/** File-name stem of a contract: `cplane.tenants.tenant-requested`. */
export function contractFileStem(contract: EventContract): string {
  return `${contract.source}.${contract.detailType.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`;
}
