/**
 * A stop in the middle of an onboarding loses nothing: the execution and the cloud are saved, and the
 * next start redrives the execution from the state it was in, so the tenant does not stay stuck.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import type { HistoryEvent as SdkHistoryEvent } from "@aws-sdk/client-sfn";
import { marshall } from "@aws-sdk/util-dynamodb";
import { afterAll, describe, expect, it } from "vitest";
import { createAwsClient } from "../../functions/shared/aws-clients.ts";
import { getTenant, listTenants, tenantKey } from "../../functions/tenant/lib/registry.ts";
import { createRuntime, RUNTIME_STOPPED, TENANT_TABLE } from "../../local/runtime.ts";

const dataDir = mkdtempSync(join(tmpdir(), "cplane-restart-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe("restarting the local runtime", () => {
  it("redrives an onboarding the stop cut off, and it completes", async () => {
    // Prepare: an onboarding waiting for its database when the runtime stops
    const first = await createRuntime({ speed: "manual", dataDir });
    const { executionArn } = first.engine.startExecution({
      stateMachineArn: first.stateMachineArn("tenant-onboarding"),
      input: JSON.stringify({ name: "Restart Co", tier: "basic", adminEmail: "ops@restart.example" }),
    });
    let waiting = false;
    for (let i = 0; i < 1_200 && !waiting; i++) {
      const events = first.engine.getExecutionHistory(executionArn).events;
      waiting = events.some(
        (e) =>
          e.type === "TaskStateEntered" &&
          (e.stateEnteredEventDetails as { name?: string }).name === "WaitForDatabase",
      );
      if (!waiting) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(waiting, "the onboarding never reached its wait for the database").toBe(true);
    await first.close();

    // Act
    const second = await createRuntime({ speed: "instant", dataDir });
    try {
      const done = await second.engine.waitForExecution(executionArn);

      // Assess
      expect(second.resumed).toEqual([executionArn]);
      expect(done).toMatchObject({ status: "SUCCEEDED", redriveCount: 1 });
      // The history in the shape GetExecutionHistory answers with, as the SDK types it.
      const history = second.engine.getExecutionHistory(executionArn).events as unknown as SdkHistoryEvent[];
      const aborted = history.find((e) => e.type === "ExecutionAborted");
      expect(aborted?.executionAbortedEventDetails).toMatchObject({ error: RUNTIME_STOPPED });
      expect(
        history.filter(
          (e) => e.type === "TaskStateEntered" && e.stateEnteredEventDetails?.name === "ProvisionDatabase",
        ),
      ).toHaveLength(1);
      expect((await listTenants()).find((t) => t.slug === "restart-co")?.status).toBe("active");
    } finally {
      await second.close();
    }
  }, 120_000);

  it("serves a second runtime in the same process its own Kubernetes API, not the stopped one's", async () => {
    // Prepare: an onboarding (namespace included) on a runtime that is then stopped
    const onboard = async (name: string) => {
      const runtime = await createRuntime({ speed: "instant" });
      try {
        const { executionArn } = runtime.engine.startExecution({
          stateMachineArn: runtime.stateMachineArn("tenant-onboarding"),
          input: JSON.stringify({ name, tier: "basic", adminEmail: "ops@again.example" }),
        });
        return await runtime.engine.waitForExecution(executionArn);
      } finally {
        await runtime.close();
      }
    };
    expect((await onboard("First Again")).status).toBe("SUCCEEDED");

    // Act
    const second = await onboard("Second Again");

    // Assess
    expect(second).toMatchObject({ status: "SUCCEEDED" });
  }, 120_000);

  it("marks failed a tenant whose execution a crash lost, and a new request then takes it over", async () => {
    // Prepare: the registry row of an onboarding whose execution never reached a checkpoint (DynamoDB
    // keeps its writes; the executions file does not have it)
    const orphanDir = mkdtempSync(join(tmpdir(), "cplane-orphan-"));
    const lost =
      "arn:aws:states:us-east-1:000000000000:execution:cplane-local-tenant-onboarding:lost-in-a-crash";
    const first = await createRuntime({ speed: "manual", dataDir: orphanDir });
    const at = new Date(first.clock.now()).toISOString();
    await createAwsClient(DynamoDBClient).send(
      new PutItemCommand({
        TableName: TENANT_TABLE,
        Item: {
          ...tenantKey("orphan-co"),
          ...marshall({
            tenantId: "t-orphan",
            slug: "orphan-co",
            name: "Orphan Co",
            tier: "basic",
            adminEmail: "ops@orphan.example",
            region: "us-east-1",
            status: "onboarding",
            executionArn: lost,
            createdAt: at,
            updatedAt: at,
            history: [],
          }),
        },
      }),
    );
    await first.close();

    // Act
    const second = await createRuntime({ speed: "instant", dataDir: orphanDir });
    try {
      const orphan = await getTenant("orphan-co");
      const again = second.engine.startExecution({
        stateMachineArn: second.stateMachineArn("tenant-onboarding"),
        input: JSON.stringify({ name: "Orphan Co", tier: "basic", adminEmail: "ops@orphan.example" }),
      });
      const done = await second.engine.waitForExecution(again.executionArn);

      // Assess
      expect(second.orphans).toEqual(["orphan-co"]);
      expect(orphan?.status).toBe("failed");
      expect(orphan?.failure).toMatchObject({ step: "execution", error: "cplane.ExecutionLost" });
      expect(done.status, done.cause).toBe("SUCCEEDED");
      expect(JSON.parse(done.output ?? "{}")).not.toHaveProperty("joined");
      expect((await getTenant("orphan-co"))?.status).toBe("active");
    } finally {
      await second.close();
      rmSync(orphanDir, { recursive: true, force: true });
    }
  }, 120_000);
});
