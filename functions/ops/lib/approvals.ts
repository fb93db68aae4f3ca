/**
 * Approvals in the registry table: `pk = APPROVAL#<id>`, `sk = APPROVAL`. The id is derived from the
 * execution and the gate, so a retried or redriven request finds its own item: a decision already made
 * is answered at once, a pending one gets the new task token. The token is stored here and nowhere
 * else (never in logs or events); the table's IAM decides who may read it.
 * `decide` is what `cplane tasks approve|reject` runs, locally (through the runtime) and against a
 * stage (with the caller's credentials): record the decision (who, when, why) first, conditionally,
 * then hand it to the waiting execution.
 */
import { createHash } from "node:crypto";
import {
  type AttributeValue,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import type { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { SendTaskSuccessCommand, SFNClient } from "@aws-sdk/client-sfn";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import { ApprovalDecided } from "../../../events/approvals.ts";
import { lazyAwsClient } from "../../shared/aws-clients.ts";
import { requireEnv } from "../../shared/env.ts";
import { publishEvent } from "../../shared/publish.ts";
import { ApprovalAlreadyDecidedError, ApprovalExpiredError, ApprovalNotFoundError } from "./errors.ts";

export interface Decision {
  readonly approved: boolean;
  readonly decidedBy: string;
  readonly decidedAt: string;
  readonly reason: string;
}

export interface Approval {
  readonly approvalId: string;
  readonly gate: string;
  readonly question: string;
  readonly evidence?: Readonly<Record<string, unknown>>;
  readonly executionArn: string;
  readonly requestedAt: string;
  readonly expiresAt: string;
  readonly escalated: boolean;
  readonly status: "pending" | "approved" | "rejected";
  readonly decision?: Decision;
}

/** Where the approvals live and how to reach AWS: the function's own by default, the CLI's for a stage. */
export interface ApprovalStore {
  readonly dynamodb?: DynamoDBClient;
  readonly sfn?: SFNClient;
  readonly table?: string;
  /** Where `Approval Decided` goes: the function's bus (EVENT_BUS_NAME) by default. */
  readonly events?: EventBridgeClient;
  readonly busName?: string;
}

const defaultDynamodb = lazyAwsClient(DynamoDBClient);
const defaultSfn = lazyAwsClient(SFNClient);
const dynamodbOf = (store: ApprovalStore) => store.dynamodb ?? defaultDynamodb();
const sfnOf = (store: ApprovalStore) => store.sfn ?? defaultSfn();
const tableOf = (store: ApprovalStore) => store.table ?? requireEnv("TENANT_TABLE");
const key = (id: string) => ({ pk: { S: `APPROVAL#${id}` }, sk: { S: "APPROVAL" } });

/** `apr-` and 12 hex digits of the execution ARN, the gate and the round (an escalation is a new one). */
export function approvalId(executionArn: string, gate: string, escalated: boolean): string {
  const digest = createHash("sha256")
    .update(`${executionArn}\n${gate}\n${escalated ? 2 : 1}`)
    .digest("hex");
  return `apr-${digest.slice(0, 12)}`;
}

function fromItem(item: Record<string, AttributeValue>): Approval & { taskToken: string } {
  const { pk: _pk, sk: _sk, ...rest } = unmarshall(item);
  return rest as Approval & { taskToken: string };
}

export async function getApproval(id: string, store: ApprovalStore = {}): Promise<Approval | undefined> {
  const { Item } = await dynamodbOf(store).send(
    new GetItemCommand({ TableName: tableOf(store), Key: key(id), ConsistentRead: true }),
  );
  if (!Item) return undefined;
  const { taskToken: _token, ...approval } = fromItem(Item);
  return approval;
}

/**
 * Stores a pending approval with its task token, or gives the token to the one already pending; returns
 * the stored approval, which may already be decided (the caller then answers the token itself).
 */
export async function requestApproval(
  approval: Omit<Approval, "status" | "decision">,
  taskToken: string,
  store: ApprovalStore = {},
): Promise<Approval> {
  try {
    await dynamodbOf(store).send(
      new PutItemCommand({
        TableName: tableOf(store),
        Item: {
          ...key(approval.approvalId),
          ...marshall({ ...approval, status: "pending", taskToken }, { removeUndefinedValues: true }),
        },
        ConditionExpression: "attribute_not_exists(pk) OR #status = :pending",
        ExpressionAttributeNames: { "#status": "status" },
        ExpressionAttributeValues: { ":pending": { S: "pending" } },
      }),
    );
    return { ...approval, status: "pending" };
  } catch (error) {
    if (!(error instanceof Error && error.name === "ConditionalCheckFailedException")) throw error;
    const decided = await getApproval(approval.approvalId, store);
    if (!decided) throw error;
    return decided;
  }
}

/** Sends a decided approval's decision to the task token that waits for it. */
export async function sendDecision(
  approval: Approval,
  decision: Decision,
  taskToken: string,
  store: ApprovalStore = {},
): Promise<void> {
  await sfnOf(store).send(
    new SendTaskSuccessCommand({
      taskToken,
      output: JSON.stringify({ approvalId: approval.approvalId, gate: approval.gate, ...decision }),
    }),
  );
}

export interface DecideRequest {
  readonly approvalId: string;
  readonly approved: boolean;
  readonly decidedBy: string;
  readonly reason: string;
  /** Now, epoch ms (the cloud's time). */
  readonly now: number;
}

/**
 * Records the decision, then resumes the execution. Refuses an unknown, decided or expired approval
 * by name, before anything changes. An execution that is gone by then (stopped, timed out) leaves the
 * decision recorded and the error named.
 */
export async function decide(request: DecideRequest, store: ApprovalStore = {}): Promise<Approval> {
  const { Item } = await dynamodbOf(store).send(
    new GetItemCommand({ TableName: tableOf(store), Key: key(request.approvalId), ConsistentRead: true }),
  );
  if (!Item) throw new ApprovalNotFoundError(`no approval ${request.approvalId}`);
  const { taskToken, ...approval } = fromItem(Item);
  if (approval.status !== "pending") {
    const by = approval.decision
      ? ` by ${approval.decision.decidedBy} at ${approval.decision.decidedAt}`
      : "";
    throw new ApprovalAlreadyDecidedError(`approval ${request.approvalId} was ${approval.status}${by}`);
  }
  if (Date.parse(approval.expiresAt) <= request.now) {
    throw new ApprovalExpiredError(
      `approval ${request.approvalId} expired at ${approval.expiresAt}; the workflow has applied its timeout rule`,
    );
  }
  const decision: Decision = {
    approved: request.approved,
    decidedBy: request.decidedBy,
    decidedAt: new Date(request.now).toISOString(),
    reason: request.reason,
  };
  try {
    await dynamodbOf(store).send(
      new UpdateItemCommand({
        TableName: tableOf(store),
        Key: key(request.approvalId),
        UpdateExpression: "SET #status = :status, #decision = :decision",
        ConditionExpression: "#status = :pending",
        ExpressionAttributeNames: { "#status": "status", "#decision": "decision" },
        ExpressionAttributeValues: marshall({
          ":status": request.approved ? "approved" : "rejected",
          ":decision": decision,
          ":pending": "pending",
        }),
      }),
    );
  } catch (error) {
    if (error instanceof Error && error.name === "ConditionalCheckFailedException")
      throw new ApprovalAlreadyDecidedError(`approval ${request.approvalId} was decided meanwhile`, {
        cause: error,
      });
    throw error;
  }
  try {
    await sendDecision(approval, decision, taskToken, store);
  } catch (error) {
    if (error instanceof Error && ["TaskTimedOut", "TaskDoesNotExist", "InvalidToken"].includes(error.name))
      throw new ApprovalExpiredError(
        `approval ${request.approvalId}: the decision is recorded, but its execution no longer waits (${error.name})`,
        { cause: error },
      );
    throw error;
  }
  await publishEvent(
    ApprovalDecided,
    {
      approvalId: approval.approvalId,
      gate: approval.gate,
      executionArn: approval.executionArn,
      ...decision,
    },
    {
      ...(store.events ? { client: store.events } : {}),
      ...(store.busName ? { eventBusName: store.busName } : {}),
    },
  );
  return { ...approval, status: request.approved ? "approved" : "rejected", decision };
}

/** Every approval, newest first (for `cplane tasks list`); tokens left out. */
export async function listApprovals(store: ApprovalStore = {}): Promise<Approval[]> {
  const approvals: Approval[] = [];
  let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await dynamodbOf(store).send(
      new ScanCommand({
        TableName: tableOf(store),
        FilterExpression: "sk = :approval",
        ExpressionAttributeValues: { ":approval": { S: "APPROVAL" } },
        ExclusiveStartKey,
      }),
    );
    for (const item of page.Items ?? []) {
      const { taskToken: _token, ...approval } = fromItem(item);
      approvals.push(approval);
    }
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return approvals.sort((a, b) => b.requestedAt.localeCompare(a.requestedAt));
}
