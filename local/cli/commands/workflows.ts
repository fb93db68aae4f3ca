/** `cplane run`, `cplane executions ...`, `cplane tasks ...`: workflows through the Step Functions API. */
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  RedriveExecutionCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  StopExecutionCommand,
} from "@aws-sdk/client-sfn";
import { workflowCatalog } from "../../../workflows/catalog.ts";
import { describeFailure, failureOf } from "../failure.ts";
import { followExecution } from "../follow.ts";
import { formatDate, printJson, printTable, readJsonArgument } from "../io.ts";
import { admin, type Target, UsageError } from "../target.ts";
import { APPROVAL_ID, decideApproval, listApprovalsOn, printApprovals } from "./approvals.ts";

/** Exit code for input that was refused before anything started. */
export const EXIT_INVALID = 2;

export class NotDeployedError extends UsageError {
  override name = "NotDeployedError";
}

export class InvalidWorkflowInputError extends UsageError {
  override name = "InvalidWorkflowInputError";
}

export async function runWorkflow(
  target: Target,
  workflow: string,
  options: { input?: string; name?: string; follow?: boolean; json?: boolean },
): Promise<number> {
  const spec = workflowCatalog.get(knownWorkflow(workflow));
  if (!spec) throw new UsageError(`unknown workflow "${workflow}"`);
  const input = options.input === undefined ? {} : readJsonArgument(options.input, "--input");
  const parsed = spec.input.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map(
      (issue) => `  ${issue.path.join(".") || "(input)"}: ${issue.message}`,
    );
    throw new InvalidWorkflowInputError(
      `input for ${workflow} is invalid; nothing was started:\n${issues.join("\n")}`,
    );
  }
  const stateMachineArn = await stateMachineArnOf(target, workflow);
  const started = await target.sfn.send(
    new StartExecutionCommand({ stateMachineArn, name: options.name, input: JSON.stringify(input) }),
  );
  const executionArn = started.executionArn ?? "";
  if (!options.follow) {
    if (options.json) printJson({ executionArn, startDate: started.startDate });
    else process.stdout.write(`${executionArn}\n`);
    return 0;
  }
  process.stdout.write(`started ${executionArn}\n`);
  const result = await followExecution(target, executionArn);
  if (result.status === "SUCCEEDED") {
    process.stdout.write(`SUCCEEDED\n${result.output ?? ""}\n`);
    return 0;
  }
  process.stdout.write(`${result.status}: ${result.error ?? ""}${result.cause ? `\n${result.cause}` : ""}\n`);
  return 1;
}

/** A workflow of the catalog, or a UsageError naming the ones there are. */
function knownWorkflow(workflow: string): string {
  if (workflowCatalog.has(workflow)) return workflow;
  throw new UsageError(
    `unknown workflow "${workflow}"; known: ${[...workflowCatalog.keys()].join(", ") || "none"}`,
  );
}

export async function stateMachineArnOf(target: Target, workflow: string): Promise<string> {
  const name = target.stateMachineName(workflow);
  let nextToken: string | undefined;
  do {
    const page = await target.sfn.send(new ListStateMachinesCommand({ nextToken }));
    const found = page.stateMachines?.find((sm) => sm.name === name);
    if (found?.stateMachineArn) return found.stateMachineArn;
    nextToken = page.nextToken;
  } while (nextToken);
  throw new NotDeployedError(`state machine ${name} is not deployed on ${target.kind}`);
}

export async function executions(
  target: Target,
  action: string,
  args: string[],
  options: Record<string, unknown>,
) {
  const json = options.json === true;
  switch (action) {
    case "list": {
      const workflows = args[0] ? [knownWorkflow(args[0])] : [...workflowCatalog.keys()];
      const rows: string[][] = [["WORKFLOW", "STATUS", "STARTED", "STOPPED", "EXECUTION ARN"]];
      const all: unknown[] = [];
      const notDeployed: string[] = [];
      for (const workflow of workflows) {
        // Listing every workflow skips one the target does not have (and says so); naming it does not.
        const arn = await stateMachineArnOf(target, workflow).catch((error: unknown) => {
          if (!(error instanceof NotDeployedError) || args[0]) throw error;
          notDeployed.push(workflow);
          return undefined;
        });
        if (!arn) continue;
        const page = await target.sfn.send(
          new ListExecutionsCommand({
            stateMachineArn: arn,
            statusFilter: typeof options.status === "string" ? (options.status as "RUNNING") : undefined,
          }),
        );
        for (const e of page.executions ?? []) {
          all.push({ workflow, ...e });
          rows.push([
            workflow,
            e.status ?? "",
            formatDate(e.startDate),
            formatDate(e.stopDate),
            e.executionArn ?? "",
          ]);
        }
      }
      if (json) printJson(all);
      else printTable(rows);
      if (notDeployed.length > 0) {
        process.stderr.write(`not deployed on ${target.kind}: ${notDeployed.join(", ")}\n`);
      }
      return 0;
    }
    case "describe": {
      const out = await target.sfn.send(
        new DescribeExecutionCommand({ executionArn: need(args[0], "an execution ARN") }),
      );
      const { $metadata: _, ...rest } = out;
      printJson(rest);
      return 0;
    }
    case "history": {
      const events: HistoryEvent[] = [];
      let nextToken: string | undefined;
      do {
        const page = await target.sfn.send(
          new GetExecutionHistoryCommand({
            executionArn: need(args[0], "an execution ARN"),
            nextToken,
            maxResults: 1000,
          }),
        );
        events.push(...(page.events ?? []));
        nextToken = page.nextToken;
      } while (nextToken);
      if (json) printJson(events);
      else {
        printTable([
          ["ID", "TIME", "TYPE", "STATE", "ERROR"],
          ...events.map((e) => {
            const failure = failureOf(e);
            return [
              String(e.id),
              formatDate(e.timestamp),
              e.type ?? "",
              e.stateEnteredEventDetails?.name ?? e.stateExitedEventDetails?.name ?? "",
              // What failed says why, as --follow does (the whole cause: --json).
              failure ? describeFailure(failure, 200) : "",
            ];
          }),
        ]);
      }
      return 0;
    }
    case "stop": {
      await target.sfn.send(
        new StopExecutionCommand({
          executionArn: need(args[0], "an execution ARN"),
          error: typeof options.error === "string" ? options.error : undefined,
          cause: typeof options.cause === "string" ? options.cause : undefined,
        }),
      );
      process.stdout.write("stopped\n");
      return 0;
    }
    case "redrive": {
      const out = await target.sfn.send(
        new RedriveExecutionCommand({ executionArn: need(args[0], "an execution ARN") }),
      );
      process.stdout.write(`redriven at ${formatDate(out.redriveDate)}\n`);
      return 0;
    }
    default:
      throw new UsageError(
        "usage: cplane executions list [workflow] | describe ARN | history ARN | stop ARN | redrive ARN",
      );
  }
}

interface PendingTask {
  readonly taskToken: string;
  readonly executionArn: string;
  readonly stateName: string;
  readonly input?: unknown;
}

export async function tasks(
  target: Target,
  action: string,
  args: string[],
  options: Record<string, unknown>,
) {
  switch (action) {
    case "list": {
      const approvals = await listApprovalsOn(target);
      if (target.kind === "aws") {
        if (options.json === true) printJson(approvals);
        else printApprovals(approvals, Date.now());
        return 0;
      }
      const pending = await admin<{ tasks: PendingTask[] }>(target, "GET", "/tasks");
      const clock = await admin<{ now: string }>(target, "GET", "/clock");
      if (options.json === true) printJson({ approvals, tasks: pending.tasks });
      else {
        printApprovals(approvals, Date.parse(clock.now));
        process.stdout.write("\n");
        printTable([
          ["STATE", "EXECUTION", "TOKEN"],
          ...pending.tasks.map((t) => [t.stateName, t.executionArn, t.taskToken]),
        ]);
      }
      return 0;
    }
    case "approve":
    case "reject":
      if (APPROVAL_ID.test(args[0] ?? ""))
        return decideApproval(target, args[0] ?? "", action === "approve", {
          reason: typeof options.reason === "string" ? options.reason : undefined,
          as: typeof options.as === "string" ? options.as : undefined,
        });
      return answerToken(target, action, args, options);
    default:
      throw new UsageError(
        "usage: cplane tasks list | approve|reject APPROVAL_ID --reason WHY [--as NAME] | approve TOKEN [--output JSON] | reject TOKEN [--error E --cause C]",
      );
  }
}

/** A raw task token (a `.waitForTaskToken` task that is not an approval gate). */
async function answerToken(target: Target, action: string, args: string[], options: Record<string, unknown>) {
  switch (action) {
    case "approve": {
      const output =
        typeof options.output === "string"
          ? readJsonArgument(options.output, "--output")
          : { approved: true };
      await target.sfn.send(
        new SendTaskSuccessCommand({
          taskToken: need(args[0], "a task token"),
          output: JSON.stringify(output),
        }),
      );
      process.stdout.write("approved\n");
      return 0;
    }
    case "reject": {
      await target.sfn.send(
        new SendTaskFailureCommand({
          taskToken: need(args[0], "a task token"),
          error: typeof options.error === "string" ? options.error : "Rejected",
          cause: typeof options.cause === "string" ? options.cause : "rejected from the cplane CLI",
        }),
      );
      process.stdout.write("rejected\n");
      return 0;
    }
    default:
      throw new UsageError(`unknown tasks action ${action}`);
  }
}

function need(value: string | undefined, what: string): string {
  if (!value) throw new UsageError(`this command needs ${what}`);
  return value;
}
