/**
 * Canary promotion: resolve the plan from the service's configuration, take the service's lock (a
 * second canary of the service is refused at once), deploy the canary beside stable and wait for it to
 * be ready, then stage by stage (tenant cohorts first, if configured, then 10/25/50 %...) size the
 * canary for the stage and wait for its new pods to be ready (within the progress deadline), move
 * traffic and bake, comparing canary with stable once per analysis interval. A breach, an alarm or a
 * person's abort rolls back at once; an inconclusive analysis asks a person; at 100 % (after an
 * approval when configured) the canary takes all traffic and, when the service asks for it, bakes
 * there while stable still runs (error rate and p99 absolute, business success against stable's
 * baseline from the previous step); then stable rolls to the new image and the canary is removed. The output and the report say
 * `promoted`, `rolled-back`, `aborted` or `skipped`, the step reached and, for a breach, the gate with
 * its measured value and threshold.
 *
 * The bake is the costly loop in state transitions: `Bake` (a wait a signal can end) → `Analyze` →
 * `Judge`, three per interval. Everything else is a handful per stage.
 */
import { type WorkflowInput, workflowInputs } from "../events/workflows.ts";
import { lambdaTask, type Retrier, type StateMachineDefinition } from "./asl.ts";
import {
  acquireLocks,
  approvalGate,
  COMPENSATION_RETRY,
  catchAll,
  EXECUTION_ARN,
  failurePath,
  LOCKS,
  pollUntil,
  recordReport,
  releaseLocks,
  step,
  TRANSIENT_RETRY,
} from "./kit/index.ts";
import type { WorkflowSpec } from "./workflow.ts";

export const WORKFLOW = "canary-promotion";
/** A default rollout takes about three hours; custom steps (5 %, +10 % every 30 min) about five. */
export const TIMEOUT_SECONDS = 24 * 3600;
/** How long an approval (inconclusive analysis, promotion to 100 %) waits before it counts as a rejection. */
export const APPROVAL_TIMEOUT_SECONDS = 3600;
/** A traffic change waits this long for a failover or DR drill to give the fleet lock back. */
export const FLEET_RETRY: Retrier = {
  ErrorEquals: ["FleetLockedError"],
  IntervalSeconds: 60,
  MaxAttempts: 60,
  BackoffRate: 1,
};

const ARN = `"executionArn": ${EXECUTION_ARN}`;
const STAGE = `"plan": $plan, "stageIndex": $stageIndex, ${ARN}`;
const NOW = "$toMillis($states.context.State.EnteredTime)";
/** The stage's share; past the last stage (its bake at 100 % passed), the last one's. */
const WEIGHT = "$plan.stages[$min([$stageIndex, $count($plan.stages) - 1])].weight";
/** The stage takes all traffic (not a cohort's): stable serves none, so there is no live comparison. */
const FULL_STAGE = `(${WEIGHT} = 100 and $not($exists($plan.stages[$stageIndex].cohort)))`;
/** The report's trigger from the execution's input (JSONata of it): a push, or a manual start. */
export const triggerOf = (request: string) =>
  `(${request}.trigger = "git-push" ? {"type": "event", "source": "cplane.git: Git Push", "id": ${request}.deliveryId, "by": ${request}.pusher} : {"type": "manual", "source": "StartExecution", "by": ${request}.requestedBy})`;
const TRIGGER = triggerOf("$request");
const OUTCOME = `($outcome ? $outcome : "rolled-back")`;
const REASON = `($reason ? $reason : ($failure ? $failure.step & ": " & $failure.error & ": " & $string($failure.cause) : "rolled back"))`;
/** The step reached, as scripts and people read it. */
const RESULT = `"outcome": ${OUTCOME}, "service": $plan.service, "image": $plan.image, "step": ${WEIGHT}, "stage": $min([$stageIndex + 1, $count($plan.stages)]), "cohort": $plan.stages[$stageIndex].cohort.label`;
/** One analysis as a report decision: its verdict, the measured values and the gates. */
const decision = (outcome: string) =>
  `{"name": "stage-" & ($stageIndex + 1) & "-" & ${WEIGHT} & "pct", "outcome": ${outcome}, "reason": $substring($analysis.reason, 0, 1000), "subject": ($plan.stages[$stageIndex].cohort ? $plan.stages[$stageIndex].cohort.label : $plan.service), "inputs": {"canaryRequests": $analysis.canary.requests, "canaryErrorRatePercent": $analysis.canary.errorRatePercent, "canaryP99Ms": $analysis.canary.p99Ms, "canaryBusinessSuccessPercent": $analysis.canary.businessSuccessPercent, "stableRequests": $analysis.stable.requests, "stableErrorRatePercent": $analysis.stable.errorRatePercent, "stableP99Ms": $analysis.stable.p99Ms, "stableBusinessSuccessPercent": $analysis.stable.businessSuccessPercent, "baselineBusinessSuccessPercent": $analysis.baseline.businessSuccessPercent}, "thresholds": $analysis.thresholds}`;
const MEASURED = `($analysis ? $sift({"errorRatePercent": $analysis.canary.errorRatePercent, "p99Ms": $analysis.canary.p99Ms, "businessSuccessPercent": $analysis.canary.businessSuccessPercent, "stableBusinessSuccessPercent": $analysis.stable.businessSuccessPercent, "baselineBusinessSuccessPercent": $analysis.baseline.businessSuccessPercent, "requests": $analysis.canary.requests}, function($v) { $type($v) = "number" }) : null)`;

const failure = failurePath({
  record: {
    id: "canary/finish",
    payload: `{% {"plan": null, "outcome": "rolled-back", "stageIndex": 0, "reason": $string($failure.cause), "startedAt": $states.context.Execution.StartTime, "report": $report, ${ARN}} %}`,
  },
  fail: { state: "CanaryFailed", what: "canary promotion" },
  releaseLocks: true,
  report: { workflow: WORKFLOW, trigger: TRIGGER },
});

const locks = acquireLocks({
  locks: `[{"name": ${LOCKS.service("$plan.service")}, "mode": "exclusive"}]`,
  ttlSeconds: TIMEOUT_SECONDS + 3600,
  retrySeconds: 60,
  // One canary per service: a second is refused at once, not queued behind the first.
  maxWaitSeconds: 0,
  next: "DeployCanary",
  onBlocked: failure.recordEntry,
  onFailure: failure.recordEntry,
});

/** Which stage's pods a canary rollout waits for, in its error's cause. */
const AT_STEP = ` (' & $rollout.replicas & ' pods for ' & ($plan.stages[$stageIndex].cohort ? $plan.stages[$stageIndex].cohort.label : ${WEIGHT} & ' %') & ')`;

const rollout = (name: string, version: "canary" | "stable", next: string) =>
  pollUntil({
    name,
    check: "canary/check-rollout",
    payload: `{% {"plan": $plan, "version": "${version}", ${ARN}} %}`,
    result: "rollout",
    readyWhen: "$rollout.ready = true",
    failedWhen: "$rollout.failed = true",
    next,
    onFailure: "Rollback",
    // Kubernetes' own progress deadline ends it first; this is the backstop.
    deadlineSeconds: "$plan.progressDeadlineSeconds + 120",
    firstPollSeconds: 10,
    maxPollSeconds: 30,
    failed: {
      error: "CanaryRolloutFailedError",
      cause: `{% '${version} Deployment ' & $plan.service & '-${version}${AT_STEP} never became ready: ' & $rollout.reason %}`,
    },
    timedOut: {
      error: "CanaryRolloutTimeoutError",
      cause: `{% '${version} Deployment ' & $plan.service & '-${version}${AT_STEP} not ready within its progress deadline: ' & $rollout.reason %}`,
    },
  });
const canaryRollout = rollout("CanaryRollout", "canary", "ShiftTraffic");
const stableRollout = rollout("StableRollout", "stable", "FinishPromotion");

const inconclusive = approvalGate({
  gate: "InconclusiveAnalysis",
  question: `'Canary of ' & $plan.service & ' (' & $plan.image & ') at ' & ${WEIGHT} & '%: the analysis is inconclusive (' & $analysis.reason & '). Continue the rollout?'`,
  evidence: "$analysis",
  timeoutSeconds: APPROVAL_TIMEOUT_SECONDS,
  onTimeout: { action: "reject" },
  approved: "StagePassed",
  rejected: "InconclusiveRejected",
  onFailure: "Rollback",
});
const beforeFull = approvalGate({
  gate: "PromoteToFull",
  question: `'Promote ' & $plan.image & ' to all traffic of ' & $plan.service & '?'`,
  evidence: "$analysis",
  timeoutSeconds: APPROVAL_TIMEOUT_SECONDS,
  onTimeout: { action: "reject" },
  approved: "HoldAtFull",
  rejected: "PromotionRejected",
  onFailure: "Rollback",
});

export const canaryDefinition: StateMachineDefinition = {
  Comment:
    "Canary promotion: deploy beside stable, shift traffic stage by stage with analysis, promote or roll back",
  QueryLanguage: "JSONata",
  TimeoutSeconds: TIMEOUT_SECONDS,
  StartAt: "Initialize",
  States: {
    Initialize: {
      Type: "Pass",
      Assign: {
        request: "{% $states.input %}",
        plan: null,
        stageIndex: 0,
        since: 0,
        bakeUntil: 0,
        paused: false,
        analysis: null,
        signal: null,
        decisions: [],
        outcome: null,
        reason: null,
        breach: null,
        baseline: null,
        retired: null,
        ...locks.variables,
        ...canaryRollout.variables,
        ...stableRollout.variables,
        ...inconclusive.variables,
        ...beforeFull.variables,
        ...failure.variables,
      },
      Next: "ResolvePlan",
    },
    ResolvePlan: step(
      "canary/resolve-plan",
      `{% $merge([$states.input, {${ARN}}]) %}`,
      "IsSkipped",
      failure.recordEntry,
      { Assign: { plan: "{% $states.result.Payload %}" } },
    ),
    IsSkipped: {
      Type: "Choice",
      Choices: [{ Condition: "{% $plan.skipped = true %}", Next: "ReportSkipped" }],
      Default: locks.entry,
    },
    ReportSkipped: recordReport({
      workflow: WORKFLOW,
      trigger: TRIGGER,
      outcome: '"skipped"',
      reason: "$plan.reason",
      next: "Skipped",
    }),
    Skipped: {
      Type: "Succeed",
      Output: '{% {"outcome": "skipped", "service": $plan.service, "reason": $plan.reason} %}',
    },
    ...locks.states,
    DeployCanary: step("canary/deploy-canary", `{% {${STAGE}} %}`, canaryRollout.entry, "Rollback"),
    ...canaryRollout.states,
    // A later stage: its pods first, ready (the same wait, its deadline anew), then its traffic.
    ScaleCanary: step("canary/scale-canary", `{% {${STAGE}} %}`, canaryRollout.entry, "Rollback", {
      Assign: canaryRollout.variables,
    }),
    ShiftTraffic: step("canary/shift-traffic", `{% {${STAGE}} %}`, "Bake", "Rollback", {
      Retry: [FLEET_RETRY],
      Assign: {
        since: "{% $states.result.Payload.shiftedAt %}",
        bakeUntil: `{% $states.result.Payload.shiftedAt + (${FULL_STAGE} and $plan.fullBakeSeconds > 0 ? $plan.fullBakeSeconds : $plan.bakeSeconds) * 1000 %}`,
      },
    }),
    Bake: lambdaTask("canary/await-signal", {
      Comment: "Waits one analysis interval; a person's or an alarm's command ends the wait at once.",
      waitForTaskToken: true,
      Payload: `{% {"service": $plan.service, "taskToken": $states.context.Task.Token, ${ARN}} %}`,
      TimeoutSeconds: "{% $plan.analysisIntervalSeconds %}",
      Assign: { signal: "{% $states.result %}" },
      Retry: [TRANSIENT_RETRY],
      Catch: [{ ErrorEquals: ["States.Timeout"], Next: "Analyze" }, catchAll("await-signal", "Rollback")],
      Next: "HandleSignal",
    }),
    HandleSignal: {
      Type: "Choice",
      Choices: [
        { Condition: '{% $signal.command = "abort" %}', Next: "Aborted" },
        { Condition: '{% $signal.command = "promote" %}', Next: "Promote" },
        { Condition: '{% $signal.command = "pause" %}', Next: "Bake", Assign: { paused: true } },
        { Condition: '{% $signal.command = "resume" %}', Next: "Bake", Assign: { paused: false } },
      ],
      Default: "Bake",
    },
    Analyze: step(
      "canary/analyze",
      `{% {"plan": $plan, "stageIndex": $stageIndex, "since": $since, "baseline": $baseline, ${ARN}} %}`,
      "Judge",
      "Rollback",
      { Assign: { analysis: "{% $states.result.Payload %}" } },
    ),
    Judge: {
      Type: "Choice",
      Choices: [
        { Condition: '{% $analysis.verdict = "breach" %}', Next: "Breached" },
        { Condition: `{% ${NOW} < $bakeUntil or $paused %}`, Next: "Bake" },
        { Condition: '{% $analysis.verdict = "inconclusive" %}', Next: inconclusive.entry },
      ],
      Default: "StagePassed",
    },
    ...inconclusive.states,
    StagePassed: {
      Type: "Pass",
      Assign: {
        decisions: `{% $append($decisions, [${decision(`($analysis.verdict = "inconclusive" ? "approved by " & $inconclusiveAnalysisDecision.decidedBy : $analysis.verdict)`)}]) %}`,
        // Stable's business success over this stage's bake: what a bake at 100 % is held against.
        baseline: `{% $analysis.stable.transactions >= $plan.gates.minTransactions ? {"stageIndex": $stageIndex, "weight": ${WEIGHT}, "transactions": $analysis.stable.transactions, "successes": $analysis.stable.successes, "businessSuccessPercent": $analysis.stable.businessSuccessPercent} : $baseline %}`,
        stageIndex: "{% $stageIndex + 1 %}",
      },
      Next: "NextStage",
    },
    NextStage: {
      Type: "Choice",
      Choices: [
        // Past the last stage: the bake at 100 % passed.
        { Condition: "{% $stageIndex >= $count($plan.stages) %}", Next: "Promote" },
        { Condition: `{% ${FULL_STAGE} and $plan.approvalBeforeFull = true %}`, Next: beforeFull.entry },
        { Condition: `{% ${FULL_STAGE} %}`, Next: "HoldAtFull" },
      ],
      Default: "ScaleCanary",
    },
    ...beforeFull.states,
    HoldAtFull: {
      Type: "Choice",
      Comment: "A service that asks for it bakes at 100 % while stable still runs; the others promote now.",
      Choices: [{ Condition: "{% $plan.fullBakeSeconds > 0 %}", Next: "ScaleCanary" }],
      Default: "Promote",
    },
    Promote: step("canary/promote", `{% {${STAGE}} %}`, stableRollout.entry, "Rollback", {
      Retry: [FLEET_RETRY],
    }),
    ...stableRollout.states,
    FinishPromotion: step(
      "canary/finish-promotion",
      `{% {"plan": $plan, ${ARN}} %}`,
      "ReportPromoted",
      "Rollback",
      { Retry: [FLEET_RETRY], Assign: { outcome: "promoted", reason: "{% 'promoted ' & $plan.image %}" } },
    ),
    ReportPromoted: recordReport({
      workflow: WORKFLOW,
      trigger: TRIGGER,
      outcome: '"succeeded"',
      reason: "$reason",
      decisions: "$decisions",
      figures: `[{"name": "promotion time", "value": (${NOW} - $toMillis($states.context.Execution.StartTime)) / 1000, "unit": "s", "subject": $plan.service, "key": true}, {"name": "stages", "value": $count($plan.stages), "unit": "count", "subject": $plan.service}]`,
      next: "AnnouncePromoted",
    }),
    AnnouncePromoted: step(
      "canary/finish",
      `{% {"plan": $plan, "outcome": "promoted", "stageIndex": $min([$stageIndex, $count($plan.stages) - 1]), "reason": $reason, "startedAt": $states.context.Execution.StartTime, "report": $report, ${ARN}} %}`,
      "ReleaseLocks",
      "ReleaseLocks",
    ),
    ReleaseLocks: releaseLocks("Promoted"),
    Promoted: {
      Type: "Succeed",
      Output: `{% {"outcome": "promoted", "service": $plan.service, "image": $plan.image, "step": 100, "stage": $count($plan.stages)} %}`,
    },

    // Every way back to stable: a breach, an abort, a rejection, a step that failed.
    Breached: {
      Type: "Pass",
      Assign: {
        outcome: "rolled-back",
        reason: "{% $analysis.reason %}",
        breach: `{% $merge([$analysis.breach, $plan.stages[$stageIndex].cohort ? {"cohort": $plan.stages[$stageIndex].cohort.label} : {}]) %}`,
        decisions: `{% $append($decisions, [${decision('"breach"')}]) %}`,
      },
      Next: "Rollback",
    },
    Aborted: {
      Type: "Pass",
      Assign: {
        outcome: "aborted",
        reason: "{% $signal.reason %}",
        breach:
          '{% $signal.alarm ? {"gate": "alarm", "measured": $signal.alarm.measured, "threshold": $signal.alarm.threshold} : null %}',
      },
      Next: "Rollback",
    },
    InconclusiveRejected: {
      Type: "Pass",
      Assign: {
        outcome: "rolled-back",
        reason:
          "{% 'inconclusive analysis, rejected by ' & $inconclusiveAnalysisDecision.decidedBy & ': ' & $inconclusiveAnalysisDecision.reason %}",
        decisions: `{% $append($decisions, [${decision('"rejected"')}]) %}`,
      },
      Next: "Rollback",
    },
    PromotionRejected: {
      Type: "Pass",
      Assign: {
        outcome: "rolled-back",
        reason:
          "{% 'promotion to 100% rejected by ' & $promoteToFullDecision.decidedBy & ': ' & $promoteToFullDecision.reason %}",
      },
      Next: "Rollback",
    },
    Rollback: lambdaTask("canary/rollback", {
      Comment:
        "Traffic to stable at once, then the canary removed. No Catch: a rollback that cannot finish fails the execution where it stands, to be redriven.",
      Payload: `{% {"plan": $plan.skipped = false ? $plan : null, ${ARN}} %}`,
      Assign: { retired: "{% $states.result.Payload %}" },
      Retry: [FLEET_RETRY, COMPENSATION_RETRY],
      Next: "ReportRolledBack",
    }),
    ReportRolledBack: recordReport({
      workflow: WORKFLOW,
      trigger: TRIGGER,
      outcome: OUTCOME,
      reason: REASON,
      decisions: "$decisions",
      figures: `$append([{"name": "run time", "value": (${NOW} - $toMillis($states.context.Execution.StartTime)) / 1000, "unit": "s", "subject": $plan.service}], ($analysis and $retired.stableAt ? [{"name": "breach visible to traffic on stable", "value": ($retired.stableAt - $toMillis($analysis.window.end)) / 1000, "unit": "s", "subject": $plan.service, "key": true}] : []))`,
      next: "AnnounceRolledBack",
    }),
    AnnounceRolledBack: step(
      "canary/finish",
      `{% {"plan": $plan, "outcome": ${OUTCOME}, "stageIndex": $min([$stageIndex, $count($plan.stages) - 1]), "reason": ${REASON}, "breach": $breach, "measured": ${MEASURED}, "startedAt": $states.context.Execution.StartTime, "report": $report, ${ARN}} %}`,
      "ReleaseLocksAfterRollback",
      "ReleaseLocksAfterRollback",
    ),
    ReleaseLocksAfterRollback: releaseLocks("RolledBack"),
    RolledBack: {
      Type: "Succeed",
      Output: `{% {${RESULT}, "breach": $breach, "reason": ${REASON}} %}`,
    },
    ...failure.states,
  },
};

export const CanaryPromotionInput = workflowInputs["canary-promotion"];
export type CanaryPromotionInput = WorkflowInput<"canary-promotion">;

export const canaryPromotion: WorkflowSpec<"canary-promotion"> = {
  name: "canary-promotion",
  description:
    "Deploys a new image as a canary beside stable, shifts traffic stage by stage with analysis (error rate, p99, business success vs stable), and promotes it or rolls it back.",
  definition: canaryDefinition,
  input: CanaryPromotionInput,
  sample: { service: "api", image: "registry.example.com/shop/api:2.0.0" },
};
