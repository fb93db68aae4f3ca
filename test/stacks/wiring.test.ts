import { describe, expect, it } from "vitest";
import { renderEnvironment, UnresolvedReferenceError } from "../../deploy/context.ts";
import { deployable } from "../../deploy/deployable.ts";
import type { FunctionSpec, IamStatement } from "../../functions/shared/catalog.ts";
import {
  componentName,
  functionPermissions,
  renderDefinition,
  renderPermission,
  unexplainedWildcards,
} from "../../stacks/wiring.ts";
import { lambdaTask, type StateMachineDefinition } from "../../workflows/asl.ts";
import { ctx } from "./support.ts";

const provision: FunctionSpec = {
  id: "tenant/provision-database",
  handler: "functions/tenant/provision-database.ts",
  description: "creates the tenant's Aurora cluster",
  timeoutSeconds: 30,
  memoryMB: 256,
  environment: { TENANT_TABLE: { ref: "tenantTable" }, DOMAIN: "${stage}.example.com" },
  permissions: [
    { actions: ["dynamodb:UpdateItem"], resources: [{ ref: "tenantTable" }] },
    {
      actions: ["rds:CreateDBCluster"],
      resources: ["arn:${partition}:rds:${region}:${account}:cluster:tenant-*"],
      conditions: { StringEquals: { "aws:RequestTag/cplane:managed-by": "${app}" } },
    },
  ],
};

describe("renderPermission", () => {
  it("fills placeholders, resolves references to ARNs and flattens conditions as SST takes them", () => {
    expect(provision.permissions.map((p) => renderPermission(p, ctx))).toEqual([
      { actions: ["dynamodb:UpdateItem"], resources: [ctx.resources.tenantTable.arn] },
      {
        actions: ["rds:CreateDBCluster"],
        resources: ["arn:aws:rds:eu-west-1:123456789012:cluster:tenant-*"],
        conditions: [
          { test: "StringEquals", variable: "aws:RequestTag/cplane:managed-by", values: ["cplane"] },
        ],
      },
    ]);
  });
});

describe("renderEnvironment", () => {
  it("resolves references to names and adds the Powertools service name", () => {
    expect(renderEnvironment(provision, ctx)).toEqual({
      POWERTOOLS_SERVICE_NAME: "cplane-tenant",
      POWERTOOLS_METRICS_NAMESPACE: "cplane",
      CPLANE_STAGE: "prod",
      TENANT_TABLE: "cplane-prod-tenants",
      DOMAIN: "prod.example.com",
    });
  });

  it("gives a reference's ARN where the entry asks for it, and IAM the same ARN", () => {
    const secret = { ref: "gitWebhookSecret", attribute: "arn" } as const;
    const webhook: FunctionSpec = {
      ...provision,
      environment: { SECRET_ARN: secret, SECRET_NAME: { ref: "gitWebhookSecret" } },
      permissions: [{ actions: ["secretsmanager:GetSecretValue"], resources: [secret] }],
    };
    const env = renderEnvironment(webhook, ctx);
    expect(env.SECRET_ARN).toBe(
      "arn:aws:secretsmanager:eu-west-1:123456789012:secret:cplane/prod/git-webhook-AbCdEf",
    );
    expect(env.SECRET_NAME).toBe("cplane/prod/git-webhook");
    expect(renderPermission(webhook.permissions[0] as IamStatement, ctx).resources).toEqual([env.SECRET_ARN]);
  });
});

describe("componentName", () => {
  it("turns a logical id into a PascalCase component name", () => {
    expect(componentName("tenant/provision-database")).toBe("TenantProvisionDatabase");
  });
});

const definition: StateMachineDefinition = {
  QueryLanguage: "JSONata",
  StartAt: "Provision",
  TimeoutSeconds: 900,
  States: {
    Provision: lambdaTask("tenant/provision-database", { Next: "Announce" }),
    Announce: {
      Type: "Task",
      Resource: "arn:aws:states:::events:putEvents",
      Arguments: {
        Entries: [{ Source: "cplane.tenants", DetailType: "Tenant Created", Detail: "{% $states.input %}" }],
      },
      End: true,
    },
  },
};
const arns = { "tenant/provision-database": "arn:aws:lambda:eu-west-1:123456789012:function:provision" };

describe("renderDefinition", () => {
  it("is the workflow's definition with the deployed ARN in place of each placeholder", () => {
    const deployed = renderDefinition(definition, arns);
    expect(deployed.States.Provision?.Arguments).toEqual({
      FunctionName: arns["tenant/provision-database"],
      Payload: "{% $states.input %}",
    });
    expect({ ...deployed, States: { ...deployed.States, Provision: definition.States.Provision } }).toEqual(
      definition,
    );
  });

  it("names a function the definition needs that was not deployed", () => {
    expect(() => renderDefinition(definition, {})).toThrow(UnresolvedReferenceError);
    expect(() => renderDefinition(definition, {})).toThrow(/tenant\/provision-database/);
  });
});

describe("unexplainedWildcards", () => {
  it("flags wildcard actions and unexplained wildcard resources, and accepts explained ones", () => {
    const specs: FunctionSpec[] = [
      {
        ...provision,
        id: "a/wild-action",
        permissions: [{ actions: ["rds:*"], resources: ["arn:aws:rds:::x"] }],
      },
      {
        ...provision,
        id: "a/wild-resource",
        permissions: [{ actions: ["sts:GetCallerIdentity"], resources: ["*"] }],
      },
      {
        ...provision,
        id: "a/explained",
        permissions: [
          { actions: ["sts:GetCallerIdentity"], resources: ["*"], reason: "no resource-level permission" },
        ],
      },
    ];
    expect(unexplainedWildcards(specs)).toEqual([
      "a/wild-action: wildcard action in rds:*",
      'a/wild-resource: resource "*" without a reason for sts:GetCallerIdentity',
    ]);
  });
});

describe("deployable", () => {
  it("splits entries into those whose workflow is built and those still waiting", () => {
    const entries = [
      { name: "a", workflow: "tenant-onboarding" },
      { name: "b", workflow: "canary-promotion" },
    ];
    expect(deployable(entries, new Set(["tenant-onboarding"]))).toEqual({
      ready: [entries[0]],
      waiting: [entries[1]],
    });
  });
});

describe("functionPermissions", () => {
  it("is the catalog's statements plus the X-Ray actions active tracing needs", () => {
    const statements = functionPermissions(provision, ctx);
    expect(statements.slice(0, -1)).toEqual(provision.permissions.map((p) => renderPermission(p, ctx)));
    expect(statements.at(-1)).toEqual({
      actions: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
      resources: ["*"],
    });
  });
});
