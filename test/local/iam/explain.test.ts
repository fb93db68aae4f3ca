/**
 * `cplane iam explain`: the statement that allowed a request, or why it is denied (no statement matched,
 * and what keeps each near miss from applying; an explicit deny; the permissions boundary), decided by
 * the evaluator the runtime authorizes with, for the roles the catalogs define.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { cli } from "../../../local/cli/main.ts";
import { catalogPrincipal, explain, type Principal } from "../../../local/iam/explain.ts";
import { localFunctionArn } from "../../../local/lambda/functions.ts";
import { LOCAL_ACCOUNT, localDeployContext } from "../../../local/runtime.ts";

const ctx = localDeployContext("us-east-1");
const principalOf = (who: string) =>
  catalogPrincipal(who, ctx, (id) => localFunctionArn(id, "us-east-1", LOCAL_ACCOUNT));
const CLUSTER = `arn:aws:rds:us-east-1:${LOCAL_ACCOUNT}:cluster:tenant-acme`;

describe("explain", () => {
  it("names the catalog statement that allows a call, its tag condition satisfied", () => {
    const explanation = explain(principalOf("tenant/delete-database"), {
      action: "rds:DeleteDBCluster",
      resource: CLUSTER,
      context: { "aws:ResourceTag/cplane:tenant": "acme" },
    });
    expect(explanation.result.decision).toBe("Allow");
    expect(explanation.statement?.id).toBe("cplane-local-tenant-delete-database#catalog#Catalog3");
    expect(explanation.reasons).toEqual([]);
  });

  it("says no statement matched, and that the near miss's tag condition is what failed", () => {
    const explanation = explain(principalOf("tenant/delete-database"), {
      action: "rds:DeleteDBCluster",
      resource: CLUSTER,
      context: {},
    });
    expect(explanation.result.decision).toBe("ImplicitDeny");
    expect(explanation.reasons[0]).toMatch(/^no statement matched/);
    expect(explanation.reasons[1]).toContain(
      "Catalog3 names the action and resource, but its condition StringLike aws:ResourceTag/cplane:tenant",
    );
    expect(explanation.reasons[1]).toContain("the request has no aws:ResourceTag/cplane:tenant");
  });

  it("explains a state machine's role: its own functions allowed, another's refused by resource", () => {
    const onboarding = principalOf("tenant-onboarding");
    const own = explain(onboarding, {
      action: "lambda:InvokeFunction",
      resource: localFunctionArn("tenant/provision-database", "us-east-1", LOCAL_ACCOUNT),
      context: {},
    });
    expect(own.statement?.id).toBe("cplane-local-tenant-onboarding-states#derived#InvokeFunctions");
    const other = explain(onboarding, {
      action: "lambda:InvokeFunction",
      resource: localFunctionArn("canary/deploy-canary", "us-east-1", LOCAL_ACCOUNT),
      context: {},
    });
    expect(other.result.decision).toBe("ImplicitDeny");
    expect(other.reasons[1]).toMatch(
      /InvokeFunctions allows lambda:InvokeFunction on .* and \d+ more, not on /,
    );
  });

  it("explains a rule's start role: its own workflow only", () => {
    const role = principalOf("tenant-offboarding-requested");
    const arn = (workflow: string) =>
      `arn:aws:states:us-east-1:${LOCAL_ACCOUNT}:stateMachine:cplane-local-${workflow}`;
    expect(
      explain(role, { action: "states:StartExecution", resource: arn("tenant-offboarding"), context: {} })
        .result.decision,
    ).toBe("Allow");
    expect(
      explain(role, { action: "states:StartExecution", resource: arn("tenant-onboarding"), context: {} })
        .result.decision,
    ).toBe("ImplicitDeny");
  });

  const guarded: Principal = {
    label: "operator",
    roleName: "operators",
    roleArn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/operators`,
    policies: [
      {
        name: "inline",
        document: {
          Statement: [
            {
              Sid: "All",
              Effect: "Allow",
              Action: ["secretsmanager:GetSecretValue", "eks:*"],
              Resource: "*",
            },
            { Sid: "NoDelete", Effect: "Deny", Action: "eks:DeleteCluster", Resource: "*" },
          ],
        },
      },
    ],
    boundary: {
      name: "boundary",
      document: { Statement: [{ Sid: "Describe", Effect: "Allow", Action: "eks:Describe*", Resource: "*" }] },
    },
  };

  it("names an explicit deny, whatever else allows it", () => {
    const explanation = explain(guarded, { action: "eks:DeleteCluster", resource: "*", context: {} });
    expect(explanation.result.decision).toBe("ExplicitDeny");
    expect(explanation.reasons).toEqual([
      "explicit deny: statement operators#inline#NoDelete of the role's policy denies it, whatever any other statement allows",
    ]);
  });

  it("names the permissions boundary when the role allows what the boundary does not", () => {
    const explanation = explain(guarded, {
      action: "secretsmanager:GetSecretValue",
      resource: "*",
      context: {},
    });
    expect(explanation.result).toMatchObject({ decision: "ImplicitDeny", by: "boundary" });
    expect(explanation.reasons[0]).toMatch(/^the permissions boundary boundary: the role's policy allows it/);
    expect(
      explain(guarded, { action: "eks:DescribeCluster", resource: "*", context: {} }).result.decision,
    ).toBe("Allow");
  });

  it("refuses what is not an action or an ARN, and a principal it does not know", () => {
    const role = principalOf("tenant/announce");
    expect(() => explain(role, { action: "PutEvents", resource: "*", context: {} })).toThrow(
      expect.objectContaining({ name: "InvalidRequestError" }),
    );
    expect(() => explain(role, { action: "events:PutEvents", resource: "bus", context: {} })).toThrow(
      /not an ARN/,
    );
    expect(() => principalOf("tenant/anounce")).toThrow(
      expect.objectContaining({ name: "UnknownPrincipalError" }),
    );
  });
});

describe("cplane iam explain", () => {
  let out = "";
  let err = "";
  beforeEach(() => {
    out = "";
    err = "";
    vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      out += String(chunk);
      return true;
    });
    vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
      err += String(chunk);
      return true;
    });
  });
  afterEach(() => vi.restoreAllMocks());

  it("prints the allowing statement (exit 0) or the denial and its reasons (exit 1)", async () => {
    const args = ["iam", "explain", "tenant/delete-database", "rds:DeleteDBCluster", "--resource", CLUSTER];
    expect(await cli([...args, "--context", "aws:ResourceTag/cplane:tenant=acme"])).toBe(0);
    expect(out).toContain("ALLOWED by statement cplane-local-tenant-delete-database#catalog#Catalog3");
    out = "";
    expect(await cli(args)).toBe(1);
    expect(out).toContain("DENIED (implicit deny)");
    expect(out).toContain("--context aws:ResourceTag/cplane:tenant=VALUE");
    out = "";
    expect(await cli([...args, "--json"])).toBe(1);
    expect(JSON.parse(out)).toMatchObject({
      role: "cplane-local-tenant-delete-database",
      decision: "ImplicitDeny",
      by: "identity",
    });
  }, 60_000);

  it("explains a schedule's start role whose name a workflow shares, said as schedule:NAME, and refuses the bare name as ambiguous", async () => {
    const machine = `arn:aws:states:us-east-1:${LOCAL_ACCOUNT}:stateMachine:cplane-local-dr-readiness`;
    const request = { action: "states:StartExecution", resource: machine, context: {} };
    const schedule = explain(principalOf("schedule:dr-readiness"), request);
    expect(schedule.principal.roleName).toBe("cplane-local-schedule-dr-readiness");
    expect(schedule.result.decision).toBe("Allow");
    // The workflow's own role (its state machine's) may not start itself.
    const workflow = explain(principalOf("workflow:dr-readiness"), request);
    expect(workflow.principal.roleName).toBe("cplane-local-dr-readiness-states");
    expect(workflow.result.decision).toBe("ImplicitDeny");
    // A name only one kind holds needs no prefix.
    expect(principalOf("nightly-backup-verification").roleName).toBe(
      "cplane-local-schedule-nightly-backup-verification",
    );
    expect(await cli(["iam", "explain", "dr-readiness", "states:StartExecution"])).toBe(2);
    expect(err).toContain(
      '"dr-readiness" names a workflow and a schedule: say which (workflow:dr-readiness or schedule:dr-readiness)',
    );
    err = "";
    expect(await cli(["iam", "explain", "rule:dr-readiness", "states:StartExecution"])).toBe(2);
    expect(err).toContain('no rule named "dr-readiness"');
  }, 60_000);

  it("refuses a bad command line with exit code 2, naming the problem", async () => {
    expect(await cli(["iam", "explain", "tenant/announce"])).toBe(2);
    expect(err).toContain("usage: cplane iam explain");
    err = "";
    expect(await cli(["iam", "explain", "tenant/announce", "events:PutEvents", "--context", "novalue"])).toBe(
      2,
    );
    expect(err).toContain('--context takes key=value (got "novalue")');
    err = "";
    expect(await cli(["iam", "explain", "nobody", "events:PutEvents"])).toBe(2);
    expect(err).toContain('no function, workflow, rule or schedule named "nobody"');
  }, 60_000);
});
