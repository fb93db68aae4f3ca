/** The control plane's own event sources. AWS services publish under `aws.*`. */
export const SOURCES = {
  tenants: "cplane.tenants",
  deployments: "cplane.deployments",
  backups: "cplane.backups",
  failover: "cplane.failover",
  git: "cplane.git",
  operations: "cplane.operations",
  cloudwatch: "aws.cloudwatch",
  states: "aws.states",
  rds: "aws.rds",
} as const;

/** Our custom bus: `cplane` locally, `<app>-<stage>-cplane` on AWS (EVENT_BUS_NAME). */
export const CPLANE_BUS = "cplane";
/** AWS services (CloudWatch alarms) publish to the account's default bus. */
export const DEFAULT_BUS = "default";
