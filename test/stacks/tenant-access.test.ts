import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { renderEnvironment } from "../../deploy/context.ts";
import { kubernetesAccessEntries } from "../../deploy/kubernetes-access.ts";
import { tenantAccessPolicies } from "../../deploy/tenant-access-policies.ts";
import { functionCatalog } from "../../functions/catalog.ts";
import {
  defineFunctionCatalog,
  type FunctionSpec,
  kubernetesAccessOf,
} from "../../functions/shared/catalog.ts";
import { operatorRoleArn } from "../../functions/tenant/lib/operator-role.ts";
import { functionPermissions, renderKubernetesAccess } from "../../stacks/wiring.ts";
import { ctx } from "./support.ts";

const CLUSTER_ARN = "arn:aws:eks:eu-west-1:123456789012:cluster/cplane-prod-tenants";
const DR_CLUSTER_ARN = `arn:aws:eks:${ctx.drRegion}:123456789012:cluster/cplane-prod-tenants`;
const policies = tenantAccessPolicies(ctx);

/** IAM's glob: `*` any run of characters, `?` one. */
const globMatches = (pattern: string, value: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
  ).test(value);

function spec(id: string): FunctionSpec {
  const found = functionCatalog.get(id as FunctionSpec["id"]);
  if (!found) throw new Error(`no ${id} in the catalog`);
  return found;
}

describe("the tenant app role", () => {
  it("is assumable only by Pod Identity for the tenant cluster's tenant-app service accounts", () => {
    expect(policies.appRoleName).toBe("cplane-prod-tenant-app");
    expect(policies.appRoleTrust.Statement).toEqual([
      {
        Effect: "Allow",
        Principal: { Service: "pods.eks.amazonaws.com" },
        Action: ["sts:AssumeRole", "sts:TagSession"],
        Condition: {
          StringEquals: {
            "aws:SourceAccount": "123456789012",
            "aws:RequestTag/eks-cluster-arn": CLUSTER_ARN,
            "aws:RequestTag/kubernetes-service-account": "tenant-app",
          },
        },
      },
    ]);
  });

  it("reads only the secret of the namespace its session is tagged with", () => {
    const [statement, ...rest] = policies.appRolePolicy.Statement;
    expect(rest).toEqual([]);
    expect(statement).toEqual({
      Effect: "Allow",
      Action: "secretsmanager:GetSecretValue",
      Resource:
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:cplane/tenants/${aws:PrincipalTag/kubernetes-namespace}/db-??????",
    });
    // With the variable resolved for namespace acme: acme's secret, not another tenant's or a longer name.
    const forAcme = String(statement?.Resource).replace("${aws:PrincipalTag/kubernetes-namespace}", "acme");
    const secret = (name: string) => `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${name}-AbCdEf`;
    expect(globMatches(forAcme, secret("cplane/tenants/acme/db"))).toBe(true);
    expect(globMatches(forAcme, secret("cplane/tenants/globex/db"))).toBe(false);
    expect(globMatches(forAcme, secret("cplane/tenants/acme/db-admin"))).toBe(false);
  });

  it("is the role create-namespace passes to Pod Identity", () => {
    const env = renderEnvironment(spec("tenant/create-namespace"), ctx);
    expect(env.TENANT_APP_ROLE_ARN).toBe(`arn:aws:iam::123456789012:role/${policies.appRoleName}`);
  });
});

describe("operator roles", () => {
  it("are checked at deploy time: an app and stage too long to leave room for a tenant are refused", () => {
    expect(() => tenantAccessPolicies({ ...ctx, stage: "a-stage-name-far-too-long-for-iam" })).toThrow(
      expect.objectContaining({ name: "InvalidConfigurationError" }),
    );
  });

  const createNamespace = spec("tenant/create-namespace");
  const env = renderEnvironment(createNamespace, ctx);
  const settings = {
    operatorRoleArnPrefix: env.TENANT_OPERATOR_ROLE_ARN_PREFIX ?? "",
    operatorBoundaryArn: env.TENANT_OPERATOR_BOUNDARY_ARN ?? "",
    clusterArn: env.EKS_CLUSTER_ARN ?? "",
  };
  const statement = (action: string) =>
    functionPermissions(createNamespace, ctx).find((p) => p.actions.includes(action));

  it("are created under the boundary the stack deploys, which allows describing the tenant clusters and nothing else", () => {
    expect(settings.operatorBoundaryArn).toBe(
      `arn:aws:iam::123456789012:policy/${policies.operatorBoundaryName}`,
    );
    expect(statement("iam:CreateRole")?.conditions).toEqual([
      { test: "StringEquals", variable: "iam:PermissionsBoundary", values: [settings.operatorBoundaryArn] },
    ]);
    expect(policies.operatorBoundary.Statement).toEqual([
      { Effect: "Allow", Action: "eks:DescribeCluster", Resource: [CLUSTER_ARN, DR_CLUSTER_ARN] },
    ]);
    expect(settings.clusterArn).toBe(CLUSTER_ARN);
    expect(env.EKS_DR_CLUSTER_ARN).toBe(DR_CLUSTER_ARN);
  });

  it("have names that create-namespace may create and offboarding may delete, short slugs and long ones alike", () => {
    const longest = `${"x".repeat(61)}-y`;
    const removal = functionPermissions(spec("tenant/remove-namespace"), ctx).find((p) =>
      p.actions.includes("iam:DeleteRole"),
    );
    for (const slug of ["acme", longest]) {
      const arn = operatorRoleArn(settings, slug);
      for (const action of ["iam:GetRole", "iam:CreateRole", "iam:PutRolePolicy", "iam:TagRole"]) {
        expect(statement(action)?.resources.some((pattern) => globMatches(pattern, arn))).toBe(true);
      }
      expect(removal?.resources.some((pattern) => globMatches(pattern, arn))).toBe(true);
    }
    // ...but never the app role, which shares the name prefix.
    const appRole = `arn:aws:iam::123456789012:role/${policies.appRoleName}`;
    expect(statement("iam:CreateRole")?.resources.some((pattern) => globMatches(pattern, appRole))).toBe(
      false,
    );
    expect(removal?.resources.some((pattern) => globMatches(pattern, appRole))).toBe(false);
  });
});

describe("Kubernetes access of functions", () => {
  it("is given to exactly the functions whose handlers call the Kubernetes API", () => {
    for (const entry of functionCatalog.values()) {
      const callsKubernetes = readFileSync(entry.handler, "utf8").includes("kubernetesClient(");
      expect({ id: entry.id, access: entry.kubernetes !== undefined }).toEqual({
        id: entry.id,
        access: callsKubernetes,
      });
    }
  });

  it("is an access entry on the tenant cluster with the cluster admin policy", () => {
    const [access] = kubernetesAccessOf(spec("tenant/create-namespace"));
    expect(access && renderKubernetesAccess(access, ctx)).toEqual({
      clusterName: "cplane-prod-tenants",
      policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
    });
  });

  it("is an access entry in each region a failover step reaches, on each of its clusters", () => {
    expect(kubernetesAccessEntries(spec("failover/scale-workloads"), ctx)).toEqual(
      [ctx.region, ctx.drRegion]
        .flatMap((region) => [
          {
            clusterName: `cplane-${region}`,
            region,
            policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy",
          },
        ])
        .concat(
          [ctx.region, ctx.drRegion].map((region) => ({
            clusterName: "cplane-prod-tenants",
            region,
            policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy",
          })),
        ),
    );
    // Onboarding's DR step only in the paired region (its home namespace is create-namespace's).
    expect(kubernetesAccessEntries(spec("failover/ensure-dr"), ctx)).toEqual([
      {
        clusterName: "cplane-prod-tenants",
        region: ctx.drRegion,
        policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
      },
    ]);
  });

  it("is refused in a catalog without a reason or with something other than an EKS access policy", () => {
    const base = spec("tenant/create-namespace");
    const withAccess = (kubernetes: FunctionSpec["kubernetes"]) => () =>
      defineFunctionCatalog([{ ...base, kubernetes }]);
    expect(
      withAccess({ cluster: "c", accessPolicy: "arn:aws:iam::aws:policy/AdministratorAccess", reason: "r" }),
    ).toThrow(/not an EKS cluster access policy/);
    expect(
      withAccess({
        cluster: "c",
        accessPolicy: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
        reason: " ",
      }),
    ).toThrow(/needs a reason/);
  });
});
