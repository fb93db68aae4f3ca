import { DynamoDBClient, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import {
  AssociateAccessPolicyCommand,
  CreateAccessEntryCommand,
  CreatePodIdentityAssociationCommand,
  DeleteAccessEntryCommand,
  DescribeClusterCommand,
  EKSClient,
  ListPodIdentityAssociationsCommand,
} from "@aws-sdk/client-eks";
import { CreateRoleCommand, GetRoleCommand, IAMClient, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { clearKubernetesCache } from "../../../functions/shared/kubernetes.ts";
import { handler } from "../../../functions/tenant/create-namespace.ts";
import { lambdaContext } from "../../support/context.ts";
import {
  APP_ROLE_ARN,
  APP_SECRET_ARN,
  awsError,
  CLUSTER,
  EKS_CLUSTER_ARN,
  EXECUTION,
  FakeKubernetes,
  OPERATOR_BOUNDARY_ARN,
  OPERATOR_ROLE_ARN,
  OPERATOR_ROLE_NAME,
  OTHER_EXECUTION,
  operatorRole,
  setTenantEnvironment,
  TENANT_ID,
} from "./support.ts";

const eks = mockClient(EKSClient);
const dynamodb = mockClient(DynamoDBClient);
const iam = mockClient(IAMClient);
const api = new FakeKubernetes();
const input = {
  tenantId: TENANT_ID,
  slug: "acme",
  tier: "basic",
  executionArn: EXECUTION,
  secretArn: APP_SECRET_ARN,
};
const OPERATORS = OPERATOR_ROLE_ARN;
let endpoint = "";

beforeAll(async () => {
  endpoint = await api.start();
});
afterAll(() => api.stop());
beforeEach(() => {
  eks.reset();
  dynamodb.reset();
  iam.reset();
  clearKubernetesCache();
  api.objects.clear();
  api.requests.length = 0;
  setTenantEnvironment();
  eks.on(DescribeClusterCommand).resolves({ cluster: { endpoint } });
  eks.on(ListPodIdentityAssociationsCommand).resolves({ associations: [] });
  eks.on(CreatePodIdentityAssociationCommand).resolves({ association: { associationId: "a-123" } });
  eks.on(CreateAccessEntryCommand).resolves({});
  eks.on(AssociateAccessPolicyCommand).resolves({});
  dynamodb.on(UpdateItemCommand).resolves({});
  iam.on(GetRoleCommand).rejects(awsError("NoSuchEntityException"));
  iam.on(CreateRoleCommand).callsFake(() => ({ Role: operatorRole(EXECUTION) }));
  iam.on(PutRolePolicyCommand).resolves({});
});

const applied = (path: string) => api.objects.get(path);

describe("create-namespace", () => {
  it("applies the namespace and its quota, limits, network policy, RBAC, service account and ingress", async () => {
    // Act
    const result = await handler(input, lambdaContext());

    // Assess
    expect(eks.commandCalls(DescribeClusterCommand)[0]?.args[0].input).toEqual({ name: CLUSTER });
    const patches = api.requests.filter((request) => request.method === "PATCH");
    expect(patches.map((request) => request.path)).toEqual([
      "/api/v1/namespaces/acme",
      "/api/v1/namespaces/acme/resourcequotas/tenant-quota",
      "/api/v1/namespaces/acme/limitranges/tenant-limits",
      "/apis/networking.k8s.io/v1/namespaces/acme/networkpolicies/default-deny-ingress",
      "/apis/rbac.authorization.k8s.io/v1/namespaces/acme/roles/tenant-operator",
      "/apis/rbac.authorization.k8s.io/v1/namespaces/acme/rolebindings/tenant-operators",
      "/api/v1/namespaces/acme/serviceaccounts/tenant-app",
      "/apis/networking.k8s.io/v1/namespaces/acme/ingresses/tenant",
    ]);
    for (const request of patches) {
      expect(request.headers["content-type"]).toBe("application/apply-patch+yaml");
      expect(request.query.get("fieldManager")).toBe("cplane");
    }
    expect(applied("/api/v1/namespaces/acme")).toEqual({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: {
        name: "acme",
        labels: { "cplane.io/tenant": "acme", "cplane.io/tier": "basic" },
        annotations: { "cplane.io/tenant-id": TENANT_ID, "cplane.io/created-by": EXECUTION },
      },
    });
    expect(applied("/api/v1/namespaces/acme/resourcequotas/tenant-quota")).toMatchObject({
      spec: { hard: { "requests.cpu": "2", "limits.memory": "8Gi", "requests.storage": "50Gi", pods: "30" } },
    });
    expect(applied("/api/v1/namespaces/acme/limitranges/tenant-limits")).toMatchObject({
      spec: {
        limits: [
          {
            type: "Container",
            default: { cpu: "500m", memory: "1Gi" },
            defaultRequest: { cpu: "50m", memory: "128Mi" },
          },
        ],
      },
    });
    expect(
      applied("/apis/networking.k8s.io/v1/namespaces/acme/networkpolicies/default-deny-ingress"),
    ).toMatchObject({
      spec: {
        podSelector: {},
        policyTypes: ["Ingress"],
        ingress: [
          {
            from: [
              { podSelector: {} },
              { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } } },
            ],
          },
        ],
      },
    });
    expect(
      applied("/apis/rbac.authorization.k8s.io/v1/namespaces/acme/rolebindings/tenant-operators"),
    ).toMatchObject({
      subjects: [{ kind: "Group", name: "cplane:tenant:acme:operators" }],
      roleRef: { kind: "Role", name: "tenant-operator" },
    });
    expect(applied("/apis/networking.k8s.io/v1/namespaces/acme/ingresses/tenant")).toMatchObject({
      spec: {
        ingressClassName: "nginx",
        tls: [{ hosts: ["acme.tenants.example.com"], secretName: "acme-tls" }],
        rules: [{ host: "acme.tenants.example.com" }],
      },
    });
    expect(result).toEqual({
      namespace: "acme",
      hostname: "acme.tenants.example.com",
      created: true,
      podIdentityAssociationId: "a-123",
      operatorPrincipalArn: OPERATORS,
    });
  });

  it("associates the service account with the tenant app role and gives operators a namespace-scoped access entry", async () => {
    // Act
    await handler(input, lambdaContext());

    // Assess
    expect(eks.commandCalls(ListPodIdentityAssociationsCommand)[0]?.args[0].input).toEqual({
      clusterName: CLUSTER,
      namespace: "acme",
    });
    expect(eks.commandCalls(CreatePodIdentityAssociationCommand)[0]?.args[0].input).toEqual({
      clusterName: CLUSTER,
      namespace: "acme",
      serviceAccount: "tenant-app",
      roleArn: APP_ROLE_ARN,
      tags: { "cplane:tenant": "acme", "cplane:tenant-id": TENANT_ID },
    });
    expect(eks.commandCalls(CreateAccessEntryCommand)[0]?.args[0].input).toEqual({
      clusterName: CLUSTER,
      principalArn: OPERATORS,
      kubernetesGroups: ["cplane:tenant:acme:operators"],
      type: "STANDARD",
      tags: { "cplane:tenant": "acme", "cplane:tenant-id": TENANT_ID },
    });
    expect(eks.commandCalls(AssociateAccessPolicyCommand)[0]?.args[0].input).toEqual({
      clusterName: CLUSTER,
      principalArn: OPERATORS,
      policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
      accessScope: { type: "namespace", namespaces: ["acme"] },
    });
  });

  it("creates the operators' role under the boundary before the access entry that names it", async () => {
    // Act
    await handler(input, lambdaContext());

    // Assess
    const create = iam.commandCalls(CreateRoleCommand)[0]?.args[0].input;
    expect(create).toMatchObject({
      RoleName: OPERATOR_ROLE_NAME,
      PermissionsBoundary: OPERATOR_BOUNDARY_ARN,
      Tags: [
        { Key: "cplane:tenant", Value: "acme" },
        { Key: "cplane:tenant-id", Value: TENANT_ID },
        { Key: "cplane:execution", Value: EXECUTION },
      ],
    });
    expect(JSON.parse(create?.AssumeRolePolicyDocument ?? "{}")).toEqual({
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Principal: { AWS: "arn:aws:iam::123456789012:root" }, Action: "sts:AssumeRole" },
      ],
    });
    const policy = iam.commandCalls(PutRolePolicyCommand)[0]?.args[0].input;
    expect(policy?.RoleName).toBe(OPERATOR_ROLE_NAME);
    expect(JSON.parse(policy?.PolicyDocument ?? "{}").Statement).toEqual([
      { Effect: "Allow", Action: "eks:DescribeCluster", Resource: EKS_CLUSTER_ARN },
    ]);
    // The role exists before the access entry names it (sinon numbers every call across mocks).
    const role = iam.commandCalls(CreateRoleCommand)[0];
    const entry = eks.commandCalls(CreateAccessEntryCommand)[0];
    expect(role && entry && role.calledBefore(entry)).toBe(true);
  });

  it("replaces an access entry left for an earlier role of the same name when it has just made the role", async () => {
    // Prepare: the role is new (GetRole: none), but an entry for its ARN is there
    eks.on(CreateAccessEntryCommand).rejectsOnce(awsError("ResourceInUseException")).resolves({});
    eks.on(DeleteAccessEntryCommand).resolves({});

    // Act
    await handler(input, lambdaContext());

    // Assess: deleted, then made again for the new role
    expect(eks.commandCalls(DeleteAccessEntryCommand).map((call) => call.args[0].input)).toEqual([
      { clusterName: CLUSTER, principalArn: OPERATORS },
    ]);
    expect(eks.commandCalls(CreateAccessEntryCommand)).toHaveLength(2);
  });

  it("says OperatorRoleNotReadyError, for the state machine to retry, while EKS does not see the role it made", async () => {
    eks
      .on(CreateAccessEntryCommand)
      .rejects(
        awsError("InvalidParameterException", "The specified principalArn is invalid: invalid principal."),
      );
    await expect(handler(input, lambdaContext())).rejects.toMatchObject({
      name: "OperatorRoleNotReadyError",
      retryable: true,
    });

    // A role it did not make is another matter: the error is the deployment's, not IAM's delay.
    iam.on(GetRoleCommand).resolves({ Role: operatorRole(OTHER_EXECUTION) });
    await expect(handler(input, lambdaContext())).rejects.toMatchObject({
      name: "InvalidParameterException",
    });
  });

  it("adopts the operators' role of an earlier attempt and refuses one tagged for another tenant", async () => {
    iam.on(GetRoleCommand).resolves({ Role: operatorRole(OTHER_EXECUTION) });
    await handler(input, lambdaContext());
    expect(iam.commandCalls(CreateRoleCommand)).toHaveLength(0);
    expect(iam.commandCalls(PutRolePolicyCommand)).toHaveLength(1);

    iam.on(GetRoleCommand).resolves({ Role: operatorRole(OTHER_EXECUTION, "globex") });
    await expect(handler(input, lambdaContext())).rejects.toMatchObject({
      name: "ResourceOwnedByAnotherTenantError",
    });
    expect(eks.commandCalls(CreateAccessEntryCommand)).toHaveLength(1);
  });

  it("converges on a repeat: existing association and access entry are kept, the namespace stays its creator's", async () => {
    // Prepare
    api.seed("/api/v1/namespaces/acme", {
      metadata: {
        name: "acme",
        labels: { "cplane.io/tenant": "acme" },
        annotations: { "cplane.io/created-by": OTHER_EXECUTION },
      },
    });
    eks.on(ListPodIdentityAssociationsCommand).resolves({
      associations: [{ associationId: "a-old", serviceAccount: "tenant-app", namespace: "acme" }],
    });
    eks.on(CreateAccessEntryCommand).rejects(awsError("ResourceInUseException"));
    iam.on(GetRoleCommand).resolves({ Role: operatorRole(OTHER_EXECUTION) });

    // Act
    const result = await handler(input, lambdaContext());

    // Assess
    expect(eks.commandCalls(CreatePodIdentityAssociationCommand)).toHaveLength(0);
    expect(eks.commandCalls(AssociateAccessPolicyCommand)).toHaveLength(1);
    expect(result).toMatchObject({ created: false, podIdentityAssociationId: "a-old" });
    expect(applied("/api/v1/namespaces/acme")).toMatchObject({
      metadata: { annotations: { "cplane.io/created-by": OTHER_EXECUTION } },
    });
  });

  it("refuses a namespace labelled for another tenant and applies nothing", async () => {
    api.seed("/api/v1/namespaces/acme", {
      metadata: { name: "acme", labels: { "cplane.io/tenant": "someone-else" } },
    });

    await expect(handler(input, lambdaContext())).rejects.toMatchObject({
      name: "ResourceOwnedByAnotherTenantError",
    });

    expect(api.requests.filter((request) => request.method === "PATCH")).toEqual([]);
    expect(eks.commandCalls(CreateAccessEntryCommand)).toHaveLength(0);
  });

  it("names a missing setting of the deployment", async () => {
    delete process.env.TENANT_DOMAIN;
    await expect(handler(input, lambdaContext())).rejects.toMatchObject({
      name: "MissingEnvironmentVariableError",
    });
  });
});
