import type { DeployContext } from "../deploy/context.ts";

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
      partition: partitionName,
      resources: {
        bus: { name: busName, arn: busArn },
        tenantTable: { name: tableName, arn: tableArn },
        gitWebhookSecret: { name: secretName, arn: secretArn },
      },
    }),
  );
}
