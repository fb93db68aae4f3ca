import type { DeployContext } from "../deploy/context.ts";

/**
 * The region paired with the stage's for disaster recovery: `CPLANE_DR_REGION` when set, else a
 * neighbour on the same continent (the pairs AWS itself suggests for Aurora global databases).
 */
export function pairedRegion(region: string, env: NodeJS.ProcessEnv = process.env): string {
  if (env.CPLANE_DR_REGION) return env.CPLANE_DR_REGION;
  const pairs: Record<string, string> = {
    "us-east-1": "us-west-2",
    "us-west-2": "us-east-1",
    "us-east-2": "us-west-2",
    "eu-west-1": "eu-central-1",
    "eu-central-1": "eu-west-1",
    "eu-west-2": "eu-west-1",
    "ap-southeast-1": "ap-southeast-2",
    "ap-southeast-2": "ap-southeast-1",
    "ap-northeast-1": "ap-northeast-3",
  };
  return pairs[region] ?? "us-west-2";
}

/** Account, region, partition and the shared resources, as one Output for the wiring functions. */
export function deployContext(shared: {
  bus: sst.aws.Bus;
  tenantTable: sst.aws.Dynamo;
  gitWebhookSecret: aws.secretsmanager.Secret;
}) {
  const identity = aws.getCallerIdentityOutput();
  const region = aws.getRegionOutput();
  const partition = aws.getPartitionOutput();
  return $resolve([
    identity.accountId,
    region.name,
    partition.partition,
    shared.bus.name,
    shared.bus.arn,
    shared.tenantTable.name,
    shared.tenantTable.arn,
    shared.gitWebhookSecret.name,
    shared.gitWebhookSecret.arn,
  ]).apply(
    ([
      account,
      regionName,
      partitionName,
      busName,
      busArn,
      tableName,
      tableArn,
      secretName,
      secretArn,
    ]): DeployContext => ({
      app: $app.name,
      stage: $app.stage,
      account,
      region: regionName,
      drRegion: pairedRegion(regionName),
      partition: partitionName,
      resources: {
        bus: { name: busName, arn: busArn },
        tenantTable: { name: tableName, arn: tableArn },
        gitWebhookSecret: { name: secretName, arn: secretArn },
      },
    }),
  );
}
