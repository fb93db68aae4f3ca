import { describe, expect, it } from "vitest";
import type { Json } from "../../../local/engine/json.ts";
import { harness, outcome, START } from "./harness.ts";

/**
 * A definition as it is deployed to AWS Step Functions: JSONata, Lambda tasks through
 * `lambda:invoke` with AWS's recommended retrier, a Map over the input, and a human approval
 * through a task token. It runs here unchanged.
 */
const definition = {
  Comment: "Provision every database of a tenant, wait for approval, then announce",
  QueryLanguage: "JSONata",
  TimeoutSeconds: 3600,
  StartAt: "ProvisionAll",
  States: {
    ProvisionAll: {
      Type: "Map",
      Items: "{% $states.input.databases %}",
      MaxConcurrency: 2,
      ItemSelector: {
        tenantId: "{% $states.input.tenantId %}",
        database: "{% $states.context.Map.Item.Value %}",
      },
      ItemProcessor: {
        ProcessorConfig: { Mode: "INLINE" },
        StartAt: "Provision",
        States: {
          Provision: {
            Type: "Task",
            Resource: "arn:aws:states:::lambda:invoke",
            Arguments: {
              FunctionName: "cplane:function:tenant/provision-database",
              Payload: "{% $states.input %}",
            },
            Output: "{% $states.result.Payload %}",
            Retry: [
              {
                ErrorEquals: ["Lambda.ServiceException", "Lambda.TooManyRequestsException"],
                IntervalSeconds: 1,
                MaxAttempts: 3,
                BackoffRate: 2,
                JitterStrategy: "FULL",
              },
              {
                ErrorEquals: ["ClusterNotReadyError"],
                IntervalSeconds: 30,
                MaxAttempts: 5,
                BackoffRate: 1.5,
              },
            ],
            End: true,
          },
        },
      },
      Assign: { clusters: "{% $states.result.clusterId %}" },
      Next: "Approve",
    },
    Approve: {
      Type: "Task",
      Resource: "arn:aws:states:::lambda:invoke.waitForTaskToken",
      Arguments: {
        FunctionName: "cplane:function:tenant/request-approval",
        Payload: { token: "{% $states.context.Task.Token %}", clusters: "{% $clusters %}" },
      },
      TimeoutSeconds: 86400,
      Catch: [{ ErrorEquals: ["ApprovalRejected"], Output: "{% $states.errorOutput %}", Next: "Rejected" }],
      Next: "Announce",
    },
    Announce: {
      Type: "Task",
      Resource: "arn:aws:states:::events:putEvents",
      Arguments: {
        Entries: [
          {
            Source: "cplane.tenant",
            DetailType: "Tenant Created",
            Detail: {
              tenantId: "{% $states.context.Execution.Input.tenantId %}",
              clusters: "{% $clusters %}",
            },
          },
        ],
      },
      Output: {
        tenantId: "{% $states.context.Execution.Input.tenantId %}",
        approvedBy: "{% $states.input.by %}",
      },
      End: true,
    },
    Rejected: { Type: "Fail", Error: "TenantRejected", Cause: "{% $states.input.Cause %}" },
  },
};

class ClusterNotReadyError extends Error {
  override name = "ClusterNotReadyError";
}

describe("a definition written for AWS", () => {
  it("runs unchanged: JSONata, retries, a Map, a task token and an event", async () => {
    // Prepare: the first provisioning call for db-b finds its cluster not ready yet
    const attempts = new Map<string, number>();
    const tokens: string[] = [];
    const events: Json[] = [];
    const h = harness({
      invokeFunction: async (name, payload): Promise<Json> => {
        const p = payload as { database?: string; token?: string };
        if (name === "cplane:function:tenant/provision-database") {
          const db = p.database ?? "";
          const n = (attempts.get(db) ?? 0) + 1;
          attempts.set(db, n);
          if (db === "db-b" && n === 1) throw new ClusterNotReadyError("still creating");
          return { clusterId: `cluster-${db}` };
        }
        if (name === "cplane:function:tenant/request-approval") {
          tokens.push(p.token ?? "");
          return { sent: true };
        }
        throw new Error(`unexpected function ${name}`);
      },
      putEvents: async (entries) => {
        events.push(...(entries as unknown as Json[]));
        return { FailedEntryCount: 0, Entries: entries.map(() => ({ EventId: "e-1" })) };
      },
    });
    const { stateMachineArn } = h.engine.createStateMachine({ name: "tenant-onboarding", definition });
    const { executionArn } = h.engine.startExecution({
      stateMachineArn,
      input: JSON.stringify({ tenantId: "t-42", databases: ["db-a", "db-b"] }),
    });

    // Act: approve once the approval request went out
    for (let i = 0; i < 2000 && tokens.length === 0; i++) await new Promise((r) => setImmediate(r));
    h.engine.sendTaskSuccess({
      taskToken: tokens[0] as string,
      output: JSON.stringify({ by: "ops@example.com" }),
    });
    const d = await h.engine.waitForExecution(executionArn);

    // Assess
    expect(d.status).toBe("SUCCEEDED");
    expect(JSON.parse(d.output ?? "null")).toEqual({ tenantId: "t-42", approvedBy: "ops@example.com" });
    expect(attempts.get("db-b")).toBe(2);
    expect(events).toEqual([
      {
        Source: "cplane.tenant",
        DetailType: "Tenant Created",
        Detail: JSON.stringify({ tenantId: "t-42", clusters: ["cluster-db-a", "cluster-db-b"] }),
      },
    ]);
    const out = outcome(h, d);
    expect(out.entered).toEqual(["ProvisionAll", "Provision", "Provision", "Approve", "Announce"]);
    // The retry waited 30 simulated seconds.
    const scheduled = out.history
      .filter((e) => e.type === "TaskScheduled")
      .map((e) => e.timestamp.getTime() - START);
    expect(scheduled).toContain(30_000);
  });
});
