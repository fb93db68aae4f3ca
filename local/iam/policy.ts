/**
 * IAM policy documents as the evaluator reads them: the JSON grammar (a statement or a list of them;
 * Action or NotAction, Resource or NotResource, each a string or a list; Condition) normalized once into
 * lists, so that evaluating a request walks arrays only.
 */

export type ConditionBlock = Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;

export interface PolicyStatementJson {
  readonly Sid?: string;
  readonly Effect: "Allow" | "Deny";
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  readonly Condition?: ConditionBlock;
}

export interface PolicyDocumentJson {
  readonly Version?: string;
  readonly Statement: PolicyStatementJson | readonly PolicyStatementJson[];
}

/** One condition test: operator (with its qualifiers), key and the policy's values. */
export interface ConditionTest {
  readonly operator: string;
  readonly key: string;
  readonly values: readonly string[];
}

export interface Statement {
  /** Where the statement comes from, for explanations: `<policy name>#<index or Sid>`. */
  readonly id: string;
  readonly effect: "Allow" | "Deny";
  readonly actions: readonly string[];
  readonly notActions: boolean;
  readonly resources: readonly string[];
  readonly notResources: boolean;
  readonly conditions: readonly ConditionTest[];
}

/** A named policy, parsed. */
export interface Policy {
  readonly name: string;
  readonly statements: readonly Statement[];
}

export class MalformedPolicyError extends Error {
  override name = "MalformedPolicyError";
}

const list = (value: string | readonly string[] | undefined): readonly string[] =>
  value === undefined ? [] : typeof value === "string" ? [value] : value;

/** Parses a policy document (JSON text or object); refuses what IAM would refuse to store. */
export function parsePolicy(name: string, document: string | PolicyDocumentJson): Policy {
  let json: PolicyDocumentJson;
  try {
    json = typeof document === "string" ? (JSON.parse(document) as PolicyDocumentJson) : document;
  } catch (error) {
    throw new MalformedPolicyError(`policy ${name} is not JSON`, { cause: error });
  }
  if (!json || typeof json !== "object" || json.Statement === undefined) {
    throw new MalformedPolicyError(`policy ${name} has no Statement`);
  }
  const raw = Array.isArray(json.Statement)
    ? (json.Statement as readonly PolicyStatementJson[])
    : [json.Statement as PolicyStatementJson];
  const statements = raw.map((s, index): Statement => {
    const id = `${name}#${s.Sid ?? index}`;
    if (s.Effect !== "Allow" && s.Effect !== "Deny") {
      throw new MalformedPolicyError(`${id}: Effect must be Allow or Deny`);
    }
    if ((s.Action === undefined) === (s.NotAction === undefined)) {
      throw new MalformedPolicyError(`${id}: exactly one of Action and NotAction is needed`);
    }
    if ((s.Resource === undefined) === (s.NotResource === undefined)) {
      throw new MalformedPolicyError(`${id}: exactly one of Resource and NotResource is needed`);
    }
    const conditions: ConditionTest[] = [];
    for (const [operator, keys] of Object.entries(s.Condition ?? {})) {
      for (const [key, values] of Object.entries(keys)) {
        conditions.push({ operator, key, values: list(values).map(String) });
      }
    }
    return {
      id,
      effect: s.Effect,
      actions: list(s.Action ?? s.NotAction),
      notActions: s.Action === undefined,
      resources: list(s.Resource ?? s.NotResource),
      notResources: s.Resource === undefined,
      conditions,
    };
  });
  return { name, statements };
}
