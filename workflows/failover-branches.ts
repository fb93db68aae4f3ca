/**
 * The parts of regional-failover that run per item or per branch: promoting one global database and
 * waiting for it, restoring one tenant and waiting for it (then its secret made to name the cluster
 * now writing), scaling the secondary EKS. Each reports its
 * own failure as data (`ok: false` with the error) so that one tenant's failure never stops the rest;
 * its variables are its own (prefixed), never the workflow's.
 */
import type { CatalogFunctionId } from "../functions/catalog.ts";
import { type JsonValue, lambdaTask, type Retrier, type State } from "./asl.ts";
import { EXECUTION_ARN, pollUntil, TRANSIENT_RETRY } from "./kit/index.ts";

/**
 * How many global databases promote at once: each takes a minute or two, and a second wave would put
 * premium past its 5-minute RTO (the bench: 11 global databases at 10 at once took 300 s, not 212 s).
 */
export const MAX_CONCURRENCY = 40;
/**
 * How many tenants restore at once: a restore takes about 12 minutes, and standard's 30-minute RTO
 * allows one wave, not four; the plan orders restores by RTO target, tightest first.
 */
export const MAX_RESTORE_CONCURRENCY = 50;

interface PollLoop {
  readonly prefix: string;
  readonly start: { id: CatalogFunctionId; payload: string };
  readonly check: { id: CatalogFunctionId; payload: string };
  readonly pollSeconds: number;
  readonly deadlineSeconds: number;
  /** JSONata (no `{% %}`) of the item's fields reported on either outcome. */
  readonly item: string;
  /** JSONata of the RPO at this item's recovery, from `$<prefix>Start`. */
  readonly rpo: string;
  /** Retriers of the start tried before the standard one. */
  readonly startRetry?: readonly Retrier[];
  /** A step once it is ready (its failure fails the item), before Done. */
  readonly after?: { id: CatalogFunctionId; payload: string };
  /** Where either outcome goes; without it the loop ends its branch or item. */
  readonly next?: { readonly done: string; readonly failed: string };
}

const then = (next: string | undefined) => (next ? { Next: next } : { End: true as const });

/** Start → (Wait → Check)* → Done | Failed, as states of a Map item or a Parallel branch. */
function pollLoop(spec: PollLoop): { StartAt: string; States: Record<string, State> } {
  const p = spec.prefix;
  const failed = `${p}Failed`;
  const catchToFailed = {
    ErrorEquals: ["States.ALL"],
    Next: failed,
    Assign: { [`${p}Error`]: "{% $states.errorOutput.Error & ': ' & $states.errorOutput.Cause %}" },
  };
  const task = (
    id: CatalogFunctionId,
    payload: string,
    assign: Record<string, JsonValue>,
    next: string,
    retry: readonly Retrier[] = [],
  ) =>
    lambdaTask(id, {
      Payload: payload,
      ...(Object.keys(assign).length > 0 ? { Assign: assign } : {}),
      Retry: [...retry, TRANSIENT_RETRY],
      Catch: [catchToFailed],
      Next: next,
    });
  const outcome = (ok: boolean) =>
    `{% $merge([${spec.item}, {"ok": ${ok}, "error": ${ok ? "null" : `$${p}Error`}, "rpoSeconds": ${ok ? spec.rpo : "null"}, "at": ${ok ? `$${p}Status.at` : "null"}}]) %}`;
  return {
    StartAt: `${p}Begin`,
    States: {
      [`${p}Begin`]: {
        Type: "Pass",
        Assign: {
          [`${p}Item`]: "{% $states.input.item %}",
          [`${p}Start`]: null,
          [`${p}Status`]: null,
          [`${p}Error`]: null,
          [`${p}Deadline`]: `{% $toMillis($states.context.State.EnteredTime) + ${spec.deadlineSeconds * 1000} %}`,
        },
        Next: `${p}Start`,
      },
      [`${p}Start`]: task(
        spec.start.id,
        spec.start.payload,
        { [`${p}Start`]: "{% $states.result.Payload %}" },
        `${p}Wait`,
        spec.startRetry,
      ),
      [`${p}Wait`]: { Type: "Wait", Seconds: spec.pollSeconds, Next: `${p}Check` },
      [`${p}Check`]: task(
        spec.check.id,
        spec.check.payload,
        { [`${p}Status`]: "{% $states.result.Payload %}" },
        `${p}IsDone`,
      ),
      [`${p}IsDone`]: {
        Type: "Choice",
        Choices: [
          { Condition: `{% $${p}Status.ready = true %}`, Next: spec.after ? `${p}After` : `${p}Done` },
          {
            Condition: `{% $${p}Status.failed = true %}`,
            Next: failed,
            Assign: { [`${p}Error`]: `{% 'ended ' & $${p}Status.status %}` },
          },
          {
            Condition: `{% $toMillis($states.context.State.EnteredTime) > $${p}Deadline %}`,
            Next: failed,
            Assign: {
              [`${p}Error`]: `{% 'not done after ${spec.deadlineSeconds / 60} minutes (' & $${p}Status.status & ')' %}`,
            },
          },
        ],
        Default: `${p}Wait`,
      },
      ...(spec.after ? { [`${p}After`]: task(spec.after.id, spec.after.payload, {}, `${p}Done`) } : {}),
      [`${p}Done`]: { Type: "Pass", Output: outcome(true), ...then(spec.next?.done) },
      [failed]: { Type: "Pass", Output: outcome(false), ...then(spec.next?.failed) },
    },
  };
}

const ITEM_FIELDS = (p: string) =>
  `{"subject": $${p}Item.subject, "tier": $${p}Item.tier, "tenantId": $${p}Item.tenantId, "rtoTargetSeconds": $${p}Item.rtoTargetSeconds, "rpoTargetSeconds": $${p}Item.rpoTargetSeconds}`;

/**
 * A global database still moving elsewhere (a drill's switchover cut short by another part's failure,
 * then failed back) is moved again once it settles: a switchover takes minutes, more than the standard
 * Retry waits, so it is asked again every 30 s for 10 minutes.
 */
export const MOVE_SETTLING_RETRY: Retrier = {
  ErrorEquals: ["DrResourceBusyError"],
  IntervalSeconds: 30,
  MaxAttempts: 20,
  BackoffRate: 1,
};

/**
 * A Map over global databases: promote each to `target` (a JSONata field of the item: `targetArn`
 * forward, `sourceArn` to fail back), with or without data loss, and wait until it writes there.
 */
export function promoteEach(spec: {
  items: string;
  target: "targetArn" | "sourceArn";
  dataLoss: string;
  prefix: string;
  next?: string;
  /** A variable (of the enclosing branch) the items' outcomes go to. */
  assign?: string;
}): State {
  const p = spec.prefix;
  const ident = `"globalClusterIdentifier": $${p}Item.globalClusterIdentifier, "targetArn": $${p}Item.${spec.target}, "executionArn": ${EXECUTION_ARN}`;
  return {
    Type: "Map",
    Items: `{% ${spec.items} %}`,
    MaxConcurrency: MAX_CONCURRENCY,
    ItemSelector: { item: "{% $states.context.Map.Item.Value %}" },
    ItemProcessor: {
      ProcessorConfig: { Mode: "INLINE" },
      ...pollLoop({
        prefix: p,
        start: { id: "failover/promote-database", payload: `{% {${ident}, "dataLoss": ${spec.dataLoss}} %}` },
        check: { id: "failover/check-promotion", payload: `{% {${ident}} %}` },
        startRetry: [MOVE_SETTLING_RETRY],
        after: {
          id: "failover/point-secret",
          payload: `{% {"subject": $${p}Item.subject, "tenantId": $${p}Item.tenantId, "cluster": $${p}Item.${spec.target}, "region": $split($${p}Item.${spec.target}, ":")[3], "executionArn": ${EXECUTION_ARN}} %}`,
        },
        pollSeconds: 15,
        deadlineSeconds: 20 * 60,
        item: ITEM_FIELDS(p),
        rpo: `$${p}Start.rpoSeconds`,
      }),
    } as unknown as JsonValue,
    ...(spec.assign ? { Assign: { [spec.assign]: "{% $states.result %}" } } : {}),
    ...(spec.next ? { Next: spec.next } : { End: true }),
  };
}

/** A Map over snapshot-tier tenants: restore each from its latest copy and wait until it is available. */
export function restoreEach(items: string): State {
  const p = "rs";
  return {
    Type: "Map",
    Items: `{% ${items} %}`,
    MaxConcurrency: MAX_RESTORE_CONCURRENCY,
    ItemSelector: { item: "{% $states.context.Map.Item.Value %}" },
    ItemProcessor: {
      ProcessorConfig: { Mode: "INLINE" },
      ...pollLoop({
        prefix: p,
        start: {
          id: "failover/restore-tenant",
          payload: `{% $merge([$${p}Item, {"signalAt": $plan.signalAt, "executionArn": ${EXECUTION_ARN}}]) %}`,
        },
        check: {
          id: "failover/check-restore",
          payload: `{% {"clusterIdentifier": $${p}Start.clusterIdentifier, "region": $${p}Item.region, "executionArn": ${EXECUTION_ARN}} %}`,
        },
        after: {
          id: "failover/point-secret",
          payload: `{% {"subject": $${p}Item.subject, "tenantId": $${p}Item.tenantId, "cluster": $${p}Start.clusterIdentifier, "region": $${p}Item.region, "executionArn": ${EXECUTION_ARN}} %}`,
        },
        pollSeconds: 60,
        deadlineSeconds: 60 * 60,
        item: ITEM_FIELDS(p),
        rpo: `$${p}Start.rpoSeconds`,
      }),
    } as unknown as JsonValue,
    End: true,
  };
}

/**
 * Scale a node group to `desired` (JSONata) and wait for the update. Its failure is the branch's output
 * (`ok: false`), or, while `stop.when` (JSONata) holds, fails the branch with `stop.error` (a drill
 * stops at once rather than go on without the capacity it scaled for).
 */
export function scaleCompute(
  desired: string,
  prefix: string,
  stop?: { readonly when: string; readonly error: string },
): { StartAt: string; States: Record<string, State> } {
  const p = prefix;
  const target = `"region": $plan.compute.region, "cluster": $plan.compute.cluster, "nodegroup": $plan.compute.nodegroup, "executionArn": ${EXECUTION_ARN}`;
  const loop = pollLoop({
    prefix: p,
    start: { id: "failover/scale-compute", payload: `{% {${target}, "desiredSize": ${desired}} %}` },
    check: { id: "failover/check-compute", payload: `{% {${target}, "updateId": $${p}Start.updateId} %}` },
    pollSeconds: 30,
    deadlineSeconds: 30 * 60,
    item: `{"subject": "compute", "tier": "compute", "from": $${p}Start.from, "to": $${p}Start.to}`,
    rpo: "null",
    ...(stop ? { next: { done: `${p}Scaled`, failed: `${p}ShouldStop` } } : {}),
  });
  if (stop) {
    loop.States[`${p}Scaled`] = { Type: "Pass", End: true };
    loop.States[`${p}ShouldStop`] = {
      Type: "Choice",
      Choices: [{ Condition: `{% ${stop.when} %}`, Next: `${p}Stop` }],
      Default: `${p}Scaled`,
    };
    loop.States[`${p}Stop`] = {
      Type: "Fail",
      Error: stop.error,
      Cause: `{% 'node group ' & $plan.compute.nodegroup & ' in ' & $plan.compute.region & ' not scaled to ' & $string(${desired}) & ': ' & $${p}Error %}`,
    };
  }
  // The branch starts from the workflow's state input, not a Map item: its item is the plan's compute.
  const begin = loop.States[`${p}Begin`] as State & { Assign: Record<string, JsonValue> };
  loop.States[`${p}Begin`] = { ...begin, Assign: { ...begin.Assign, [`${p}Item`]: "{% $plan.compute %}" } };
  return loop;
}

/**
 * How long the Deployments a failover scales may take to be ready before it gives up on the region: a
 * pod per 15 s or so, and nodes to start first where the node group grows. Route 53 is switched only
 * once they are ready.
 */
export const WORKLOADS_DEADLINE_SECONDS = 15 * 60;

/**
 * A branch that scales the moving Deployments (`$plan.workloads`) up in region `to` to what region
 * `from` runs (JSONata expressions), then waits until they are ready (the kit's pollUntil, inside the
 * branch: a deadline ends it in `WorkloadsNotReadyError`). Its output: `{deployments, status}`.
 */
export function scaleWorkloads(spec: {
  prefix: string;
  from: string;
  to: string;
  /** The state after the wait; without it the branch ends there with its output. */
  next?: string;
  /** More states of the branch (`next` and what follows it). */
  extra?: Record<string, State>;
}): { StartAt: string; States: Record<string, State> } {
  const P = spec.prefix.charAt(0).toUpperCase() + spec.prefix.slice(1);
  const scaled = `${spec.prefix}Scaled`;
  const status = `${spec.prefix}Workloads`;
  const done = `${P}WorkloadsReady`;
  const poll = pollUntil({
    name: `${P}Workloads`,
    check: "failover/check-workloads",
    payload: `{% {"region": ${spec.to}, "deployments": $${scaled}.deployments, "want": "to", "executionArn": ${EXECUTION_ARN}} %}`,
    result: status,
    readyWhen: `$${status}.ready = true`,
    failedWhen: "false",
    next: done,
    onFailure: done,
    deadlineSeconds: WORKLOADS_DEADLINE_SECONDS,
    firstPollSeconds: 15,
    maxPollSeconds: 60,
    failed: { error: "WorkloadsNotReadyError", cause: `{% $${status}.status %}` },
    timedOut: {
      error: "WorkloadsNotReadyError",
      cause: `{% 'Deployments in ' & ${spec.to} & ' not ready after ${WORKLOADS_DEADLINE_SECONDS / 60} minutes: ' & $join($${status}.waiting, ', ') %}`,
    },
    inBranch: true,
  });
  return {
    StartAt: `${P}ScaleWorkloads`,
    States: {
      [`${P}ScaleWorkloads`]: lambdaTask("failover/scale-workloads", {
        Payload: `{% {"fromRegion": ${spec.from}, "toRegion": ${spec.to}, "workloads": $plan.workloads, "executionArn": ${EXECUTION_ARN}} %}`,
        Assign: { ...poll.variables, [scaled]: "{% $states.result.Payload %}" },
        Retry: [TRANSIENT_RETRY],
        Next: poll.entry,
      }),
      ...poll.states,
      [done]: {
        Type: "Pass",
        Output: `{% {"deployments": $${scaled}.deployments, "status": $${status}.status} %}`,
        ...(spec.next ? { Next: spec.next } : { End: true }),
      },
      ...spec.extra,
    },
  };
}
