/**
 * Whether the execution that owns a tenant operation still runs: a repeated request joins a running
 * one, and takes over one whose execution is gone (stopped, timed out, failed without its failure path,
 * or lost in a local runtime's crash).
 */
import { DescribeExecutionCommand, SFNClient } from "@aws-sdk/client-sfn";
import { lazyAwsClient } from "../../shared/aws-clients.ts";
import { isAwsError } from "./errors.ts";

const sfn = lazyAwsClient(SFNClient);

export async function isExecutionRunning(executionArn: string): Promise<boolean> {
  try {
    const { status } = await sfn().send(new DescribeExecutionCommand({ executionArn }));
    return status === "RUNNING";
  } catch (error) {
    if (isAwsError(error, "ExecutionDoesNotExist")) return false;
    throw error;
  }
}
