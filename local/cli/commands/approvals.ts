/**
 * `cplane tasks approve|reject <approvalId> --reason "..."` and the approvals in `cplane tasks list`:
 * the operations kit's approval gates. Locally through the runtime's admin API; on a deployed stage
 * with the caller's credentials (the registry table, SendTaskSuccess, the bus), the decision recorded
 * under the caller's IAM identity. The task token never leaves the registry and AWS.
 */
import { userInfo } from "node:os";
import type { Approval } from "../../../functions/ops/lib/approvals.ts";
import { formatDate, printTable } from "../io.ts";
import { admin, type Target, UsageError } from "../target.ts";

export const APPROVAL_ID = /^apr-[0-9a-f]{12}$/;

/** Who decides: `--as`, else the IAM identity on a stage, else the local user name. */
async function decider(target: Target, as: string | undefined): Promise<string> {
  if (as) return as;
  if (target.kind === "local") return `${userInfo().username} (local)`;
  const { GetCallerIdentityCommand, STSClient } = await import("@aws-sdk/client-sts");
  const { Arn } = await new STSClient({ region: target.region }).send(new GetCallerIdentityCommand({}));
  if (!Arn)
    throw new UsageError("could not tell who you are (STS GetCallerIdentity returned no ARN); pass --as");
  return Arn;
}

/** A deployed stage's approvals, read and decided with the caller's credentials. */
async function stageStore(target: Target) {
  const { DynamoDBClient } = await import("@aws-sdk/client-dynamodb");
  return {
    dynamodb: new DynamoDBClient({ region: target.region }),
    sfn: target.sfn,
    events: target.events,
    table: target.tenantTable,
    busName: target.busName,
  };
}

export async function listApprovalsOn(target: Target): Promise<Approval[]> {
  if (target.kind === "local")
    return (await admin<{ approvals: Approval[] }>(target, "GET", "/approvals")).approvals;
  const { listApprovals } = await import("../../../functions/ops/lib/approvals.ts");
  return listApprovals(await stageStore(target));
}

export function printApprovals(approvals: readonly Approval[], now: number): void {
  printTable([
    ["APPROVAL", "STATUS", "GATE", "QUESTION", "EXPIRES", "EXECUTION"],
    ...approvals.map((a) => [
      a.approvalId,
      a.status === "pending" && Date.parse(a.expiresAt) <= now ? "expired" : a.status,
      a.gate,
      a.question,
      formatDate(new Date(a.expiresAt)),
      a.executionArn,
    ]),
  ]);
}

export async function decideApproval(
  target: Target,
  approvalId: string,
  approved: boolean,
  options: { reason?: string; as?: string },
): Promise<number> {
  if (!APPROVAL_ID.test(approvalId)) throw new UsageError(`"${approvalId}" is not an approval id (apr-…)`);
  const reason = options.reason?.trim();
  if (!reason)
    throw new UsageError(
      `say why: cplane tasks ${approved ? "approve" : "reject"} ${approvalId} --reason "..."`,
    );
  const decidedBy = await decider(target, options.as);
  let decided: Approval;
  if (target.kind === "local") {
    decided = await admin<Approval>(target, "POST", `/approvals/${approvalId}/decision`, {
      approved,
      decidedBy,
      reason,
    });
  } else {
    const { decide } = await import("../../../functions/ops/lib/approvals.ts");
    decided = await decide(
      { approvalId, approved, decidedBy, reason, now: Date.now() },
      await stageStore(target),
    );
  }
  process.stdout.write(`${decided.status} ${approvalId} (${decided.gate}) as ${decidedBy}: ${reason}\n`);
  return 0;
}
