/**
 * Tenant onboarding's failure paths end to end on the local runtime, with faults injected into the
 * local cloud: throttling is retried to success; a permanent failure is compensated (nothing this
 * execution created is left), the tenant is marked failed with the step and reason, and
 * `Tenant Onboarding Failed` is published.
 */
import { EKSClient, ListAccessEntriesCommand } from "@aws-sdk/client-eks";
import { GetRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { DescribeDBClustersCommand, RDSClient } from "@aws-sdk/client-rds";
import { DescribeSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { HistoryEvent as SdkHistoryEvent } from "@aws-sdk/client-sfn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAwsClient } from "../../functions/shared/aws-clients.ts";
import { listTenants } from "../../functions/tenant/lib/registry.ts";
import { createClock } from "../../local/clock/clock.ts";
import { createRuntime, EKS_CLUSTER_NAME, type Runtime } from "../../local/runtime.ts";

let runtime: Runtime;

beforeAll(async () => {
  runtime = await createRuntime({ clock: createClock({ mode: { kind: "instant" } }) });
}, 120_000);
afterAll(async () => {
  await runtime?.close();
});

async function onboard(name: string) {
  const { executionArn } = runtime.engine.startExecution({
    stateMachineArn: runtime.stateMachineArn("tenant-onboarding"),
    input: JSON.stringify({ name, tier: "standard", adminEmail: "ops@example.com" }),
  });
  const execution = await runtime.engine.waitForExecution(executionArn);
  // The history in the shape GetExecutionHistory answers with, as the SDK types it.
  const history = runtime.engine.getExecutionHistory(executionArn).events as unknown as SdkHistoryEvent[];
  return { execution, history };
}

describe("tenant onboarding failure paths on the local runtime", () => {
  it("retries a throttled CreateDBCluster and still succeeds", async () => {
    // Prepare
    runtime.cloud.faults.add({ kind: "throttle", service: "RDS", operation: "CreateDBCluster", times: 2 });

    // Act
    const { execution, history } = await onboard("Throttled Co");

    // Assess
    expect(execution.status, execution.cause).toBe("SUCCEEDED");
    const provisionFailures = history.filter(
      (e) => e.type === "TaskFailed" && e.taskFailedEventDetails?.error === "Throttling",
    );
    expect(provisionFailures).toHaveLength(2);
    const tenants = await listTenants();
    expect(tenants.find((t) => t.slug === "throttled-co")?.status).toBe("active");
  });

  it("compensates a permanent failure at the namespace step, marks the tenant failed and says so", async () => {
    // Prepare: the last call of the step, giving the operators' access entry its policy, is refused for
    // good, after the namespace, the Pod Identity association, the operator role and its entry were made
    runtime.cloud.faults.add({
      kind: "error",
      service: "EKS",
      operation: "AssociateAccessPolicy",
      error: "InvalidParameterException",
      message: "The policyArn is not valid",
    });

    // Act
    const { execution, history } = await onboard("Doomed Inc");

    // Assess: the path taken
    expect(execution.status).toBe("FAILED");
    const entered = history.flatMap((e) =>
      e.type?.endsWith("StateEntered") ? [e.stateEnteredEventDetails?.name] : [],
    );
    expect(entered).toEqual(
      expect.arrayContaining(["CreateNamespace", "Compensate", "RecordFailure", "OnboardingFailed"]),
    );
    expect(entered).not.toContain("Announce");

    // the registry says failed, with the step and the reason
    const tenant = (await listTenants()).find((t) => t.slug === "doomed-inc");
    expect(tenant?.status).toBe("failed");
    expect(tenant?.failure).toMatchObject({ step: "create-namespace", error: "InvalidParameterException" });

    // nothing this execution created is left: the cluster is going or gone, the secret is scheduled for deletion
    const rds = createAwsClient(RDSClient, { trace: false });
    const clusters = await rds
      .send(new DescribeDBClustersCommand({ DBClusterIdentifier: "tenant-doomed-inc" }))
      .then((out) => out.DBClusters?.map((c) => c.Status) ?? [])
      .catch((error: Error) => error.name);
    expect(["DBClusterNotFoundFault", ["deleting"]]).toContainEqual(clusters);
    const secrets = createAwsClient(SecretsManagerClient, { trace: false });
    const secret = await secrets
      .send(new DescribeSecretCommand({ SecretId: "cplane/tenants/doomed-inc/db" }))
      .catch((error: Error) => error);
    expect(secret instanceof Error ? secret.name : secret.DeletedDate).toSatisfy(
      (value: unknown) => value === "ResourceNotFoundException" || value instanceof Date,
    );

    // nor the operators' role and access entry, nor the namespace
    const role = await createAwsClient(IAMClient, { trace: false })
      .send(new GetRoleCommand({ RoleName: "cplane-local-tenant-doomed-inc-operators" }))
      .catch((error: Error) => error);
    expect(role).toMatchObject({ name: "NoSuchEntityException" });
    const { accessEntries } = await createAwsClient(EKSClient, { trace: false }).send(
      new ListAccessEntriesCommand({ clusterName: EKS_CLUSTER_NAME }),
    );
    expect(accessEntries?.filter((arn) => arn.includes("doomed-inc"))).toEqual([]);
    // (a deleted namespace stays Terminating while Kubernetes empties it, as on a real cluster)
    const namespace = runtime.cloud.eks
      .kubernetes(EKS_CLUSTER_NAME)
      ?.list("Namespace")
      .find((n) => n.metadata?.name === "doomed-inc");
    expect(namespace === undefined || (namespace.status as { phase?: string }).phase === "Terminating").toBe(
      true,
    );

    // and the failure event, naming the step
    const failed = runtime.bus
      .events({ busName: "cplane" })
      .filter((logged) => logged.event["detail-type"] === "Tenant Onboarding Failed")
      .map((logged) => logged.event.detail as Record<string, unknown>);
    expect(failed).toEqual([expect.objectContaining({ slug: "doomed-inc", step: "create-namespace" })]);
  });
});
