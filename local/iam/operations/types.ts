/**
 * How an emulated operation is authorized: the IAM requests it makes (action, resource ARN, condition
 * keys), as AWS's Service Authorization Reference lists them for the operation and its parameters. One
 * call may need several (`CreateRole` with tags needs `iam:TagRole`; the Data API reads the secret with the
 * caller's rights). Resource tags are added by the authorizer from the resource itself.
 */

export type ContextValues = Record<string, string | readonly string[]>;

export interface MappedRequest {
  readonly action: string;
  readonly resource: string;
  readonly context?: ContextValues;
}

/** What a mapping may ask of the local cloud: names, ARNs and keys of resources that exist. */
export interface Lookup {
  readonly account: string;
  /** The caller's region. */
  readonly region: string;
  /** A secret's full ARN by name, ARN or partial ARN; undefined when there is none. */
  secretArn(id: string): string | undefined;
  /** A role's ARN (with its path) and permissions boundary; undefined when there is none. */
  role(name: string): { arn: string; boundary?: string } | undefined;
  /** An EKS access entry's ARN. */
  accessEntryArn(cluster: string, principalArn: string): string | undefined;
  podIdentityArn(cluster: string, id: string): string | undefined;
  nodegroupArn(cluster: string, name: string): string | undefined;
  /** A DynamoDB table's partition key attribute. */
  hashKey(table: string): Promise<string | undefined>;
}

export type OperationMapping = (
  input: Record<string, unknown>,
  lookup: Lookup,
) => MappedRequest[] | Promise<MappedRequest[]>;

/** `aws:RequestTag/<key>` for each tag and `aws:TagKeys`, from `[{Key, Value}]` or `{key: value}`. */
export function requestTags(tags: unknown): ContextValues {
  const pairs: [string, string][] = Array.isArray(tags)
    ? (tags as { Key?: string; Value?: string }[]).map((t) => [String(t.Key), String(t.Value ?? "")])
    : tags && typeof tags === "object"
      ? Object.entries(tags as Record<string, unknown>).map(([k, v]) => [k, String(v)])
      : [];
  if (pairs.length === 0) return {};
  const context: ContextValues = { "aws:TagKeys": pairs.map(([k]) => k) };
  for (const [key, value] of pairs) context[`aws:RequestTag/${key}`] = value;
  return context;
}

export const hasTags = (tags: unknown): boolean =>
  Array.isArray(tags) ? tags.length > 0 : !!tags && typeof tags === "object" && Object.keys(tags).length > 0;

export const str = (value: unknown): string => (value === undefined || value === null ? "" : String(value));

export const request = (action: string, resource: string, context?: ContextValues): MappedRequest =>
  context && Object.keys(context).length > 0 ? { action, resource, context } : { action, resource };
