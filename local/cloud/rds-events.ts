/**
 * What RDS publishes on the default bus when a resource changes state, in the shape AWS documents for
 * its EventBridge events (`source: aws.rds`, detail-types `RDS DB Cluster Event`, `RDS DB Instance
 * Event`, `RDS DB Cluster Snapshot Event`; detail `EventCategories`, `SourceType`, `SourceArn`,
 * `SourceIdentifier`, `Date`, `Message`, `EventID`). Source: Amazon EventBridge events reference,
 * "Amazon Relational Database Service events", and the RDS User Guide's event categories and messages
 * for Aurora. Workflows wake on these (`ops/await-resource`) instead of polling.
 */
import type { CloudContext } from "./context.ts";

export type RdsSourceType = "CLUSTER" | "DB_INSTANCE" | "CLUSTER_SNAPSHOT";

const DETAIL_TYPE: Record<RdsSourceType, string> = {
  CLUSTER: "RDS DB Cluster Event",
  DB_INSTANCE: "RDS DB Instance Event",
  CLUSTER_SNAPSHOT: "RDS DB Cluster Snapshot Event",
};

/** The RDS events the local cloud emits, by what happened (ids and messages as the RDS User Guide lists them). */
export const RDS_EVENTS = {
  clusterCreated: { id: "RDS-EVENT-0170", message: "DB cluster created", categories: ["creation"] },
  clusterDeleted: { id: "RDS-EVENT-0171", message: "DB cluster deleted", categories: ["deletion"] },
  instanceCreated: { id: "RDS-EVENT-0005", message: "DB instance created", categories: ["creation"] },
  manualSnapshotCreated: {
    id: "RDS-EVENT-0075",
    message: "Manual cluster snapshot created",
    categories: ["backup"],
  },
  automatedSnapshotCreated: {
    id: "RDS-EVENT-0169",
    message: "Automated cluster backup created",
    categories: ["backup"],
  },
} as const;

export type RdsEvent = (typeof RDS_EVENTS)[keyof typeof RDS_EVENTS];

export function emitRdsEvent(
  ctx: CloudContext,
  sourceType: RdsSourceType,
  resource: { readonly arn: string; readonly id: string; readonly region: string },
  event: RdsEvent,
): void {
  ctx.emit({
    "detail-type": DETAIL_TYPE[sourceType],
    source: "aws.rds",
    region: resource.region,
    resources: [resource.arn],
    detail: {
      EventCategories: [...event.categories],
      SourceType: sourceType,
      SourceArn: resource.arn,
      Date: new Date(ctx.clock.now()).toISOString(),
      Message: event.message,
      SourceIdentifier: resource.id,
      EventID: event.id,
    },
  });
}
