// What happened to each state of an execution, read from its history (GetExecutionHistory):
// succeeded, failed, caught (failed, then a Catch moved on), retried (failed, then succeeded on a
// later attempt), running, waiting (a Wait state or a task token), with its input, output and errors.

const FAILURES = new Set([
  "TaskFailed",
  "TaskTimedOut",
  "LambdaFunctionFailed",
  "LambdaFunctionTimedOut",
  "ParallelStateFailed",
  "MapStateFailed",
]);
const ATTEMPTS = new Set(["TaskScheduled", "LambdaFunctionScheduled"]);

const detailsOf = (event) => {
  for (const [key, value] of Object.entries(event)) if (key.endsWith("EventDetails")) return value;
  return undefined;
};

/**
 * Per state name: { status, visits, attempts, failures: [{error, cause}], input, output, enteredAt,
 * exitedAt }, and the execution's own failure. Events belong to the state whose StateEntered their
 * previousEventId chain leads back to (concurrent branches keep their own chains).
 */
export function analyse(events, execution, statesByName) {
  const byId = new Map(events.map((e) => [e.id, e]));
  const owner = new Map();
  const ownerOf = (event) => {
    if (owner.has(event.id)) return owner.get(event.id);
    let name;
    if (event.type.endsWith("StateEntered")) name = event.stateEnteredEventDetails?.name;
    else if (event.type.endsWith("StateExited")) name = event.stateExitedEventDetails?.name;
    else {
      const previous = byId.get(event.previousEventId);
      name = previous && previous.id !== event.id ? ownerOf(previous) : undefined;
    }
    owner.set(event.id, name);
    return name;
  };
  const states = new Map();
  const visit = (name) => {
    let s = states.get(name);
    if (!s) {
      s = { name, visits: 0, exits: 0, attempts: 0, failures: [], lastFailedAttempt: 0 };
      states.set(name, s);
    }
    return s;
  };
  for (const event of events) {
    const name = ownerOf(event);
    if (!name) continue;
    const s = visit(name);
    const details = detailsOf(event) ?? {};
    if (event.type.endsWith("StateEntered")) {
      s.visits++;
      s.input = details.input;
      s.enteredAt ??= event.timestamp;
      s.attemptsThisVisit = 0;
      s.failedThisVisit = 0;
    } else if (event.type.endsWith("StateExited")) {
      s.exits++;
      s.output = details.output;
      s.exitedAt = event.timestamp;
    } else if (ATTEMPTS.has(event.type)) {
      s.attempts++;
      s.attemptsThisVisit++;
      s.lastType = event.type;
    } else if (FAILURES.has(event.type)) {
      s.failures.push({ type: event.type, error: details.error, cause: details.cause, at: event.timestamp });
      s.lastFailureId = event.id;
      s.failedThisVisit++;
    } else if (
      event.type === "TaskSubmitted" ||
      event.type === "TaskStarted" ||
      event.type === "LambdaFunctionStarted"
    ) {
      s.lastType = event.type;
    }
  }
  // A Catch leaves no StateExited: the state its Next names is entered right after the failure.
  const enteredAfter = new Set(
    events.filter((e) => e.type.endsWith("StateEntered")).map((e) => e.previousEventId),
  );
  const running = execution.status === "RUNNING";
  for (const s of states.values()) {
    s.open = s.visits > s.exits;
    const type = statesByName.get(s.name)?.Type;
    const resource = statesByName.get(s.name)?.Resource ?? "";
    const lastAttemptFailed = s.failedThisVisit > 0 && s.failedThisVisit >= s.attemptsThisVisit;
    if (type === "Fail") s.status = "failed";
    else if (s.open && enteredAfter.has(s.lastFailureId)) s.status = "caught";
    else if (s.open && running)
      s.status = type === "Wait" || resource.endsWith(".waitForTaskToken") ? "waiting" : "running";
    else if (s.open) s.status = s.failures.length > 0 || execution.status === "FAILED" ? "failed" : "aborted";
    else if (s.failures.length > 0 && (lastAttemptFailed || s.failures.length >= s.attempts))
      s.status = "caught";
    else if (s.failures.length > 0) s.status = "retried";
    else s.status = "succeeded";
  }
  return states;
}
