/**
 * Secrets Manager, STS and DynamoDB. A secret is authorized on its full ARN (random suffix included);
 * one about to be created on its name with a `-??????` stand-in for the suffix AWS has not chosen yet.
 * DynamoDB item calls carry `dynamodb:LeadingKeys`, the partition key values they touch; transactions are
 * authorized as the item actions inside them, as DynamoDB does.
 */
import {
  hasTags,
  type Lookup,
  type MappedRequest,
  type OperationMapping,
  request,
  requestTags,
  str,
} from "./types.ts";

const secretArn = (id: unknown, l: Lookup) => {
  const text = str(id);
  return (
    l.secretArn(text) ??
    (text.startsWith("arn:") ? text : `arn:aws:secretsmanager:${l.region}:${l.account}:secret:${text}-??????`)
  );
};

const onSecret =
  (action: string): OperationMapping =>
  (input, l) => [request(`secretsmanager:${action}`, secretArn(input.SecretId, l))];

export const secretsMappings: Record<string, OperationMapping> = {
  CreateSecret: (input, l) => {
    const arn = secretArn(input.Name, l);
    const out = [request("secretsmanager:CreateSecret", arn, requestTags(input.Tags))];
    if (hasTags(input.Tags)) out.push(request("secretsmanager:TagResource", arn, requestTags(input.Tags)));
    return out;
  },
  GetSecretValue: onSecret("GetSecretValue"),
  PutSecretValue: onSecret("PutSecretValue"),
  UpdateSecret: onSecret("UpdateSecret"),
  DescribeSecret: onSecret("DescribeSecret"),
  ListSecrets: () => [request("secretsmanager:ListSecrets", "*")],
  DeleteSecret: onSecret("DeleteSecret"),
  RestoreSecret: onSecret("RestoreSecret"),
  // Multi-Region secrets: authorized on the primary; the regions asked for are a condition key.
  ReplicateSecretToRegions: (input, l) => [
    request("secretsmanager:ReplicateSecretToRegions", secretArn(input.SecretId, l), {
      "secretsmanager:AddReplicaRegions": (
        (input.AddReplicaRegions as { Region?: string }[] | undefined) ?? []
      ).map((r) => String(r.Region)),
    }),
  ],
  RemoveRegionsFromReplication: onSecret("RemoveRegionsFromReplication"),
  // Called in the replica's region, on the replica (its ARN names that region).
  StopReplicationToReplica: onSecret("StopReplicationToReplica"),
  TagResource: (input, l) => [
    request("secretsmanager:TagResource", secretArn(input.SecretId, l), requestTags(input.Tags)),
  ],
  UntagResource: (input, l) => [
    request("secretsmanager:UntagResource", secretArn(input.SecretId, l), {
      "aws:TagKeys": (input.TagKeys as string[] | undefined) ?? [],
    }),
  ],
};

/** GetCallerIdentity needs no permission: it works even when a policy denies it (STS API Reference). */
export const stsMappings: Record<string, OperationMapping> = {
  GetCallerIdentity: () => [],
};

const table = (name: unknown, l: Lookup, index?: unknown) =>
  `arn:aws:dynamodb:${l.region}:${l.account}:table/${str(name)}${index ? `/index/${str(index)}` : ""}`;

/** A key attribute's value as a string, whether the input is a document (`"x"`) or marshalled (`{S: "x"}`). */
function scalar(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object") return String(value);
  const typed = value as { S?: unknown; N?: unknown; B?: unknown };
  const inner = typed.S ?? typed.N ?? typed.B;
  return inner === undefined ? undefined : String(inner);
}

/** The partition key values a Query's key condition names (`pk = :pk`, `#p = :v`). */
function queryKeys(input: Record<string, unknown>, hashKey: string): string[] {
  const names = (input.ExpressionAttributeNames ?? {}) as Record<string, string>;
  const values = (input.ExpressionAttributeValues ?? {}) as Record<string, unknown>;
  const out: string[] = [];
  for (const match of str(input.KeyConditionExpression).matchAll(/([#\w]+)\s*=\s*(:\w+)/g)) {
    const name = match[1]?.startsWith("#") ? names[match[1]] : match[1];
    const value = scalar(values[match[2] as string]);
    if (name === hashKey && value !== undefined) out.push(value);
  }
  const legacy = (input.KeyConditions as Record<string, { AttributeValueList?: unknown[] }> | undefined)?.[
    hashKey
  ];
  for (const value of legacy?.AttributeValueList ?? []) {
    const text = scalar(value);
    if (text !== undefined) out.push(text);
  }
  return out;
}

async function item(action: string, name: unknown, key: unknown, l: Lookup): Promise<MappedRequest> {
  const hashKey = await l.hashKey(str(name));
  const value = hashKey ? scalar((key as Record<string, unknown> | undefined)?.[hashKey]) : undefined;
  return request(
    `dynamodb:${action}`,
    table(name, l),
    value === undefined ? {} : { "dynamodb:LeadingKeys": [value] },
  );
}

const onTable =
  (action: string): OperationMapping =>
  (input, l) => [request(`dynamodb:${action}`, table(input.TableName, l))];

/** Batch and transaction items grouped by table: one request per table with every partition key touched. */
async function perTable(
  action: (kind: string) => string,
  entries: { table: string; kind: string; key: unknown }[],
  l: Lookup,
): Promise<MappedRequest[]> {
  const grouped = new Map<string, { action: string; table: string; keys: string[] }>();
  for (const entry of entries) {
    const hashKey = await l.hashKey(entry.table);
    const value = hashKey ? scalar((entry.key as Record<string, unknown> | undefined)?.[hashKey]) : undefined;
    const id = `${action(entry.kind)} ${entry.table}`;
    const group = grouped.get(id) ?? { action: action(entry.kind), table: entry.table, keys: [] };
    if (value !== undefined && !group.keys.includes(value)) group.keys.push(value);
    grouped.set(id, group);
  }
  return [...grouped.values()].map((g) =>
    request(g.action, table(g.table, l), g.keys.length > 0 ? { "dynamodb:LeadingKeys": g.keys } : {}),
  );
}

const TRANSACT_ACTIONS: Record<string, string> = {
  Put: "dynamodb:PutItem",
  Update: "dynamodb:UpdateItem",
  Delete: "dynamodb:DeleteItem",
  ConditionCheck: "dynamodb:ConditionCheckItem",
  Get: "dynamodb:GetItem",
};

export const dynamodbMappings: Record<string, OperationMapping> = {
  CreateTable: (input, l) => [
    request("dynamodb:CreateTable", table(input.TableName, l), requestTags(input.Tags)),
  ],
  DeleteTable: onTable("DeleteTable"),
  DescribeTable: onTable("DescribeTable"),
  ListTables: () => [request("dynamodb:ListTables", "*")],
  UpdateTable: onTable("UpdateTable"),
  UpdateTimeToLive: onTable("UpdateTimeToLive"),
  DescribeTimeToLive: onTable("DescribeTimeToLive"),
  TagResource: (input) => [request("dynamodb:TagResource", str(input.ResourceArn), requestTags(input.Tags))],
  UntagResource: (input) => [
    request("dynamodb:UntagResource", str(input.ResourceArn), {
      "aws:TagKeys": (input.TagKeys as string[] | undefined) ?? [],
    }),
  ],
  ListTagsOfResource: (input) => [request("dynamodb:ListTagsOfResource", str(input.ResourceArn))],
  GetItem: async (input, l) => [await item("GetItem", input.TableName, input.Key, l)],
  PutItem: async (input, l) => [await item("PutItem", input.TableName, input.Item, l)],
  UpdateItem: async (input, l) => [await item("UpdateItem", input.TableName, input.Key, l)],
  DeleteItem: async (input, l) => [await item("DeleteItem", input.TableName, input.Key, l)],
  Query: async (input, l) => {
    const hashKey = await l.hashKey(str(input.TableName));
    const keys = hashKey ? queryKeys(input, hashKey) : [];
    return [
      request(
        "dynamodb:Query",
        table(input.TableName, l, input.IndexName),
        keys.length > 0 ? { "dynamodb:LeadingKeys": keys } : {},
      ),
    ];
  },
  Scan: (input, l) => [request("dynamodb:Scan", table(input.TableName, l, input.IndexName))],
  BatchGetItem: (input, l) =>
    perTable(
      () => "dynamodb:BatchGetItem",
      Object.entries((input.RequestItems ?? {}) as Record<string, { Keys?: unknown[] }>).flatMap(
        ([name, spec]) => (spec.Keys ?? []).map((key) => ({ table: name, kind: "Get", key })),
      ),
      l,
    ),
  BatchWriteItem: (input, l) =>
    perTable(
      () => "dynamodb:BatchWriteItem",
      Object.entries(
        (input.RequestItems ?? {}) as Record<string, Record<string, Record<string, unknown>>[]>,
      ).flatMap(([name, writes]) =>
        writes.map((w) => ({ table: name, kind: "Write", key: w.PutRequest?.Item ?? w.DeleteRequest?.Key })),
      ),
      l,
    ),
  TransactGetItems: (input, l) =>
    perTable(
      (kind) => TRANSACT_ACTIONS[kind] as string,
      ((input.TransactItems ?? []) as Record<string, { TableName?: string; Key?: unknown }>[]).map((t) => ({
        table: str(t.Get?.TableName),
        kind: "Get",
        key: t.Get?.Key,
      })),
      l,
    ),
  TransactWriteItems: (input, l) =>
    perTable(
      (kind) => TRANSACT_ACTIONS[kind] as string,
      (
        (input.TransactItems ?? []) as Record<string, { TableName?: string; Key?: unknown; Item?: unknown }>[]
      ).flatMap((t) =>
        Object.entries(t).map(([kind, op]) => ({ table: str(op.TableName), kind, key: op.Key ?? op.Item })),
      ),
      l,
    ),
};
