/**
 * Clients in either region of the pair, made once per region: a failover talks to the region it
 * leaves (to see whether it still answers) and the one it goes to. Route 53 is global.
 */
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { EKSClient } from "@aws-sdk/client-eks";
import { RDSClient } from "@aws-sdk/client-rds";
import { Route53Client } from "@aws-sdk/client-route-53";
import { createAwsClient, lazyAwsClient } from "../../shared/aws-clients.ts";
import { awsRegion, optionalEnv, requireEnv } from "../../shared/env.ts";

function memo<C>(make: (region: string) => C): (region: string) => C {
  const clients = new Map<string, C>();
  return (region) => {
    const client = clients.get(region) ?? make(region);
    clients.set(region, client);
    return client;
  };
}

export const rdsIn = memo((region) => createAwsClient(RDSClient, { region }));
export const eksIn = memo((region) => createAwsClient(EKSClient, { region }));
export const cloudwatchIn = memo((region) => createAwsClient(CloudWatchClient, { region }));
export const route53 = lazyAwsClient(Route53Client);

/** The stage's region and its DR pair (`DR_REGION`, `${drRegion}` in the catalog). */
export function regionPair(): { readonly home: string; readonly dr: string } {
  return { home: awsRegion(), dr: requireEnv("DR_REGION") };
}

/** The region of the pair that is not `region`. */
export function otherRegion(region: string): string {
  const { home, dr } = regionPair();
  return region === home ? dr : home;
}

/** The region an RDS ARN names (`arn:aws:rds:<region>:...`). */
export function regionOfArn(arn: string): string {
  return arn.split(":")[3] ?? "";
}

/** True when an SDK error looks like a region that does not answer (time-out, refused, reset). */
export function isOutage(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return (
    error.name === "TimeoutError" ||
    code === "ETIMEDOUT" ||
    code === "ECONNREFUSED" ||
    code === "ECONNRESET" ||
    code === "EHOSTUNREACH"
  );
}

/** The platform's own resources, by configuration (the demo fleet's names locally). */
export function platform() {
  return {
    globalCluster: optionalEnv("PLATFORM_GLOBAL_CLUSTER", "cplane-platform"),
    /** `{region}` is replaced: one EKS cluster per region. */
    computeCluster: (region: string) =>
      optionalEnv("PLATFORM_EKS_CLUSTER", "cplane-{region}").replace("{region}", region),
    nodegroup: optionalEnv("PLATFORM_NODEGROUP", "general"),
    namespace: optionalEnv("PLATFORM_NAMESPACE", "shop"),
    zone: optionalEnv("PLATFORM_ZONE", "cplane.example.com"),
    record: optionalEnv("PLATFORM_RECORD", "api.cplane.example.com"),
  };
}
