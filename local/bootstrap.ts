/**
 * What exists before the first workflow runs, created in the local cloud through the same AWS APIs:
 * what stacks/ deploys (the tenant registry table, the Git webhook secret, the tenant app role and the
 * operator boundary) and what the platform team
 * already runs and cplane manages (the tenants' EKS cluster in each region). Safe to run on every
 * start: what already exists (loaded from .cplane/) is left as it is.
 */
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { CreateClusterCommand, DescribeClusterCommand, EKSClient } from "@aws-sdk/client-eks";
import {
  CreatePolicyCommand,
  CreateRoleCommand,
  GetPolicyCommand,
  GetRoleCommand,
  IAMClient,
  PutRolePolicyCommand,
} from "@aws-sdk/client-iam";
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import type { TenantAccessPolicies } from "../deploy/tenant-access-policies.ts";
import { createAwsClient } from "../functions/shared/aws-clients.ts";
import { BRIEF_FIELDS, TENANT_INDEX } from "../functions/tenant/lib/registry-index.ts";
import type { Clock } from "./clock/clock.ts";

export interface BootstrapOptions {
  readonly clock: Clock;
  readonly account: string;
  readonly regions: readonly string[];
  readonly primaryRegion: string;
  readonly tenantTable: string;
  readonly eksClusterName: string;
  readonly webhookSecretName: string;
  /** The shared secret local webhook deliveries are signed with. */
  readonly webhookSecretValue: string;
  /** The tenant app role and operator boundary, as stacks/tenant-access.ts deploys them. */
  readonly tenantAccess: TenantAccessPolicies;
}

export interface BootstrapResult {
  readonly created: string[];
  /** The webhook secret's full ARN (with the suffix Secrets Manager added), as stacks/ passes it on. */
  readonly webhookSecretArn: string;
}

const notFound = (error: unknown) =>
  error instanceof Error &&
  (error.name === "ResourceNotFoundException" ||
    error.name === "NoSuchEntityException" ||
    error.name.endsWith("NotFoundFault"));

async function exists(probe: () => Promise<unknown>): Promise<boolean> {
  try {
    await probe();
    return true;
  } catch (error) {
    if (notFound(error)) return false;
    throw error;
  }
}

export async function bootstrap(options: BootstrapOptions): Promise<BootstrapResult> {
  const created: string[] = [];
  const dynamodb = createAwsClient(DynamoDBClient, { region: options.primaryRegion, trace: false });
  if (!(await exists(() => dynamodb.send(new DescribeTableCommand({ TableName: options.tenantTable }))))) {
    await dynamodb.send(
      new CreateTableCommand({
        TableName: options.tenantTable,
        AttributeDefinitions: [
          { AttributeName: "pk", AttributeType: "S" },
          { AttributeName: "sk", AttributeType: "S" },
        ],
        KeySchema: [
          { AttributeName: "pk", KeyType: "HASH" },
          { AttributeName: "sk", KeyType: "RANGE" },
        ],
        // As stacks/registry.ts declares it. A table made before the index has none (dynalite cannot
        // add one): listing tenants then scans, as it did before (functions/tenant/lib/registry.ts).
        GlobalSecondaryIndexes: [
          {
            IndexName: TENANT_INDEX,
            KeySchema: [
              { AttributeName: "sk", KeyType: "HASH" },
              { AttributeName: "pk", KeyType: "RANGE" },
            ],
            Projection: { ProjectionType: "INCLUDE", NonKeyAttributes: [...BRIEF_FIELDS] },
          },
        ],
        BillingMode: "PAY_PER_REQUEST",
      }),
    );
    created.push(`dynamodb table ${options.tenantTable}`);
  }

  const secrets = createAwsClient(SecretsManagerClient, { region: options.primaryRegion, trace: false });
  if (
    !(await exists(() => secrets.send(new DescribeSecretCommand({ SecretId: options.webhookSecretName }))))
  ) {
    await secrets.send(
      new CreateSecretCommand({
        Name: options.webhookSecretName,
        Description: "Shared secret local Git webhook deliveries are signed with",
        SecretString: options.webhookSecretValue,
      }),
    );
    created.push(`secret ${options.webhookSecretName}`);
  }

  const { ARN: webhookSecretArn = "" } = await secrets.send(
    new DescribeSecretCommand({ SecretId: options.webhookSecretName }),
  );

  created.push(...(await bootstrapTenantAccess(options)));

  const pending: { eks: EKSClient; region: string }[] = [];
  for (const region of options.regions) {
    const eks = createAwsClient(EKSClient, { region, trace: false });
    if (await exists(() => eks.send(new DescribeClusterCommand({ name: options.eksClusterName })))) continue;
    await eks.send(
      new CreateClusterCommand({
        name: options.eksClusterName,
        roleArn: `arn:aws:iam::${options.account}:role/cplane-local-eks-cluster`,
        resourcesVpcConfig: { subnetIds: [`subnet-${region}-a`, `subnet-${region}-b`] },
        accessConfig: { authenticationMode: "API" },
        tags: { "cplane:role": "tenants" },
      }),
    );
    pending.push({ eks, region });
    created.push(`eks cluster ${options.eksClusterName} (${region})`);
  }
  // The platform's clusters predate cplane: move simulated time on until they are ACTIVE.
  for (const { eks, region } of pending) {
    for (let waited = 0; ; waited += 30_000) {
      const { cluster } = await eks.send(new DescribeClusterCommand({ name: options.eksClusterName }));
      if (cluster?.status === "ACTIVE") break;
      if (cluster?.status === "FAILED" || waited > 60 * 60_000) {
        throw new Error(
          `EKS cluster ${options.eksClusterName} in ${region} did not become ACTIVE (${cluster?.status})`,
        );
      }
      await options.clock.advance(30_000);
    }
  }
  return { created, webhookSecretArn };
}

/** The tenant app role (with its inline policy) and the operator boundary policy. */
async function bootstrapTenantAccess(options: BootstrapOptions): Promise<string[]> {
  const created: string[] = [];
  const { tenantAccess: access } = options;
  const iam = createAwsClient(IAMClient, { region: options.primaryRegion, trace: false });
  const boundaryArn = `arn:aws:iam::${options.account}:policy/${access.operatorBoundaryName}`;
  if (!(await exists(() => iam.send(new GetPolicyCommand({ PolicyArn: boundaryArn }))))) {
    await iam.send(
      new CreatePolicyCommand({
        PolicyName: access.operatorBoundaryName,
        Description: "Permissions boundary of every tenant operator role",
        PolicyDocument: JSON.stringify(access.operatorBoundary),
      }),
    );
    created.push(`iam policy ${access.operatorBoundaryName}`);
  }
  if (!(await exists(() => iam.send(new GetRoleCommand({ RoleName: access.appRoleName }))))) {
    await iam.send(
      new CreateRoleCommand({
        RoleName: access.appRoleName,
        Description:
          "Assumed by every tenant's pods through EKS Pod Identity; reads only its namespace's secret",
        AssumeRolePolicyDocument: JSON.stringify(access.appRoleTrust),
      }),
    );
    created.push(`iam role ${access.appRoleName}`);
  }
  // Put on every start: a changed inline policy in a newer checkout reaches a saved cloud (the trust policy
  // and the boundary are made once; `cplane reset` or --fresh takes a changed one).
  await iam.send(
    new PutRolePolicyCommand({
      RoleName: access.appRoleName,
      PolicyName: "tenant-secret",
      PolicyDocument: JSON.stringify(access.appRolePolicy),
    }),
  );
  return created;
}
