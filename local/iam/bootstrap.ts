/**
 * What stacks/ deploys for each function's identity, made in the local cloud through the same AWS APIs:
 * its role with its catalog statements as inline policy, and, for a function whose catalog entry asks for
 * Kubernetes access, an EKS access entry with that access policy at cluster scope on each cluster and
 * region it names. Roles are made once;
 * their policy is put on every start, so that a changed catalog reaches a saved cloud. A cluster that
 * does not exist (a runtime started without the demo fleet) gets no entries: there is nothing to reach.
 */
import {
  AssociateAccessPolicyCommand,
  CreateAccessEntryCommand,
  DescribeAccessEntryCommand,
  DescribeClusterCommand,
  EKSClient,
} from "@aws-sdk/client-eks";
import { CreateRoleCommand, GetRoleCommand, IAMClient, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import type { DeployContext } from "../../deploy/context.ts";
import { kubernetesAccessEntries } from "../../deploy/kubernetes-access.ts";
import { createAwsClient } from "../../functions/shared/aws-clients.ts";
import type { FunctionId, FunctionSpec } from "../../functions/shared/catalog.ts";
import { CATALOG_POLICY, catalogPolicy, functionRoleName, LAMBDA_TRUST } from "./roles.ts";

const missing = (error: unknown) =>
  error instanceof Error &&
  (error.name === "NoSuchEntityException" || error.name === "ResourceNotFoundException");

export interface RoleToPut {
  readonly name: string;
  readonly description: string;
  readonly trust: unknown;
  readonly tags: { Key: string; Value: string }[];
  readonly policyName: string;
  readonly policy: unknown;
}

/**
 * Makes a role unless it exists, then puts its one inline policy (on every start, so that a changed
 * catalog or definition reaches a saved cloud); says whether it made the role.
 */
export async function putRole(iam: IAMClient, role: RoleToPut): Promise<{ arn: string; created: boolean }> {
  const found = await iam.send(new GetRoleCommand({ RoleName: role.name })).catch((error: unknown) => {
    if (missing(error)) return undefined;
    throw error;
  });
  let arn = found?.Role?.Arn;
  if (!arn) {
    const made = await iam.send(
      new CreateRoleCommand({
        RoleName: role.name,
        Description: role.description,
        AssumeRolePolicyDocument: JSON.stringify(role.trust),
        Tags: role.tags,
      }),
    );
    arn = made.Role?.Arn as string;
  }
  await iam.send(
    new PutRolePolicyCommand({
      RoleName: role.name,
      PolicyName: role.policyName,
      PolicyDocument: JSON.stringify(role.policy),
    }),
  );
  return { arn, created: !found?.Role?.Arn };
}

/** Creates (or updates) every function's role and access entry; returns what it created. */
export async function bootstrapFunctionRoles(
  catalog: ReadonlyMap<FunctionId, FunctionSpec>,
  ctx: DeployContext,
): Promise<string[]> {
  const created: string[] = [];
  const iam = createAwsClient(IAMClient, { region: ctx.region, trace: false });
  const eksClients = new Map<string, EKSClient>();
  const eksIn = (region: string) => {
    let client = eksClients.get(region);
    if (!client) {
      client = createAwsClient(EKSClient, { region, trace: false });
      eksClients.set(region, client);
    }
    return client;
  };
  const clusters = new Map<string, Promise<boolean>>();
  const clusterExists = (name: string, region: string) => {
    let known = clusters.get(`${region}/${name}`);
    if (!known) {
      known = eksIn(region)
        .send(new DescribeClusterCommand({ name }))
        .then(
          () => true,
          (error: unknown) => {
            if (missing(error)) return false;
            throw error;
          },
        );
      clusters.set(`${region}/${name}`, known);
    }
    return known;
  };
  for (const spec of catalog.values()) {
    const roleName = functionRoleName(spec.id, ctx);
    const { arn: roleArn, created: made } = await putRole(iam, {
      name: roleName,
      description: `Role of function ${spec.id}: its catalog statements`,
      trust: LAMBDA_TRUST,
      tags: [{ Key: "cplane:function", Value: spec.id }],
      policyName: CATALOG_POLICY,
      policy: catalogPolicy(spec, ctx),
    });
    if (made) created.push(`iam role ${roleName}`);
    for (const { clusterName, region, policyArn } of kubernetesAccessEntries(spec, ctx)) {
      if (!(await clusterExists(clusterName, region))) continue;
      const eks = eksIn(region);
      const entry = { clusterName, principalArn: roleArn };
      const exists = await eks.send(new DescribeAccessEntryCommand(entry)).then(
        () => true,
        (error: unknown) => {
          if (missing(error)) return false;
          throw error;
        },
      );
      if (!exists) {
        await eks.send(new CreateAccessEntryCommand(entry));
        created.push(`eks access entry ${roleName} on ${clusterName} (${region})`);
      }
      await eks.send(
        new AssociateAccessPolicyCommand({ ...entry, policyArn, accessScope: { type: "cluster" } }),
      );
    }
  }
  return created;
}
