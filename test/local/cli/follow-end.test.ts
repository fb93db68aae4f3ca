/**
 * `--follow` prints the execution's last lines: an execution that ends between two reads of the API
 * still has its end (ExecutionFailed, with its cause) printed. Step Functions is mocked at the client:
 * the execution ends right after the first call, as one does that ends between two reads.
 */
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  SFNClient,
} from "@aws-sdk/client-sfn";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { followExecution } from "../../../local/cli/follow.ts";
import type { Target } from "../../../local/cli/target.ts";

const ARN = "arn:aws:states:us-east-1:000000000000:execution:cplane-local-tenant-onboarding:x";
const at = (s: number) => new Date(Date.parse("2026-03-01T00:00:00Z") + s * 1000);
const STARTED: HistoryEvent[] = [
  { id: 1, type: "ExecutionStarted", timestamp: at(0) },
  {
    id: 2,
    type: "TaskStateEntered",
    timestamp: at(0),
    stateEnteredEventDetails: { name: "CreateNamespace" },
  },
];
const ENDED: HistoryEvent[] = [
  ...STARTED,
  {
    id: 3,
    type: "ExecutionFailed",
    timestamp: at(5),
    executionFailedEventDetails: { error: "InvalidParameterException", cause: "failed at create-namespace" },
  },
];

let out = "";
beforeEach(() => {
  out = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
});
afterEach(() => vi.restoreAllMocks());

describe("--follow at the end of an execution", () => {
  it("prints the end even when the execution ended right after a read of its history", async () => {
    // Prepare: the execution ends right after the first call made to the API, whichever it is.
    let calls = 0;
    const ended = () => calls++ >= 1;
    const sfn = mockClient(SFNClient);
    sfn
      .on(GetExecutionHistoryCommand)
      .callsFake(() => ({ events: ended() ? ENDED : STARTED }))
      .on(DescribeExecutionCommand)
      .callsFake(() =>
        ended()
          ? { status: "FAILED", error: "InvalidParameterException", cause: "failed at create-namespace" }
          : { status: "RUNNING" },
      );
    const target = { sfn: new SFNClient({ region: "us-east-1" }) } as unknown as Target;

    // Act
    const result = await followExecution(target, ARN, 1);

    // Assess
    expect(result.status).toBe("FAILED");
    expect(out).toMatch(
      /\+00:00:05 {2}ExecutionFailed\s+CreateNamespace {2}InvalidParameterException: failed at create-namespace\n/,
    );
    sfn.restore();
  });
});
