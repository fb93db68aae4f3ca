/**
 * What tenant access rests on, besides the functions: the tenant app role that tenants' pods assume
 * through Pod Identity, the boundary every operator role is created under, and an EKS access entry for
 * each function whose catalog entry asks for Kubernetes access. The tenant cluster itself is the
 * platform team's (README, "Deploying"); this file only names it.
 */

import type { DeployContext } from "../deploy/context.ts";
import { tenantAccessPolicies } from "../deploy/tenant-access-policies.ts";
import { functionCatalog } from "../functions/catalog.ts";
import { kubernetesAccessOf } from "../functions/shared/catalog.ts";
import { componentName, renderKubernetesAccess } from "./wiring.ts";

export function deployTenantAccess(
  ctx: $util.Output<DeployContext>,
  functions: Record<string, sst.aws.Function>,
) {
  const policies = ctx.apply(tenantAccessPolicies);
  const appRole = new aws.iam.Role("TenantAppRole", {
    name: policies.appRoleName,
    description: "Assumed by every tenant's pods through EKS Pod Identity; reads only its namespace's secret",
    assumeRolePolicy: policies.appRoleTrust.apply((document) => JSON.stringify(document)),
  });
  new aws.iam.RolePolicy("TenantAppRoleSecret", {
    role: appRole.name,
    name: "tenant-secret",
    policy: policies.appRolePolicy.apply((document) => JSON.stringify(document)),
  });
  const operatorBoundary = new aws.iam.Policy("TenantOperatorBoundary", {
    name: policies.operatorBoundaryName,
    description: "Permissions boundary of every tenant operator role",
    policy: policies.operatorBoundary.apply((document) => JSON.stringify(document)),
  });

  // Access entries in the paired region (a failover's steps reach its clusters) go through its provider.
  let drProvider: aws.Provider | undefined;
  const providerFor = (where: string) => {
    if (where === "${region}") return undefined;
    if (where !== "${drRegion}")
      throw new Error(`Kubernetes access in region "${where}": only \${region} or \${drRegion}`);
    drProvider ??= new aws.Provider("DrRegion", { region: ctx.apply((c) => c.drRegion as aws.Region) });
    return drProvider;
  };
  for (const spec of functionCatalog.values()) {
    const fn = functions[spec.id];
    if (!fn) continue;
    for (const [index, kubernetes] of kubernetesAccessOf(spec).entries()) {
      for (const where of kubernetes.regions ?? ["${region}"]) {
        const access = ctx.apply((c) =>
          renderKubernetesAccess(kubernetes, {
            ...c,
            region: where === "${drRegion}" ? c.drRegion : c.region,
          }),
        );
        const provider = providerFor(where);
        const suffix = `${index === 0 ? "" : index + 1}${provider ? "Dr" : ""}`;
        const principalArn = fn.nodes.role.arn;
        const entry = new aws.eks.AccessEntry(
          `${componentName(spec.id)}ClusterAccess${suffix}`,
          { clusterName: access.clusterName, principalArn, type: "STANDARD" },
          { provider },
        );
        new aws.eks.AccessPolicyAssociation(
          `${componentName(spec.id)}ClusterPolicy${suffix}`,
          {
            clusterName: access.clusterName,
            principalArn,
            policyArn: access.policyArn,
            accessScope: { type: "cluster" },
          },
          { dependsOn: [entry], provider },
        );
      }
    }
  }
  return { appRole: appRole.arn, operatorBoundary: operatorBoundary.arn };
}
