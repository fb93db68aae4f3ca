/**
 * Regional failover and DR drill, in three modes:
 * - failover (the region-health alarm, or a person): the flap guard (an alarm-started run holds, then
 *   needs the health checks and a second signal to agree), the fleet lock, an approval when
 *   configuration asks, then in parallel: every global database (the platform's, every premium
 *   tenant's) failed over with data loss allowed, every snapshot-tier tenant restored from its latest
 *   copy (bounded concurrency; one tenant's failure is reported while the rest go on), the secondary
 *   EKS scaled and the platform's and moving tenants' Deployments scaled up there and ready, then
 *   Route 53 switched; then traffic verified, RTO/RPO measured per tier, reported.
 * - switchover (planned): the same with SwitchoverGlobalCluster after the lag check, no data loss;
 *   snapshot-tier tenants stay where they run.
 * - drill: refuses on red readiness; switchover, verify, then fail back in the reverse order (the
 *   home Deployments ready, DNS back, then the databases back beside the visited region's Deployments
 *   scaled back, then its node group) with the fleet lock held. Any failure once something moved (a
 *   database that did not switch over, the node group, Route 53, a failed verification) stops the
 *   drill there and fails back too; each part of the way back that fails is named (report, event)
 *   and the others still go back; the drill then ends failed.
 */
import { type WorkflowInput, workflowInputs } from "../events/workflows.ts";
import { type JsonValue, lambdaTask, type StateMachineDefinition } from "./asl.ts";
import { promoteEach, restoreEach, scaleCompute, scaleWorkloads } from "./failover-branches.ts";
import {
  acquireLocks,
  approvalGate,
  attempt,
  catchAll,
  detectedFailure,
  EXECUTION_ARN,
  failurePath,
  LOCKS,
  recordReport,
  releaseLocks,
  step,
  TRANSIENT_RETRY,
} from "./kit/index.ts";
import type { WorkflowSpec } from "./workflow.ts";

export const TIMEOUT_SECONDS = 3 * 60 * 60;
/** How long traffic in the new region may take to look healthy before the run gives up (or a drill fails back). */
export const VERIFY_WINDOW_SECONDS = 10 * 60;
export const VERIFY_POLL_SECONDS = 15;
/** A failover waits this long for the fleet (another failover, an onboarding's step) before it is refused. */
export const LOCK_WAIT_SECONDS = 60;

/** What started the run, in the report's terms. */
const TRIGGER = `($request.trigger = "alarm" ? {"type": "event", "source": "aws.cloudwatch: " & $request.alarmName, "at": $request.alarmTime} : $request.trigger = "schedule" ? {"type": "schedule", "source": "schedule monthly-dr-drill", "at": $request.scheduledTime} : $merge([{"type": "manual", "source": "StartExecution"}, $request.requestedBy ? {"by": $request.requestedBy} : {}]))`;

/** The parts of a drill's way back that failed (`$failBack`: `{subject, ok, error}` each), as a list. */
const NOT_BACK = "$join($failBack[ok = false].(subject & ' (' & error & ')'), '; ')";

/** What a drill's way back did, one decision per part; why it took it when something failed on the way. */
const FAIL_BACK_DECISIONS = `$append([], $map($failBack, function($o) { {"name": "fail-back", "subject": $o.subject, "outcome": ($o.ok ? "failed-back" : "not-failed-back"), "reason": ($o.ok ? "back in " & $plan.fromRegion : $substring($string($o.error), 0, 1000))} }))`;
const DRILL_STOPPED = `($drillFailure ? [{"name": "drill-stopped", "outcome": "fail-back", "reason": $substring($drillFailure.step & ": " & $drillFailure.error & ": " & $string($drillFailure.cause), 0, 1000)}] : [])`;

const failure = failurePath({
  record: {
    id: "failover/record-failure",
    payload: `{% {"mode": $request.mode, "fromRegion": $plan.fromRegion ? $plan.fromRegion : null, "toRegion": $plan.toRegion ? $plan.toRegion : null, "failure": $failure, "notFailedBack": [$failBack[ok = false].{"subject": subject, "error": $substring($string(error), 0, 500)}], "report": $report, "executionArn": ${EXECUTION_ARN}} %}`,
  },
  fail: { state: "FailoverFailed", what: "regional failover" },
  releaseLocks: true,
  report: {
    workflow: "regional-failover",
    trigger: TRIGGER,
    decisions: `$append(${DRILL_STOPPED}, ${FAIL_BACK_DECISIONS})`,
  },
});

const locks = acquireLocks({
  locks: `[{"name": "${LOCKS.fleet}", "mode": "exclusive"}]`,
  ttlSeconds: TIMEOUT_SECONDS + 3600,
  retrySeconds: 15,
  maxWaitSeconds: LOCK_WAIT_SECONDS,
  next: "NeedsApproval",
  onBlocked: failure.entry,
  onFailure: failure.entry,
});

const gate = approvalGate({
  gate: "ApproveFailover",
  question: `$plan.mode & ' from ' & $plan.fromRegion & ' to ' & $plan.toRegion & '?'`,
  // A drill's readiness (checked by the plan) beside what would move.
  evidence: `{"globals": $count($plan.globals), "restores": $count($plan.restores), "reason": $plan.reason, "readiness": $plan.readiness}`,
  timeoutSeconds: 15 * 60,
  onTimeout: { action: "reject" },
  approved: "Recover",
  rejected: "Rejected",
  onFailure: failure.entry,
});

const DNS_ARGS = (primary: string, secondary: string) =>
  `{% {"dns": $plan.dns, "primaryRegion": ${primary}, "secondaryRegion": ${secondary}, "executionArn": ${EXECUTION_ARN}} %}`;

/** A person's answer at the approval gate, when configuration asked for one: who, when, why. */
const APPROVAL_DECISION = `($${gate.decisionVariable} ? [($d := $${gate.decisionVariable}; {"name": "approval", "outcome": ($d.approved ? "approved" : "rejected"), "reason": $d.reason, "approval": {"decision": ($d.approved ? "approved" : ($d.decidedBy = "timeout" ? "timed-out" : "rejected")), "by": $d.decidedBy, "at": $d.decidedAt, "reason": $d.reason}})] : [])`;

const GUARD_DECISION = `($signal ? [{"name": "flap-guard", "outcome": ($signal.confirmed ? "proceed" : "skip"), "reason": $signal.reason, "inputs": {"healthCheck": $signal.healthCheck, "alarm": $signal.alarm, "regionApi": $signal.regionApi}, "thresholds": {"holdSeconds": $plan.guard.holdSeconds}}] : [])`;

/** The output every run ends with (a skipped one has no figures). */
const OUTPUT = `{% {"outcome": $summary.outcome, "mode": $summary.mode, "fromRegion": $summary.fromRegion, "toRegion": $summary.toRegion, "rtoSeconds": $summary.rtoSeconds, "rpoSeconds": $summary.rpoSeconds, "perTier": $summary.perTier, "missedTargets": $summary.missedTargets} %}`;

export const failoverDefinition: StateMachineDefinition = {
  Comment:
    "Regional failover, switchover and DR drill: flap guard, fleet lock, promote/restore/scale/switch in parallel, verify, measure",
  QueryLanguage: "JSONata",
  TimeoutSeconds: TIMEOUT_SECONDS,
  StartAt: "Initialize",
  States: {
    Initialize: {
      Type: "Pass",
      Assign: {
        request: "{% $states.input %}",
        plan: null,
        signal: null,
        results: null,
        traffic: null,
        summary: null,
        drillFailure: null,
        failBack: [],
        ...locks.variables,
        ...gate.variables,
        ...failure.variables,
      },
      Next: "Plan",
    },
    Plan: step(
      "failover/plan",
      `{% {"request": $request, "executionArn": ${EXECUTION_ARN}, "startedAt": $states.context.Execution.StartTime} %}`,
      "ShouldProceed",
      failure.recordEntry,
      { Assign: { plan: "{% $states.result.Payload %}" } },
    ),
    ShouldProceed: {
      Type: "Choice",
      Choices: [
        { Condition: '{% $plan.action = "skip" %}', Next: "ReportSkipped" },
        { Condition: "{% $exists($plan.guard) and $plan.guard != null %}", Next: "HoldForFlapGuard" },
      ],
      Default: locks.entry,
    },
    HoldForFlapGuard: {
      Type: "Wait",
      Comment: "An alarm that clears within the hold changes nothing.",
      Seconds: "{% $plan.guard.holdSeconds %}",
      Next: "CheckSignal",
    },
    CheckSignal: step(
      "failover/check-signal",
      `{% {"fromRegion": $plan.fromRegion, "alarmName": $plan.guard.alarmName, "alarmRegion": $plan.guard.alarmRegion, "healthCheckId": $plan.guard.healthCheckId, "executionArn": ${EXECUTION_ARN}} %}`,
      "IsSignalConfirmed",
      failure.recordEntry,
      { Assign: { signal: "{% $states.result.Payload %}" } },
    ),
    IsSignalConfirmed: {
      Type: "Choice",
      Choices: [{ Condition: "{% $signal.confirmed = true %}", Next: locks.entry }],
      Default: "ReportSkipped",
    },
    ReportSkipped: recordReport({
      workflow: "regional-failover",
      trigger: TRIGGER,
      outcome: '"skipped"',
      reason: '($plan.action = "skip" ? $plan.reason : $signal.reason)',
      decisions: GUARD_DECISION,
      next: "Skipped",
    }),
    Skipped: {
      Type: "Succeed",
      Output: `{% {"outcome": "skipped", "mode": $plan.mode, "fromRegion": $plan.fromRegion, "toRegion": $plan.toRegion, "reason": ($plan.action = "skip" ? $plan.reason : $signal.reason), "rtoSeconds": null, "rpoSeconds": null, "perTier": {}, "missedTargets": []} %}`,
    },
    ...locks.states,
    NeedsApproval: {
      Type: "Choice",
      Choices: [{ Condition: "{% $plan.approval = true %}", Next: gate.entry }],
      Default: "Recover",
    },
    ...gate.states,
    Rejected: detectedFailure(
      "approval",
      "FailoverRejectedError",
      `{% 'not approved: ' & $${gate.decisionVariable}.decidedBy & ': ' & $${gate.decisionVariable}.reason %}`,
      failure.entry,
    ),
    Recover: {
      Type: "Parallel",
      Comment:
        "Databases and the Deployments, then DNS and its verification; beside them the restores and compute. Each database and tenant reports its own failure.",
      Branches: [
        {
          StartAt: "Prepare",
          States: {
            Prepare: {
              Type: "Parallel",
              Comment:
                "Route 53 waits for the databases to write and the Deployments to be ready in the new region.",
              Branches: [
                {
                  StartAt: "PromoteDatabases",
                  States: {
                    PromoteDatabases: promoteEach({
                      items: "$plan.globals",
                      target: "targetArn",
                      dataLoss: '$plan.mode = "failover"',
                      prefix: "db",
                    }),
                  },
                },
                scaleWorkloads({ prefix: "up", from: "$plan.fromRegion", to: "$plan.toRegion" }),
              ],
              Assign: {
                vDatabases: "{% $states.result[0] %}",
                vWorkloads: "{% $states.result[1] %}",
              },
              Next: "AreDatabasesMoved",
            },
            AreDatabasesMoved: {
              Type: "Choice",
              Comment: "A drill stops at a database that did not switch over; a failover goes on without it.",
              Choices: [
                {
                  Condition: '{% $plan.mode = "drill" and $count($vDatabases[ok = false]) > 0 %}',
                  Next: "DatabasesNotMoved",
                },
              ],
              Default: "SwitchTraffic",
            },
            DatabasesNotMoved: {
              Type: "Fail",
              Error: "DatabaseNotMovedError",
              Cause:
                "{% 'not switched over to ' & $plan.toRegion & ': ' & $join($vDatabases[ok = false].(subject & ' (' & error & ')'), '; ') %}",
            },
            // Its failure fails the branch, and the Parallel's catch takes it to the failure path.
            SwitchTraffic: lambdaTask("failover/switch-traffic", {
              Payload: DNS_ARGS("$plan.toRegion", "$plan.fromRegion"),
              Assign: {
                vChange: "{% $states.result.Payload %}",
                vTraffic: null,
                vDeadline: `{% $toMillis($states.context.State.EnteredTime) + ${VERIFY_WINDOW_SECONDS * 1000} %}`,
              },
              Retry: [TRANSIENT_RETRY],
              Catch: [{ ErrorEquals: ["States.ALL"], Next: "TrafficNotSwitched" }],
              Next: "WaitForTraffic",
            }),
            TrafficNotSwitched: {
              Type: "Fail",
              Error: "{% $states.input.Error %}",
              Cause: "{% 'switch-traffic: ' & $states.input.Cause %}",
            },
            WaitForTraffic: { Type: "Wait", Seconds: VERIFY_POLL_SECONDS, Next: "VerifyTraffic" },
            VerifyTraffic: lambdaTask("failover/verify-traffic", {
              Payload: `{% {"zoneId": $plan.dns.zoneId, "record": $plan.dns.record, "changeId": $vChange.changeId, "region": $plan.toRegion, "healthCheckId": $plan.toHealthCheckId, "executionArn": ${EXECUTION_ARN}} %}`,
              Assign: { vTraffic: "{% $states.result.Payload %}" },
              Retry: [TRANSIENT_RETRY],
              Next: "IsTrafficHealthy",
            }),
            IsTrafficHealthy: {
              Type: "Choice",
              Choices: [
                { Condition: "{% $vTraffic.healthy = true %}", Next: "TrafficChecked" },
                {
                  Condition: "{% $toMillis($states.context.State.EnteredTime) > $vDeadline %}",
                  Next: "TrafficChecked",
                },
              ],
              Default: "WaitForTraffic",
            },
            TrafficChecked: {
              Type: "Pass",
              Output: '{% {"databases": $vDatabases, "workloads": $vWorkloads, "traffic": $vTraffic} %}',
              End: true,
            },
          },
        },
        { StartAt: "RestoreTenants", States: { RestoreTenants: restoreEach("$plan.restores") } },
        scaleCompute("$plan.compute.desiredSize", "cp", {
          when: '$plan.mode = "drill"',
          error: "ComputeNotScaledError",
        }),
      ],
      Assign: {
        results:
          '{% {"databases": $states.result[0].databases, "restores": $states.result[1], "compute": $states.result[2], "workloads": $states.result[0].workloads} %}',
        traffic: "{% $states.result[0].traffic %}",
      },
      Catch: [catchAll("recover", "RecoveryFailed") as unknown as JsonValue],
      Next: "IsServedFromTarget",
    },
    RecoveryFailed: {
      Type: "Choice",
      Comment: "Once anything may have moved, a drill goes home before it ends failed.",
      Choices: [{ Condition: '{% $plan.mode = "drill" %}', Next: "DrillStopped" }],
      Default: failure.entry,
    },
    DrillStopped: {
      Type: "Pass",
      Assign: { drillFailure: "{% $failure %}" },
      Next: "FailBack",
    },
    IsServedFromTarget: {
      Type: "Choice",
      Choices: [
        { Condition: "{% $traffic.healthy = true %}", Next: "Summarize" },
        { Condition: '{% $plan.mode = "drill" %}', Next: "DrillVerificationFailed" },
      ],
      Default: "TrafficUnhealthy",
    },
    TrafficUnhealthy: detectedFailure(
      "verify-traffic",
      "TrafficNotHealthyError",
      `{% 'traffic in ' & $plan.toRegion & ' not healthy after ${VERIFY_WINDOW_SECONDS / 60} minutes: ' & $traffic.reason %}`,
      failure.entry,
    ),
    DrillVerificationFailed: {
      Type: "Pass",
      Comment: "A drill that cannot prove the new region fails back first, then ends failed.",
      Assign: {
        drillFailure: {
          step: "verify-traffic",
          error: "TrafficNotHealthyError",
          cause: `{% 'drill: traffic in ' & $plan.toRegion & ' not healthy after ${VERIFY_WINDOW_SECONDS / 60} minutes: ' & $traffic.reason %}`,
        },
      },
      Next: "FailBack",
    },
    Summarize: step(
      "failover/summarize",
      `{% {"mode": $plan.mode, "fromRegion": $plan.fromRegion, "toRegion": $plan.toRegion, "signalAt": $plan.signalAt, "items": $append($append([], $results.databases), $results.restores), "trafficAt": $traffic.at, "moveTenants": $plan.mode != "drill", "executionArn": ${EXECUTION_ARN}} %}`,
      "IsDrill",
      "RecoveryFailed",
      { Assign: { summary: "{% $states.result.Payload %}" } },
    ),
    IsDrill: {
      Type: "Choice",
      Choices: [{ Condition: '{% $plan.mode = "drill" %}', Next: "FailBack" }],
      Default: "RecordReport",
    },
    FailBack: attempt({
      subject: `"workloads in " & $plan.fromRegion`,
      branch: scaleWorkloads({ prefix: "home", from: "$plan.toRegion", to: "$plan.fromRegion" }),
      collect: "failBack",
      next: "FailBackTraffic",
    }),
    FailBackTraffic: attempt({
      subject: '"dns " & $plan.dns.record',
      branch: {
        StartAt: "SwitchTrafficBack",
        States: {
          SwitchTrafficBack: lambdaTask("failover/switch-traffic", {
            Payload: DNS_ARGS("$plan.fromRegion", "$plan.toRegion"),
            Retry: [TRANSIENT_RETRY],
            End: true,
          }),
        },
      },
      collect: "failBack",
      next: "FailBackDataAndWorkloads",
    }),
    FailBackDataAndWorkloads: {
      Type: "Parallel",
      Comment:
        "Traffic is home: the databases switch back, and the Deployments scaled up in the region visited go back to their size before.",
      Branches: [
        {
          StartAt: "SwitchDatabasesBack",
          States: {
            SwitchDatabasesBack: promoteEach({
              items: "$plan.globals",
              target: "sourceArn",
              dataLoss: "false",
              prefix: "fb",
            }),
          },
        },
        {
          StartAt: "ScaleWorkloadsBack",
          States: {
            ScaleWorkloadsBack: attempt({
              subject: `"workloads in " & $plan.toRegion`,
              branch: {
                StartAt: "ScaleVisitedWorkloadsBack",
                States: {
                  ScaleVisitedWorkloadsBack: lambdaTask("failover/scale-workloads-back", {
                    Comment:
                      "The region visited is a pilot light again: what this run scaled up, to its size before.",
                    Payload: `{% {"region": $plan.toRegion, "workloads": $plan.workloads, "executionArn": ${EXECUTION_ARN}} %}`,
                    Retry: [TRANSIENT_RETRY],
                    End: true,
                  }),
                },
              },
              next: "WorkloadsBack",
            }),
            WorkloadsBack: { Type: "Pass", End: true },
          },
        },
      ],
      Assign: { failBack: "{% $append($append($failBack, $states.result[0]), [$states.result[1]]) %}" },
      Catch: [
        {
          ErrorEquals: ["States.ALL"],
          Assign: {
            failBack: `{% $append($failBack, [{"subject": "databases and workloads", "ok": false, "error": $states.errorOutput.Error & ': ' & $string($states.errorOutput.Cause)}]) %}`,
          },
          Next: "FailBackCompute",
        } as unknown as JsonValue,
      ],
      Next: "FailBackCompute",
    },
    FailBackCompute: {
      Type: "Parallel",
      Comment: "Last, once nothing runs on the nodes it added: the node group to its size before.",
      Branches: [scaleCompute("$plan.compute.originalDesiredSize", "sb")],
      Assign: { failBack: "{% $append($failBack, $states.result) %}" },
      Catch: [
        {
          ErrorEquals: ["States.ALL"],
          Assign: {
            failBack: `{% $append($failBack, [{"subject": "compute", "ok": false, "error": $states.errorOutput.Error & ': ' & $string($states.errorOutput.Cause)}]) %}`,
          },
          Next: "DidDrillFail",
        } as unknown as JsonValue,
      ],
      Next: "DidDrillFail",
    },
    DidDrillFail: {
      Type: "Choice",
      Choices: [
        { Condition: "{% $drillFailure != null %}", Next: "DrillFailed" },
        { Condition: "{% $count($failBack[ok = false]) > 0 %}", Next: "FailBackIncomplete" },
      ],
      Default: "RecordReport",
    },
    DrillFailed: {
      Type: "Pass",
      Assign: {
        failure: `{% $merge([$drillFailure, {"cause": $string($drillFailure.cause) & ($count($failBack[ok = false]) = 0 ? '; failed back' : '; not failed back: ' & ${NOT_BACK})}]) %}`,
      },
      Next: failure.entry,
    },
    FailBackIncomplete: detectedFailure(
      "fail-back",
      "FailBackIncompleteError",
      `{% 'drill: not failed back: ' & ${NOT_BACK} %}`,
      failure.entry,
    ),
    RecordReport: recordReport({
      workflow: "regional-failover",
      trigger: TRIGGER,
      outcome: '"succeeded"',
      reason: "$summary.reason",
      // $append takes two arrays: three arguments fail the whole payload (T0410), and the report with it.
      // Each tier's RTO/RPO against its targets (Summarize's), each subject that missed one, then what a
      // drill could not fail back.
      decisions: `$append($append($append($append($append(${GUARD_DECISION}, ${APPROVAL_DECISION}), [{"name": "traffic-verified", "outcome": "pass", "reason": $traffic.reason, "inputs": {"requests": $traffic.requests, "errorRatePercent": $traffic.errorRatePercent}, "thresholds": {"errorRatePercent": 1, "windowSeconds": ${VERIFY_WINDOW_SECONDS}}}]), $summary.decisions), $map($summary.missedTargets, function($m) { {"name": "recovery-target", "outcome": "missed", "subject": $m.subject, "reason": $m.reason} })), ${FAIL_BACK_DECISIONS})`,
      figures: "$summary.figures",
      next: "Announce",
    }),
    Announce: step(
      "failover/announce",
      `{% {"summary": $summary, "report": $report, "executionArn": ${EXECUTION_ARN}} %}`,
      "ReleaseLocks",
      failure.entry,
    ),
    ReleaseLocks: releaseLocks("Done"),
    Done: { Type: "Succeed", Output: OUTPUT },
    ...failure.states,
  },
};

export const RegionalFailoverInput = workflowInputs["regional-failover"];
export type RegionalFailoverInput = WorkflowInput<"regional-failover">;

export const regionalFailover: WorkflowSpec<"regional-failover"> = {
  name: "regional-failover",
  description:
    "Fails over (or switches over, or drills) the platform and every tenant to the other region: flap guard, fleet lock, promote, restore, scale, switch DNS, verify, report RTO/RPO per tier.",
  definition: failoverDefinition,
  input: RegionalFailoverInput,
};
