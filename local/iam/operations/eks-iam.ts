/**
 * EKS and IAM. EKS access entries carry `eks:principalArn`, access policy associations `eks:policyArn`,
 * `eks:accessScope` and `eks:namespaces`; creating a Pod Identity association or a cluster passes a role
 * (`iam:PassRole` with `iam:PassedToService`). IAM role calls carry `iam:PermissionsBoundary`: the one asked
 * for on CreateRole, the role's own on the calls that change its policies.
 */
import { accessEntryPrincipalPath } from "../../cloud/eks.ts";
import {
  type ContextValues,
  hasTags,
  type Lookup,
  type MappedRequest,
  type OperationMapping,
  request,
  requestTags,
  str,
} from "./types.ts";

const eksBase = (l: Lookup) => `arn:aws:eks:${l.region}:${l.account}`;
const eksCluster = (name: unknown, l: Lookup) => `${eksBase(l)}:cluster/${str(name) || "*"}`;
/** An entry that does not exist (yet) is named by its cluster and principal, its UUID a wildcard. */
const accessEntry = (input: Record<string, unknown>, l: Lookup) =>
  l.accessEntryArn(str(input.clusterName), str(input.principalArn)) ??
  `${eksBase(l)}:access-entry/${str(input.clusterName)}/${accessEntryPrincipalPath(str(input.principalArn))}/*`;
const passRole = (role: unknown, service: string): MappedRequest =>
  request("iam:PassRole", str(role), { "iam:PassedToService": service });

/** Creating with tags needs `eks:TagResource` as well, with the request tags. */
const tagged = (out: MappedRequest[], arn: string, tags: unknown) =>
  hasTags(tags) ? [...out, request("eks:TagResource", arn, requestTags(tags))] : out;

const onCluster =
  (action: string, field = "name"): OperationMapping =>
  (input, l) => [request(`eks:${action}`, eksCluster(input[field], l))];

const principal = (input: Record<string, unknown>) => ({ "eks:principalArn": str(input.principalArn) });

export const eksMappings: Record<string, OperationMapping> = {
  CreateCluster: (input, l) =>
    tagged(
      // CreateCluster has no resource type in IAM: `*`, with the request tags.
      [
        request("eks:CreateCluster", "*", requestTags(input.tags)),
        passRole(input.roleArn, "eks.amazonaws.com"),
      ],
      eksCluster(input.name, l),
      input.tags,
    ),
  DescribeCluster: onCluster("DescribeCluster"),
  ListClusters: () => [request("eks:ListClusters", "*")],
  DeleteCluster: onCluster("DeleteCluster"),
  CreateNodegroup: (input, l) =>
    tagged(
      [
        request("eks:CreateNodegroup", eksCluster(input.clusterName, l), requestTags(input.tags)),
        passRole(input.nodeRole, "eks.amazonaws.com"),
      ],
      eksCluster(input.clusterName, l),
      input.tags,
    ),
  DescribeNodegroup: (input, l) => [
    request(
      "eks:DescribeNodegroup",
      l.nodegroupArn(str(input.clusterName), str(input.nodegroupName)) ??
        `${eksBase(l)}:nodegroup/${str(input.clusterName)}/${str(input.nodegroupName)}/*`,
    ),
  ],
  ListNodegroups: onCluster("ListNodegroups", "clusterName"),
  UpdateNodegroupConfig: (input, l) => [
    request(
      "eks:UpdateNodegroupConfig",
      l.nodegroupArn(str(input.clusterName), str(input.nodegroupName)) ??
        `${eksBase(l)}:nodegroup/${str(input.clusterName)}/${str(input.nodegroupName)}/*`,
    ),
  ],
  DescribeUpdate: (input, l) => [
    request(
      "eks:DescribeUpdate",
      input.nodegroupName
        ? (l.nodegroupArn(str(input.name), str(input.nodegroupName)) ?? eksCluster(input.name, l))
        : eksCluster(input.name, l),
    ),
  ],
  DeleteNodegroup: (input, l) => [
    request(
      "eks:DeleteNodegroup",
      l.nodegroupArn(str(input.clusterName), str(input.nodegroupName)) ??
        `${eksBase(l)}:nodegroup/${str(input.clusterName)}/${str(input.nodegroupName)}/*`,
    ),
  ],
  CreateAccessEntry: (input, l) =>
    tagged(
      [
        request("eks:CreateAccessEntry", eksCluster(input.clusterName, l), {
          ...principal(input),
          ...requestTags(input.tags),
        }),
      ],
      eksCluster(input.clusterName, l),
      input.tags,
    ),
  DescribeAccessEntry: (input, l) => [
    request("eks:DescribeAccessEntry", accessEntry(input, l), principal(input)),
  ],
  ListAccessEntries: onCluster("ListAccessEntries", "clusterName"),
  DeleteAccessEntry: (input, l) => [
    request("eks:DeleteAccessEntry", accessEntry(input, l), principal(input)),
  ],
  AssociateAccessPolicy: (input, l) => {
    const scope = (input.accessScope ?? {}) as { type?: string; namespaces?: string[] };
    return [
      request("eks:AssociateAccessPolicy", accessEntry(input, l), {
        ...principal(input),
        "eks:policyArn": str(input.policyArn),
        "eks:accessScope": str(scope.type),
        ...(scope.namespaces && scope.namespaces.length > 0 ? { "eks:namespaces": scope.namespaces } : {}),
      }),
    ];
  },
  DisassociateAccessPolicy: (input, l) => [
    request("eks:DisassociateAccessPolicy", accessEntry(input, l), {
      ...principal(input),
      "eks:policyArn": str(input.policyArn),
    }),
  ],
  ListAssociatedAccessPolicies: (input, l) => [
    request("eks:ListAssociatedAccessPolicies", accessEntry(input, l), principal(input)),
  ],
  CreatePodIdentityAssociation: (input, l) =>
    tagged(
      [
        request(
          "eks:CreatePodIdentityAssociation",
          eksCluster(input.clusterName, l),
          requestTags(input.tags),
        ),
        passRole(input.roleArn, "pods.eks.amazonaws.com"),
      ],
      eksCluster(input.clusterName, l),
      input.tags,
    ),
  DescribePodIdentityAssociation: (input, l) => [
    request(
      "eks:DescribePodIdentityAssociation",
      l.podIdentityArn(str(input.clusterName), str(input.associationId)) ??
        `${eksBase(l)}:podidentityassociation/${str(input.clusterName)}/*`,
    ),
  ],
  ListPodIdentityAssociations: onCluster("ListPodIdentityAssociations", "clusterName"),
  DeletePodIdentityAssociation: (input, l) => [
    request(
      "eks:DeletePodIdentityAssociation",
      l.podIdentityArn(str(input.clusterName), str(input.associationId)) ??
        `${eksBase(l)}:podidentityassociation/${str(input.clusterName)}/*`,
    ),
  ],
  TagResource: (input) => [request("eks:TagResource", str(input.resourceArn), requestTags(input.tags))],
  UntagResource: (input) => [
    request("eks:UntagResource", str(input.resourceArn), {
      "aws:TagKeys": (input.tagKeys as string[] | undefined) ?? [],
    }),
  ],
  ListTagsForResource: (input) => [request("eks:ListTagsForResource", str(input.resourceArn))],
};

const roleArn = (name: unknown, l: Lookup, path = "/") =>
  l.role(str(name))?.arn ?? `arn:aws:iam::${l.account}:role${path}${str(name)}`;
/** The role's own boundary, for the calls that change what it may do. */
const boundaryOf = (name: unknown, l: Lookup): ContextValues => {
  const boundary = l.role(str(name))?.boundary;
  return boundary ? { "iam:PermissionsBoundary": boundary } : {};
};
const policyArn = (input: Record<string, unknown>, l: Lookup) =>
  input.PolicyArn
    ? str(input.PolicyArn)
    : `arn:aws:iam::${l.account}:policy${str(input.Path) || "/"}${str(input.PolicyName)}`;

export const iamMappings: Record<string, OperationMapping> = {
  CreateRole: (input, l) => {
    const arn = roleArn(input.RoleName, l, str(input.Path) || "/");
    const boundary: ContextValues = input.PermissionsBoundary
      ? { "iam:PermissionsBoundary": str(input.PermissionsBoundary) }
      : {};
    const out = [request("iam:CreateRole", arn, { ...boundary, ...requestTags(input.Tags) })];
    // Tags on CreateRole are authorized as iam:TagRole too (IAM User Guide, "Tagging IAM resources").
    if (hasTags(input.Tags)) out.push(request("iam:TagRole", arn, requestTags(input.Tags)));
    return out;
  },
  GetRole: (input, l) => [request("iam:GetRole", roleArn(input.RoleName, l))],
  DeleteRole: (input, l) => [
    request("iam:DeleteRole", roleArn(input.RoleName, l), boundaryOf(input.RoleName, l)),
  ],
  TagRole: (input, l) => [request("iam:TagRole", roleArn(input.RoleName, l), requestTags(input.Tags))],
  PutRolePolicy: (input, l) => [
    request("iam:PutRolePolicy", roleArn(input.RoleName, l), boundaryOf(input.RoleName, l)),
  ],
  GetRolePolicy: (input, l) => [request("iam:GetRolePolicy", roleArn(input.RoleName, l))],
  ListRolePolicies: (input, l) => [request("iam:ListRolePolicies", roleArn(input.RoleName, l))],
  DeleteRolePolicy: (input, l) => [
    request("iam:DeleteRolePolicy", roleArn(input.RoleName, l), boundaryOf(input.RoleName, l)),
  ],
  CreatePolicy: (input, l) => [request("iam:CreatePolicy", policyArn(input, l), requestTags(input.Tags))],
  GetPolicy: (input, l) => [request("iam:GetPolicy", policyArn(input, l))],
  DeletePolicy: (input, l) => [request("iam:DeletePolicy", policyArn(input, l))],
};
