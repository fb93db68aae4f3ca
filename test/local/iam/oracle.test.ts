/**
 * The evaluator held to @cloud-copilot/iam-simulate (AGPL-3.0, a devDependency used here only, never
 * loaded by the runtime): generated policies (Action/NotAction, Resource/NotResource with wildcards,
 * the condition operators and keys the catalogs use, with their qualifiers), with and without a
 * permissions boundary, against generated requests; the same decision is expected every time.
 */
import { runSimulation } from "@cloud-copilot/iam-simulate";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { evaluate, RequestContext } from "../../../local/iam/evaluate.ts";
import { type PolicyDocumentJson, parsePolicy } from "../../../local/iam/policy.ts";

const ACCOUNT = "123456789012";
const PRINCIPAL = `arn:aws:iam::${ACCOUNT}:role/cplane-local-tenant-step`;

interface KeySpec {
  readonly key: string;
  readonly type: "string" | "strings" | "arn" | "bool" | "number";
  /** Values a request may carry, and policies may test. */
  readonly pool: readonly string[];
}

interface Template {
  readonly action: string;
  readonly resource: string;
  readonly keys: readonly KeySpec[];
}

const TAG_VALUES = ["acme", "globex", "Acme", "ac*", "a?me", ""];
const TEMPLATES: readonly Template[] = [
  {
    action: "rds:CreateDBCluster",
    resource: `arn:aws:rds:us-east-1:${ACCOUNT}:cluster:tenant-acme`,
    keys: [
      { key: "aws:RequestTag/cplane:tenant", type: "string", pool: TAG_VALUES },
      {
        key: "aws:TagKeys",
        type: "strings",
        pool: ["cplane:tenant", "cplane:execution", "owner", "cplane:*"],
      },
      { key: "rds:StorageEncrypted", type: "bool", pool: ["true", "false"] },
      { key: "rds:StorageSize", type: "number", pool: ["10", "100", "1000"] },
    ],
  },
  {
    action: "rds:DeleteDBCluster",
    resource: `arn:aws:rds:us-west-2:${ACCOUNT}:cluster:tenant-globex`,
    keys: [{ key: "aws:ResourceTag/cplane:tenant", type: "string", pool: TAG_VALUES }],
  },
  {
    action: "dynamodb:PutItem",
    resource: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/cplane-local-tenants`,
    keys: [
      {
        key: "dynamodb:LeadingKeys",
        type: "strings",
        pool: ["LOCK#fleet", "OWNER#x", "TENANT#acme", "LOCK#*", "REPORT*"],
      },
    ],
  },
  {
    action: "secretsmanager:GetSecretValue",
    resource: `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:cplane/tenants/acme/db-AbCdEf`,
    keys: [{ key: "aws:ResourceTag/cplane:tenant", type: "string", pool: TAG_VALUES }],
  },
  {
    action: "eks:AssociateAccessPolicy",
    resource: `arn:aws:eks:us-east-1:${ACCOUNT}:access-entry/cplane-local-tenants/role/${ACCOUNT}/op/abc`,
    keys: [
      { key: "eks:accessScope", type: "string", pool: ["namespace", "cluster", "Namespace"] },
      {
        key: "eks:policyArn",
        type: "arn",
        pool: [
          "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
          "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
          "arn:aws:eks::aws:cluster-access-policy/*",
        ],
      },
      { key: "eks:namespaces", type: "strings", pool: ["acme", "globex", "kube-system", "*"] },
    ],
  },
  {
    action: "eks:CreateAccessEntry",
    resource: `arn:aws:eks:us-east-1:${ACCOUNT}:cluster/cplane-local-tenants`,
    keys: [
      {
        key: "eks:principalArn",
        type: "arn",
        pool: [
          `arn:aws:iam::${ACCOUNT}:role/cplane-local-tenant-acme-operators`,
          `arn:aws:iam::${ACCOUNT}:role/cplane-local-tenant-*-operators`,
          `arn:aws:iam::${ACCOUNT}:role/admin`,
          "arn:aws:iam::*:role/*",
        ],
      },
    ],
  },
  {
    action: "iam:CreateRole",
    resource: `arn:aws:iam::${ACCOUNT}:role/cplane-local-tenant-acme-operators`,
    keys: [
      {
        key: "iam:PermissionsBoundary",
        type: "arn",
        pool: [
          `arn:aws:iam::${ACCOUNT}:policy/cplane-local-tenant-operator-boundary`,
          `arn:aws:iam::${ACCOUNT}:policy/other`,
          `arn:aws:iam::${ACCOUNT}:policy/*`,
        ],
      },
      { key: "aws:RequestTag/cplane:tenant", type: "string", pool: TAG_VALUES },
      { key: "aws:TagKeys", type: "strings", pool: ["cplane:tenant", "cplane:tenant-id", "team", "cplane*"] },
    ],
  },
  { action: "states:SendTaskSuccess", resource: "*", keys: [] },
];

const OPERATORS: Record<KeySpec["type"], readonly string[]> = {
  string: [
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
    "StringEqualsIfExists",
    "StringNotEqualsIfExists",
    "StringLikeIfExists",
    "Null",
  ],
  strings: [
    "ForAllValues:StringEquals",
    "ForAllValues:StringLike",
    "ForAnyValue:StringEquals",
    "ForAnyValue:StringLike",
    "ForAllValues:StringNotEquals",
    "ForAnyValue:StringNotLike",
    "ForAllValues:StringEqualsIgnoreCase",
    "Null",
  ],
  arn: ["ArnLike", "ArnEquals", "ArnNotLike", "ArnNotEquals", "ArnLikeIfExists", "StringLike", "Null"],
  bool: ["Bool", "BoolIfExists", "Null"],
  number: [
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericGreaterThanEquals",
    "NumericLessThanEqualsIfExists",
    "Null",
  ],
};

/** Wildcard variants of a string: itself, a prefix with `*`, a `?` in place of a character, `*`. */
function variants(text: string): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constant(text),
    fc.nat({ max: Math.max(0, text.length - 1) }).map((cut) => `${text.slice(0, cut)}*`),
    fc.nat({ max: Math.max(0, text.length - 1) }).map((at) => `${text.slice(0, at)}?${text.slice(at + 1)}`),
    fc.constant("*"),
  );
}

const actionPattern = (template: Template) =>
  fc.oneof(
    variants(template.action.split(":")[1] as string).map(
      (name) => `${template.action.split(":")[0]}:${name}`,
    ),
    fc.constant("*"),
    fc.constantFrom(...TEMPLATES.map((t) => t.action)),
    fc.constant(`${template.action.split(":")[0]}:*`),
    fc.constant(template.action.toUpperCase()),
  );

const resourcePattern = (template: Template) =>
  fc.oneof(
    // IAM refuses a Resource that does not start with `arn:` (or is `*`): wildcards go after it.
    template.resource === "*"
      ? fc.constant("*")
      : variants(template.resource.slice(4)).map((v) => (v === "*" ? v : `arn:${v}`)),
    fc.constantFrom(...TEMPLATES.map((t) => t.resource)),
    fc.constant(template.resource.replace("us-east-1", "*").replace("us-west-2", "*")),
    fc.constant(template.resource.replace(ACCOUNT, "111111111111")),
  );

function condition(template: Template): fc.Arbitrary<Record<string, Record<string, string[]>>> {
  if (template.keys.length === 0) return fc.constant({});
  return fc
    .constantFrom(...template.keys)
    .chain((spec) =>
      fc.tuple(
        fc.constant(spec),
        fc.constantFrom(...OPERATORS[spec.type]),
        fc.array(fc.constantFrom(...spec.pool), { minLength: 1, maxLength: 2 }),
        fc.constantFrom("true", "false"),
      ),
    )
    .map(([spec, operator, values, nullValue]) => ({
      [operator]: { [spec.key]: operator === "Null" ? [nullValue] : values },
    }));
}

const statement = (template: Template) =>
  fc.record({
    Effect: fc.constantFrom("Allow", "Allow", "Deny"),
    actions: fc.array(actionPattern(template), { minLength: 1, maxLength: 2 }),
    resources: fc.array(resourcePattern(template), { minLength: 1, maxLength: 2 }),
    conditions: fc.array(condition(template), { maxLength: 2 }),
    notAction: fc.integer({ min: 0, max: 5 }),
    notResource: fc.integer({ min: 0, max: 5 }),
  });

type GeneratedStatement = ReturnType<typeof statement> extends fc.Arbitrary<infer T> ? T : never;

/** One in six statements uses NotAction, one in six NotResource. */
function toJson(s: GeneratedStatement) {
  const condition: Record<string, Record<string, string[]>> = {};
  for (const block of s.conditions) {
    for (const [operator, keys] of Object.entries(block))
      condition[operator] = { ...condition[operator], ...keys };
  }
  return {
    Effect: s.Effect,
    ...(s.notAction === 0 ? { NotAction: s.actions } : { Action: s.actions }),
    ...(s.notResource === 0 ? { NotResource: s.resources } : { Resource: s.resources }),
    ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
  };
}

const policy = (template: Template) =>
  fc.array(statement(template), { minLength: 1, maxLength: 3 }).map(
    (statements): PolicyDocumentJson => ({
      Version: "2012-10-17",
      Statement: statements.map(toJson) as never,
    }),
  );

/** A value the request carries for a key: a list for multivalued keys, a plain value otherwise. */
const contextValue = (spec: KeySpec): fc.Arbitrary<string | string[]> =>
  spec.type === "strings"
    ? fc.uniqueArray(fc.constantFrom(...spec.pool.filter((v) => !v.includes("*"))), { maxLength: 3 })
    : fc.constantFrom(...spec.pool.filter((v) => !v.includes("*") && !v.includes("?")));

const requestContext = (template: Template) =>
  fc
    .tuple(...template.keys.map((spec) => fc.option(contextValue(spec), { nil: undefined })))
    .map((values) => {
      const context: Record<string, string | string[]> = {};
      template.keys.forEach((spec, i) => {
        const value = values[i];
        if (value !== undefined) context[spec.key] = value;
      });
      return context;
    });

const scenario = fc.constantFrom(...TEMPLATES).chain((template) =>
  fc.record({
    template: fc.constant(template),
    identity: fc.array(policy(template), { minLength: 1, maxLength: 2 }),
    boundary: fc.option(policy(template), { nil: undefined }),
    context: requestContext(template),
  }),
);

const ORACLE: Record<string, string> = {
  Allowed: "Allow",
  ExplicitlyDenied: "ExplicitDeny",
  ImplicitlyDenied: "ImplicitDeny",
};

describe("the evaluator against iam-simulate", () => {
  it("decides generated policies and requests as iam-simulate does", async () => {
    const decisions = { Allow: 0, ExplicitDeny: 0, ImplicitDeny: 0 };
    await fc.assert(
      fc.asyncProperty(scenario, async ({ template, identity, boundary, context }) => {
        const oracle = await runSimulation(
          {
            request: {
              principal: PRINCIPAL,
              action: template.action,
              resource: { resource: template.resource, accountId: ACCOUNT },
              contextVariables: context,
            },
            identityPolicies: identity.map((p, i) => ({ name: `identity-${i}`, policy: p })),
            serviceControlPolicies: [],
            resourceControlPolicies: [],
            ...(boundary ? { permissionBoundaryPolicies: [{ name: "boundary", policy: boundary }] } : {}),
          },
          {},
        );
        if (oracle.resultType !== "single") {
          throw new Error(`iam-simulate refused the scenario: ${JSON.stringify(oracle)}`);
        }
        const ours = evaluate(
          { action: template.action, resource: template.resource, context: new RequestContext(context) },
          {
            identity: identity.map((p, i) => parsePolicy(`identity-${i}`, p)),
            boundary: boundary ? parsePolicy("boundary", boundary) : undefined,
          },
        );
        decisions[ours.decision]++;
        expect(
          { decision: ours.decision },
          JSON.stringify({ template: template.action, identity, boundary, context }),
        ).toEqual({ decision: ORACLE[oracle.overallResult] });
      }),
      { seed: 20261201, numRuns: 1000 },
    );
    // Every decision is well represented, so agreement is not agreement on one answer.
    for (const count of Object.values(decisions)) expect(count).toBeGreaterThan(100);
  }, 120_000);
});
