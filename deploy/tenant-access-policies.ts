/**
 * The IAM that tenant access rests on, as documents: the tenant app role that every tenant's pods assume
 * through EKS Pod Identity, and the permissions boundary every operator role is created under. Pure, so
 * that stacks/tenant-access.ts deploys them and the local runtime's bootstrap creates the same ones.
 *
 * One app role serves every tenant: Pod Identity tags each session with the pod's namespace (EKS User
 * Guide, "Enable or disable session tags"), and the role's policy reads only the secret under that
 * namespace's name, `cplane/tenants/<namespace>/db`. The namespace is the tenant's slug.
 */
import {
  TENANT_APP_ROLE_NAME,
  TENANT_CLUSTER_NAME,
  TENANT_OPERATOR_BOUNDARY_NAME,
  TENANT_OPERATOR_ROLE_PREFIX,
} from "../functions/tenant/catalog.ts";
import { SERVICE_ACCOUNT } from "../functions/tenant/lib/namespace.ts";
import { operatorRoleArn } from "../functions/tenant/lib/operator-role.ts";
import { type DeployContext, fillPlaceholders } from "./context.ts";

export interface PolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: readonly Record<string, unknown>[];
}

export interface TenantAccessPolicies {
  readonly appRoleName: string;
  readonly appRoleTrust: PolicyDocument;
  /** Inline policy of the app role. */
  readonly appRolePolicy: PolicyDocument;
  readonly operatorBoundaryName: string;
  readonly operatorBoundary: PolicyDocument;
}

/** The tenant cluster by name; created outside this app (see README, "Deploying"). */
export const tenantClusterName = (ctx: DeployContext) => fillPlaceholders(TENANT_CLUSTER_NAME, ctx);

export function tenantAccessPolicies(ctx: DeployContext): TenantAccessPolicies {
  const clusterArn = `arn:${ctx.partition}:eks:${ctx.region}:${ctx.account}:cluster/${tenantClusterName(ctx)}`;
  // The paired region's tenant cluster holds the tenant's DR space: its operators reach it there too.
  const drClusterArn = `arn:${ctx.partition}:eks:${ctx.drRegion}:${ctx.account}:cluster/${tenantClusterName(ctx)}`;
  // Refuses, at deploy time, an app and stage too long to leave room for a tenant in an operator role's
  // name; otherwise onboarding would find out at its fifth step, after the database was made.
  operatorRoleArn(
    {
      operatorRoleArnPrefix: fillPlaceholders(TENANT_OPERATOR_ROLE_PREFIX, ctx),
      operatorBoundaryArn: "",
      clusterArn,
    },
    "a",
  );
  return {
    appRoleName: fillPlaceholders(TENANT_APP_ROLE_NAME, ctx),
    appRoleTrust: {
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Service: "pods.eks.amazonaws.com" },
          Action: ["sts:AssumeRole", "sts:TagSession"],
          // Only the tenant cluster's `tenant-app` service accounts, in this account.
          Condition: {
            StringEquals: {
              "aws:SourceAccount": ctx.account,
              "aws:RequestTag/eks-cluster-arn": clusterArn,
              "aws:RequestTag/kubernetes-service-account": SERVICE_ACCOUNT,
            },
          },
        },
      ],
    },
    appRolePolicy: {
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Action: "secretsmanager:GetSecretValue",
          // A policy variable, not a wildcard: the session's own namespace tag picks the one secret
          // (`??????` is the random suffix Secrets Manager adds to every secret's ARN).
          Resource: `arn:${ctx.partition}:secretsmanager:${ctx.region}:${ctx.account}:secret:cplane/tenants/\${aws:PrincipalTag/kubernetes-namespace}/db-??????`,
        },
      ],
    },
    operatorBoundaryName: fillPlaceholders(TENANT_OPERATOR_BOUNDARY_NAME, ctx),
    operatorBoundary: {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "eks:DescribeCluster", Resource: [clusterArn, drClusterArn] }],
    },
  };
}
