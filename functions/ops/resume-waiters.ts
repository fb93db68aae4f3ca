/**
 * Target of the rule on RDS's own state-change events (default bus, `source: aws.rds`): the executions
 * waiting for the resource the event is about (an instance's event counts for its cluster) are resumed
 * once the resource has settled. An event for a resource nobody waits for costs one query.
 */
import { z } from "zod";
import { defineStep } from "../shared/handler.ts";
import {
  clusterArnOfInstance,
  describeResource,
  type ResourceKind,
  resume,
  waitersOf,
} from "./lib/waiters.ts";

/** The part of an `aws.rds` event this needs (the rest is AWS's and may grow). */
export const RdsEvent = z.object({
  source: z.literal("aws.rds"),
  "detail-type": z.string(),
  detail: z.object({
    SourceType: z.string(),
    SourceArn: z.string().min(1),
    EventID: z.string().optional(),
  }),
});

export interface ResumeWaitersResult {
  readonly resourceArn: string | undefined;
  readonly waiting: number;
  readonly resumed: number;
  readonly status?: string;
}

export const handler = defineStep(RdsEvent, async (event): Promise<ResumeWaitersResult> => {
  const { SourceType, SourceArn } = event.detail;
  let resourceArn: string | undefined;
  let kind: ResourceKind;
  if (SourceType === "CLUSTER_SNAPSHOT") {
    resourceArn = SourceArn;
    kind = "rds-cluster-snapshot";
  } else if (SourceType === "CLUSTER") {
    resourceArn = SourceArn;
    kind = "rds-cluster";
  } else if (SourceType === "DB_INSTANCE") {
    resourceArn = await clusterArnOfInstance(SourceArn);
    kind = "rds-cluster";
  } else {
    return { resourceArn: undefined, waiting: 0, resumed: 0 };
  }
  if (!resourceArn) return { resourceArn, waiting: 0, resumed: 0 };
  const waiters = await waitersOf(resourceArn);
  if (waiters.length === 0) return { resourceArn, waiting: 0, resumed: 0 };
  const state = await describeResource(kind, resourceArn);
  if (!state.settled) return { resourceArn, waiting: waiters.length, resumed: 0, status: state.status };
  let resumed = 0;
  for (const waiter of waiters) if (await resume(waiter, state)) resumed++;
  return { resourceArn, waiting: waiters.length, resumed, status: state.status };
});
