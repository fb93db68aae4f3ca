/**
 * The roles AWS services assume to act for the control plane, authorized like a function's: Step
 * Functions runs each Task as its state machine's role (`TaskRuntime.authorizeTask`), EventBridge and
 * EventBridge Scheduler start each execution as the target's role. A denial fails as the service reports
 * it: the Task with the integration's SDK exception (./tasks.ts), the delivery with EventBridge's
 * `NO_PERMISSIONS`, which is not retried but dead-lettered at once ("Using dead-letter queues to process
 * undelivered events", EventBridge User Guide: "errors that result from missing permissions to a target
 * ... no retry attempts").
 */
import type { TaskCall } from "../engine/tasks.ts";
import { type Authorizer, deniedMessage } from "./authorizer.ts";
import type { Caller } from "./identity.ts";
import { taskAuthorization } from "./tasks.ts";

/** A start its target's role may not make: the dead-letter ERROR_CODE travels with it. */
export class TargetPermissionError extends Error {
  override name = "TargetPermissionError";
  /** What EventBridge puts in the dead-letter message's ERROR_CODE; retrying cannot mend it. */
  readonly errorCode: "NO_PERMISSIONS" | "FAILED_TO_ASSUME_ROLE";
  constructor(message: string, errorCode: TargetPermissionError["errorCode"] = "NO_PERMISSIONS") {
    super(message);
    this.errorCode = errorCode;
  }
}

/** `arn:aws:iam::1:role/path/name` → `name`. */
const roleNameOf = (roleArn: string) => roleArn.slice(roleArn.lastIndexOf("/") + 1);
const stateMachineNameOf = (executionArn: string) => executionArn.split(":")[6] ?? executionArn;

export interface ServiceAuthorization {
  /** Fails the Task (a `StatesError`) unless the state machine's role may make its integration's calls. */
  authorizeTask(call: TaskCall): Promise<void>;
  /** Throws `TargetPermissionError` unless the target's role may start the state machine. */
  authorizeStart(roleArn: string, stateMachineArn: string): Promise<void>;
}

export function createServiceAuthorization(
  authorizer: Authorizer,
  where: { region: string; account: string },
): ServiceAuthorization {
  return {
    async authorizeTask(call) {
      // A state machine made without a role (the engine's default, a test's or the operator's own) acts as
      // the local operator: AWS would not have created it with a role that does not exist.
      if (!call.roleArn || !authorizer.roleExists(roleNameOf(call.roleArn))) return;
      const task = taskAuthorization(call.resource, call.input, where);
      if (!task) return;
      const caller: Caller = {
        service: `states:${stateMachineNameOf(call.executionArn)}`,
        roleName: roleNameOf(call.roleArn),
      };
      const denied = authorizer.authorizeRequests(
        { service: task.service, operation: task.operation, region: where.region },
        caller,
        task.requests,
      );
      if (denied) throw task.denied(deniedMessage(where.account, caller, denied));
    },
    async authorizeStart(roleArn, stateMachineArn) {
      // EventBridge's or Scheduler's: the role's trust policy says which; the decision is the same.
      const caller: Caller = { service: "target", roleName: roleNameOf(roleArn) };
      if (!authorizer.roleExists(caller.roleName)) {
        throw new TargetPermissionError(
          `the target's role ${roleArn} cannot be assumed: it does not exist`,
          "FAILED_TO_ASSUME_ROLE",
        );
      }
      const denied = authorizer.authorizeRequests(
        { service: "SFN", operation: "StartExecution", region: where.region },
        caller,
        [{ action: "states:StartExecution", resource: stateMachineArn }],
      );
      if (denied) throw new TargetPermissionError(deniedMessage(where.account, caller, denied));
    },
  };
}
