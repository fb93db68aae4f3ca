/**
 * How a running canary hears a person or an alarm: the registry item `pk = CANARY#<service>`,
 * `sk = CANARY` names the execution running the service's canary and, while it bakes, the task token
 * of its wait (`canary/await-signal`). `canary/signal` answers that token with the command (abort,
 * promote, pause, resume), so the execution acts at once; a command that finds no wait (the canary is
 * analysing or rolling out) is kept as pending, and the next wait takes it at once.
 */
import {
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { SendTaskSuccessCommand, SFNClient } from "@aws-sdk/client-sfn";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import { z } from "zod";
import { lazyAwsClient } from "../../shared/aws-clients.ts";
import { requireEnv } from "../../shared/env.ts";
import type { Plan } from "./plan.ts";

const dynamodb = lazyAwsClient(DynamoDBClient);
const sfn = lazyAwsClient(SFNClient);
const table = () => requireEnv("TENANT_TABLE");

export const CanaryCommandName = z.enum(["abort", "promote", "pause", "resume"]);
export type CanaryCommandName = z.infer<typeof CanaryCommandName>;

export const CanaryCommand = z.object({
  command: CanaryCommandName,
  requestedBy: z.string().min(1),
  reason: z.string().min(1),
  at: z.string().min(1),
  /** For an alarm: the alarm's name, what it measured and its threshold. */
  alarm: z
    .object({ name: z.string(), measured: z.number().nullable(), threshold: z.number().nullable() })
    .optional(),
});
export type CanaryCommand = z.infer<typeof CanaryCommand>;

export interface CanaryRecord {
  readonly service: string;
  readonly executionArn: string;
  /** What the execution is rolling out: the clean-up of a stopped execution rolls it back from this. */
  readonly plan?: Plan;
  readonly taskToken?: string;
  readonly pending?: CanaryCommand;
  /** The clean-up execution that took on this canary after its execution was stopped from outside. */
  readonly cleanupBy?: string;
}

const key = (service: string) => ({ pk: { S: `CANARY#${service}` }, sk: { S: "CANARY" } });

export async function readCanary(service: string): Promise<CanaryRecord | undefined> {
  const { Item } = await dynamodb().send(
    new GetItemCommand({ TableName: table(), Key: key(service), ConsistentRead: true }),
  );
  return Item ? (unmarshall(Item) as CanaryRecord) : undefined;
}

/**
 * Names `executionArn` as the service's running canary (again, on a retry or redrive), with its plan:
 * if the execution is stopped from outside, the clean-up reads from here what to roll back.
 */
export async function registerCanary(service: string, executionArn: string, plan: Plan): Promise<void> {
  await dynamodb().send(
    new PutItemCommand({
      TableName: table(),
      Item: {
        ...key(service),
        ...marshall({ service, executionArn, plan }, { removeUndefinedValues: true }),
      },
    }),
  );
}

/**
 * The clean-up execution `cleanupArn` takes on the canary `executionArn` left running: true for the
 * first to ask (and for the same clean-up again, on a retry or redrive), false when another clean-up
 * has it or the canary is no longer this execution's. The rule may deliver its event twice.
 */
export async function claimCleanup(
  service: string,
  executionArn: string,
  cleanupArn: string,
): Promise<boolean> {
  try {
    await dynamodb().send(
      new UpdateItemCommand({
        TableName: table(),
        Key: key(service),
        UpdateExpression: "SET cleanupBy = :cleanup",
        ConditionExpression:
          "executionArn = :execution AND (attribute_not_exists(cleanupBy) OR cleanupBy = :cleanup)",
        ExpressionAttributeValues: { ":cleanup": { S: cleanupArn }, ":execution": { S: executionArn } },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof Error && error.name === "ConditionalCheckFailedException") return false;
    throw error;
  }
}

/** Stores the current wait's token, and takes the pending command if there is one. */
export async function awaitCommand(
  service: string,
  executionArn: string,
  taskToken: string,
): Promise<CanaryCommand | undefined> {
  const { Attributes } = await dynamodb().send(
    new UpdateItemCommand({
      TableName: table(),
      Key: key(service),
      UpdateExpression: "SET taskToken = :token REMOVE pending",
      ConditionExpression: "executionArn = :execution",
      ExpressionAttributeValues: { ":token": { S: taskToken }, ":execution": { S: executionArn } },
      ReturnValues: "ALL_OLD",
    }),
  );
  const old = Attributes ? (unmarshall(Attributes) as CanaryRecord) : undefined;
  return old?.pending;
}

/** Keeps a command for the next wait (the execution is not waiting now). */
export async function keepPending(
  service: string,
  executionArn: string,
  command: CanaryCommand,
): Promise<void> {
  await dynamodb().send(
    new UpdateItemCommand({
      TableName: table(),
      Key: key(service),
      UpdateExpression: "SET pending = :command REMOVE taskToken",
      ConditionExpression: "executionArn = :execution",
      ExpressionAttributeValues: {
        ":command": { M: marshall(command, { removeUndefinedValues: true }) },
        ":execution": { S: executionArn },
      },
    }),
  );
}

/** Answers a wait's token with the command; false when the wait is over (its token no longer valid). */
export async function deliver(taskToken: string, command: CanaryCommand): Promise<boolean> {
  try {
    await sfn().send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(command) }));
    return true;
  } catch (error) {
    if (error instanceof Error && ["TaskTimedOut", "TaskDoesNotExist", "InvalidToken"].includes(error.name))
      return false;
    throw error;
  }
}

/** The canary is over: nobody signals it any more. Only the execution that registered it removes it. */
export async function unregisterCanary(service: string, executionArn: string): Promise<void> {
  try {
    await dynamodb().send(
      new DeleteItemCommand({
        TableName: table(),
        Key: key(service),
        ConditionExpression: "attribute_not_exists(pk) OR executionArn = :execution",
        ExpressionAttributeValues: { ":execution": { S: executionArn } },
      }),
    );
  } catch (error) {
    if (error instanceof Error && error.name === "ConditionalCheckFailedException") return;
    throw error;
  }
}
