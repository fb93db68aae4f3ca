/**
 * What the copy pipeline proved in its last round, kept in the registry table (`pk = DR#COPIES`,
 * `sk = LATEST`): per tenant, the DR snapshot its cluster's data still equalled and until when (no
 * write before `provenTo`). A tenant whose data did not change gets no new snapshot; readiness and a
 * failover's RPO then count the copy's data as of `provenTo` rather than its creation. One item for
 * the fleet (about 100 bytes a tenant: some 3,500 tenants under DynamoDB's 400 KB item limit).
 */
import { DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { lazyAwsClient } from "../../shared/aws-clients.ts";
import { requireEnv } from "../../shared/env.ts";

const dynamodb = lazyAwsClient(DynamoDBClient);
const KEY = { pk: { S: "DR#COPIES" }, sk: { S: "LATEST" } };

export interface CopyProof {
  /** The DR snapshot (and its copies: same identifier) that holds the cluster's data. */
  readonly snapshot: string;
  /** Epoch ms: the cluster wrote nothing from the snapshot's creation until then. */
  readonly provenTo: number;
}

export type CopyProofs = Readonly<Record<string, CopyProof>>;

export async function readCopyProofs(): Promise<CopyProofs> {
  const { Item } = await dynamodb().send(
    new GetItemCommand({ TableName: requireEnv("TENANT_TABLE"), Key: KEY, ConsistentRead: true }),
  );
  const body = Item?.proofs?.S;
  return body ? (JSON.parse(body) as CopyProofs) : {};
}

export async function writeCopyProofs(proofs: CopyProofs, at: string): Promise<void> {
  await dynamodb().send(
    new PutItemCommand({
      TableName: requireEnv("TENANT_TABLE"),
      Item: { ...KEY, at: { S: at }, proofs: { S: JSON.stringify(proofs) } },
    }),
  );
}

/** The time a copy's data is known current to: its creation, or later when a proof for it says so. */
export function dataAsOf(copy: { snapshotIdentifier: string; createdAt: number }, proof?: CopyProof): number {
  return proof?.snapshot === copy.snapshotIdentifier
    ? Math.max(copy.createdAt, proof.provenTo)
    : copy.createdAt;
}
