// Executions: the list with filters, and one execution's graph coloured by what happened, live while
// it runs, with its history, each state's input and output, stop and redrive.
import { admin, allExecutions, consoleCatalog, fullHistory, sfn, workflowName } from "./api.js";
import { drawGraph, graphFrame, statesByName } from "./graph.js";
import { startForm } from "./machines.js";
import { analyse } from "./status.js";
import { action, badge, cause, encodeArn, h, json, link, notify, poll, seconds, table, time } from "./ui.js";

const STATUSES = ["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE"];
/** The start-time filter, in simulated time. */
const SINCE = {
  "": { label: "any time", seconds: Infinity },
  "1h": { label: "in the last hour", seconds: 3600 },
  "24h": { label: "in the last day", seconds: 86_400 },
  "7d": { label: "in the last week", seconds: 604_800 },
};
/** History rows drawn at first; the rest on request. */
const HISTORY_SHOWN = 100;
const STATE_STATUSES = ["succeeded", "failed", "caught", "retried", "running", "waiting"];

export async function executionsView(root, query, signal) {
  const { stateMachines } = await sfn("ListStateMachines", {});
  const workflow = query.get("workflow") ?? "";
  const status = query.get("status") ?? "";
  const since = query.get("since") ?? "";
  const go = (changes) => {
    const next = new URLSearchParams({ workflow, status, since, ...changes });
    for (const [k, v] of [...next]) if (!v) next.delete(k);
    location.hash = `#/executions${next.size ? `?${next}` : ""}`;
  };
  const filters = h(
    "div",
    { class: "filters" },
    h(
      "label",
      {},
      "workflow ",
      h(
        "select",
        { id: "filter-workflow", onchange: (e) => go({ workflow: e.target.value }) },
        h("option", { value: "" }, "all"),
        ...stateMachines.map((sm) =>
          h("option", { value: sm.name, selected: sm.name === workflow }, sm.name),
        ),
      ),
    ),
    h(
      "label",
      {},
      "status ",
      h(
        "select",
        { id: "filter-status", onchange: (e) => go({ status: e.target.value }) },
        h("option", { value: "" }, "all"),
        ...STATUSES.filter((s) => s !== "PENDING_REDRIVE").map((s) =>
          h("option", { value: s, selected: s === status }, s),
        ),
      ),
    ),
    h(
      "label",
      {},
      "started ",
      h(
        "select",
        { id: "filter-since", onchange: (e) => go({ since: e.target.value }) },
        ...Object.entries(SINCE).map(([value, { label }]) =>
          h("option", { value, selected: value === since }, label),
        ),
      ),
    ),
    link(workflow ? `#/start/${workflow}` : "#/start", "Start an execution"),
  );
  const list = h("div", { id: "executions" }, h("p", { class: "empty" }, "loading…"));
  root.append(h("h1", {}, "Executions"), filters, list);
  let shown = "";
  let running = false;
  await poll(
    async () => {
      // The first time, which schedule started what is read alongside the list (a first render waits
      // for one round trip, not two); after that, only when the list changed.
      const firstRuns = shown === "" ? admin("schedules/runs?limit=1000") : undefined;
      const [all, clock] = await Promise.all([
        allExecutions({ workflow: workflow || undefined, status: status || undefined }),
        since ? admin("clock") : undefined,
      ]);
      // Simulated time: "the last hour" is the clock's last hour, however fast it runs.
      const from = clock ? Date.parse(clock.now) / 1000 - (SINCE[since]?.seconds ?? Infinity) : -Infinity;
      const executions = all.filter((e) => e.startDate >= from);
      running = executions.some((e) => e.status === "RUNNING");
      const key = JSON.stringify(executions.map((e) => [e.executionArn, e.status]));
      if (key === shown) return;
      // Which schedule started which execution (a schedule run names its execution with its id): read
      // only when the list changed, so that an idle page's polling costs what it did.
      const { runs } = await (firstRuns ?? admin("schedules/runs?limit=1000"));
      const startedBy = new Map(runs.map((r) => [r.executionId, r.schedule]));
      shown = key;
      list.replaceChildren(
        h("p", { class: "meta" }, `${executions.length} execution${executions.length === 1 ? "" : "s"}`),
        table(
          [
            { title: "Name", cell: (e) => link(`#/executions/${encodeArn(e.executionArn)}`, e.name) },
            { title: "Workflow", cell: (e) => e.workflow },
            { title: "Status", cell: (e) => badge(e.status) },
            {
              title: "Trigger",
              cell: (e) => (startedBy.has(e.name) ? `schedule ${startedBy.get(e.name)}` : ""),
            },
            { title: "Started", cell: (e) => time(e.startDate) },
            { title: "Duration", cell: (e) => (e.stopDate ? seconds(e.startDate, e.stopDate) : "") },
          ],
          executions.slice(0, 500),
          { empty: "No executions match.", rowAttrs: (e) => ({ "data-status": e.status }) },
        ),
      );
    },
    // Every 2 s while something runs; when nothing does, what could change is a new start: 5 s.
    () => (running ? 2000 : 5000),
    signal,
  );
}

export async function startView(root, requested) {
  const [{ stateMachines }, catalog] = await Promise.all([sfn("ListStateMachines", {}), consoleCatalog()]);
  const chosen = requested || catalog.workflows[0]?.name;
  const workflow = catalog.workflows.find((w) => w.name === chosen);
  const sm = stateMachines.find((s) => s.name === chosen);
  root.append(
    h("h1", {}, "Start an execution"),
    h(
      "div",
      { class: "filters" },
      h(
        "label",
        {},
        "workflow ",
        h(
          "select",
          {
            id: "start-workflow",
            onchange: (e) => {
              location.hash = `#/start/${e.target.value}`;
            },
          },
          ...catalog.workflows
            .filter((w) => stateMachines.some((s) => s.name === w.name))
            .map((w) => h("option", { value: w.name, selected: w.name === chosen }, w.name)),
        ),
      ),
    ),
    workflow && sm ? h("p", { class: "lead" }, workflow.description) : "",
    workflow && sm ? startForm(workflow, sm.stateMachineArn) : h("p", {}, `no workflow ${chosen}`),
  );
}

function stateDetails(state, definitionState) {
  if (!state)
    return h(
      "div",
      {},
      h("h3", {}, "Not entered"),
      definitionState ? h("p", { class: "meta" }, definitionState.Type) : "",
    );
  return h(
    "div",
    { class: "state-details", "data-state": state.name },
    h("h3", {}, state.name, " ", badge(state.status)),
    h(
      "p",
      { class: "meta" },
      `${definitionState?.Type ?? ""} · entered ${state.visits}× · ${state.attempts ? `${state.attempts} attempt(s) · ` : ""}${time(state.enteredAt)}${state.exitedAt ? ` → ${time(state.exitedAt)}` : ""}`,
    ),
    ...state.failures.map((f) =>
      h("div", { class: "failure" }, h("strong", { class: "error-name" }, f.error ?? f.type), cause(f.cause)),
    ),
    h("h4", {}, "Input"),
    json(state.input),
    h("h4", {}, "Output"),
    json(state.output),
  );
}

const EVENT_NOTE = (e) => {
  for (const [k, v] of Object.entries(e)) {
    if (!k.endsWith("EventDetails") || !v) continue;
    if (v.error || v.cause) return `${v.error ?? ""}${v.cause ? `: ${v.cause}` : ""}`;
    if (v.name) return v.name;
    if (v.resource) return `${v.resourceType ?? ""} ${v.resource}`;
  }
  return "";
};

/**
 * What started an execution: the schedule run it is named after, else what its input says
 * (`trigger` in every operational workflow's input contract).
 */
async function triggerOf(execution) {
  const { runs } = await admin(`schedules/runs?execution=${encodeURIComponent(execution.name)}`);
  if (runs[0]) return `schedule ${runs[0].schedule} (scheduled ${time(runs[0].scheduledTime)})`;
  try {
    const { trigger } = JSON.parse(execution.input ?? "{}");
    return typeof trigger === "string" ? trigger : "";
  } catch {
    return "";
  }
}

export async function executionView(root, executionArn, signal) {
  const execution = await sfn("DescribeExecution", { executionArn });
  const [machine, trigger] = await Promise.all([
    sfn("DescribeStateMachine", { stateMachineArn: execution.stateMachineArn }),
    triggerOf(execution),
  ]);
  const definition = JSON.parse(machine.definition);
  const states = statesByName(definition);
  const graph = drawGraph(definition);
  const header = h("div", { class: "exec-header" });
  const failure = h("div", { id: "execution-failure" });
  const details = h(
    "aside",
    { class: "card state-panel", id: "state-panel" },
    h("p", { class: "empty" }, "Choose a state in the graph."),
  );
  const history = h("section", { class: "card" });
  let selected;
  let picked = false;
  let showAll = false;
  let analysed = new Map();
  const select = (name) => {
    selected = name;
    for (const node of graph.querySelectorAll("g.state"))
      node.classList.toggle("selected", node.dataset.state === name);
    details.replaceChildren(stateDetails(analysed.get(name), states.get(name)));
  };
  graph.addEventListener("click", (e) => {
    const node = e.target.closest("g.state");
    if (node) {
      picked = true;
      select(node.dataset.state);
    }
  });
  graph.addEventListener("keydown", (e) => {
    const node = e.target.closest("g.state");
    if (node && (e.key === "Enter" || e.key === " ")) {
      picked = true;
      select(node.dataset.state);
    }
  });
  root.append(
    header,
    failure,
    h("div", { class: "legend" }, ...STATE_STATUSES.map((s) => h("span", { class: `chip s-${s}` }, s))),
    h("div", { class: "split" }, h("section", { class: "card graph-card" }, graphFrame(graph)), details),
    history,
  );
  let seen = "";
  const refresh = async () => {
    const [now, events] = await Promise.all([
      sfn("DescribeExecution", { executionArn }),
      fullHistory(executionArn),
    ]);
    const key = `${now.status}:${events.length}`;
    if (key === seen) return now;
    seen = key;
    analysed = analyse(events, now, states);
    for (const node of graph.querySelectorAll("g.state")) {
      const s = analysed.get(node.dataset.state);
      node.setAttribute(
        "class",
        `state${s ? ` s-${s.status}` : ""}${node.dataset.state === selected ? " selected" : ""}`,
      );
    }
    const redrivable = ["FAILED", "ABORTED", "TIMED_OUT"].includes(now.status);
    header.replaceChildren(
      h("h1", {}, now.name, " ", badge(now.status)),
      h(
        "p",
        { class: "meta" },
        link(`#/machines/${workflowName(now.stateMachineArn)}`, workflowName(now.stateMachineArn)),
        ` · started ${time(now.startDate)}`,
        trigger ? h("span", { id: "execution-trigger" }, ` · trigger: ${trigger}`) : "",
        now.stopDate ? ` · stopped ${time(now.stopDate)} (${seconds(now.startDate, now.stopDate)})` : "",
        now.redriveCount ? ` · redriven ${now.redriveCount}×` : "",
        ` · ${events.length} events`,
      ),
      h(
        "div",
        { class: "buttons" },
        now.status === "RUNNING"
          ? action(
              "Stop",
              async () => {
                const cause = prompt("Stop this execution: why?", "stopped from the console");
                if (cause === null) return;
                await sfn("StopExecution", { executionArn, error: "Console.Stopped", cause });
                notify("stop requested");
                await refresh();
              },
              { id: "stop", class: "danger" },
            )
          : "",
        redrivable
          ? action(
              "Redrive",
              async () => {
                await sfn("RedriveExecution", { executionArn });
                notify("redriven");
                seen = "";
                await refresh();
                live();
              },
              { id: "redrive" },
            )
          : "",
        link(`#/start/${workflowName(now.stateMachineArn)}`, "New execution"),
        link(`#/reports/${encodeArn(executionArn)}`, "Report"),
      ),
    );
    failure.replaceChildren(
      now.error || now.cause
        ? h(
            "div",
            { class: "failure card" },
            h("strong", { class: "error-name" }, now.error ?? ""),
            cause(now.cause),
          )
        : "",
    );
    // The state where the execution's error arose: the last one that failed with it (caught or not).
    const failing =
      [...analysed.values()]
        .filter((s) => now.error && s.failures.some((f) => f.error === now.error))
        .pop() ??
      [...analysed.values()]
        .filter((s) => s.status === "failed" && states.get(s.name)?.Type !== "Fail")
        .pop();
    const latest = [...analysed.values()].sort((a, b) => (b.enteredAt ?? 0) - (a.enteredAt ?? 0))[0];
    // Follow the execution until the reader picks a state.
    select(picked ? selected : (failing?.name ?? latest?.name));
    // The newest events first drawn: a long history's table is most of the page's layout work.
    const shown = showAll ? events : events.slice(-HISTORY_SHOWN);
    history.replaceChildren(
      h("h2", {}, "History"),
      shown.length < events.length
        ? h(
            "p",
            { class: "meta" },
            `the newest ${shown.length} of ${events.length} events `,
            action(
              `show all ${events.length}`,
              async () => {
                showAll = true;
                seen = "";
                await refresh();
              },
              { id: "show-all-events" },
            ),
          )
        : "",
      table(
        [
          { title: "#", cell: (e) => String(e.id) },
          { title: "Type", cell: (e) => e.type },
          { title: "Time", cell: (e) => time(e.timestamp) },
          { title: "Details", cell: (e) => EVENT_NOTE(e) },
        ],
        shown,
        { rowAttrs: (e) => ({ class: /Failed|TimedOut|Aborted/.test(e.type) ? "bad" : "" }) },
      ),
    );
    return now;
  };
  const inner = new AbortController();
  signal.addEventListener("abort", () => inner.abort());
  let running = false;
  const live = () => {
    if (running) return;
    running = true;
    const stop = new AbortController();
    inner.signal.addEventListener("abort", () => stop.abort());
    poll(
      async () => {
        const now = await refresh();
        if (now.status !== "RUNNING") {
          running = false;
          stop.abort();
        }
      },
      1000,
      stop.signal,
    );
  };
  await refresh();
  live();
}
