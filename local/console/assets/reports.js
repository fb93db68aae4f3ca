// Run reports: the list by workflow, and one report's charts, figures, decisions and timeline.
import { admin, consoleCatalog } from "./api.js";
import { metricChart, metricsOf } from "./chart.js";
import { badge, encodeArn, h, link, seconds, table, time } from "./ui.js";

export async function reportsView(root, query) {
  const workflow = query.get("workflow") ?? "";
  const { reports } = await admin(
    `reports${workflow ? `?workflow=${encodeURIComponent(workflow)}&limit=100` : "?limit=100"}`,
  );
  const { workflows } = await consoleCatalog();
  const names = [...new Set([...workflows.map((w) => w.name), ...(workflow ? [workflow] : [])])];
  const pick = (e) => {
    location.hash = `#/reports${e.target.value ? `?workflow=${e.target.value}` : ""}`;
  };
  root.append(
    h("h1", {}, "Run reports"),
    h(
      "div",
      { class: "filters" },
      h(
        "label",
        {},
        "workflow ",
        h(
          "select",
          { id: "filter-report-workflow", onchange: pick },
          h("option", { value: "" }, "all"),
          ...names.map((n) => h("option", { value: n, selected: n === workflow }, n)),
        ),
      ),
    ),
    table(
      [
        { title: "Execution", cell: (r) => link(`#/reports/${encodeArn(r.executionArn)}`, r.executionName) },
        { title: "Workflow", cell: (r) => r.workflow },
        { title: "Outcome", cell: (r) => badge(r.outcome) },
        { title: "Reason", cell: (r) => r.reason },
        { title: "Started", cell: (r) => time(r.startedAt) },
        { title: "Duration", cell: (r) => `${r.durationSeconds} s` },
      ],
      reports,
      { empty: "No run reports yet: a workflow's record-report step writes one at its end." },
    ),
  );
}

export async function reportView(root, executionArn) {
  const r = await admin(`reports/${encodeURIComponent(executionArn)}`);
  const charts = metricsOf(r.decisions);
  const subjects = [...new Set(r.figures.map((f) => f.subject ?? ""))];
  root.append(
    h("h1", {}, `${r.workflow} · ${r.executionName} `, badge(r.outcome)),
    h("p", { class: "lead" }, r.reason),
    h(
      "p",
      { class: "meta" },
      `${r.trigger.type}: ${r.trigger.source}${r.trigger.by ? ` by ${r.trigger.by}` : ""} · ${time(r.startedAt)} → ${time(r.finishedAt)} (${r.durationSeconds} s simulated)${r.redrives ? ` · ${r.redrives} redrive(s)` : ""} · `,
      link(`#/executions/${encodeArn(r.executionArn)}`, "execution"),
    ),
    targetsView(r.decisions),
    charts.length
      ? h(
          "section",
          { class: "card" },
          h("h2", {}, "Decisions measured"),
          h("div", { class: "charts" }, ...charts.map(metricChart)),
        )
      : "",
    r.figures.length
      ? h(
          "section",
          { class: "card" },
          h("h2", {}, "Figures"),
          ...subjects.map((subject) =>
            h(
              "div",
              {},
              subject ? h("h3", {}, subject) : "",
              table(
                [
                  { title: "Figure", cell: (f) => f.name },
                  { title: "Value", cell: (f) => `${f.value} ${f.unit}` },
                ],
                r.figures.filter((f) => (f.subject ?? "") === subject),
              ),
            ),
          ),
        )
      : "",
    h(
      "section",
      { class: "card" },
      h("h2", {}, "Decisions"),
      table(
        [
          { title: "Decision", cell: (d) => `${d.name}${d.subject ? ` (${d.subject})` : ""}` },
          { title: "Outcome", cell: (d) => badge(d.outcome) },
          {
            title: "Inputs",
            cell: (d) =>
              d.inputs
                ? Object.entries(d.inputs)
                    .map(([k, v]) => `${k}=${v}`)
                    .join(", ")
                : "",
          },
          {
            title: "Thresholds",
            cell: (d) =>
              d.thresholds
                ? Object.entries(d.thresholds)
                    .map(([k, v]) => `${k}=${v}`)
                    .join(", ")
                : "",
          },
          {
            title: "Why",
            cell: (d) =>
              d.approval
                ? `${d.approval.decision} by ${d.approval.by ?? "?"}: ${d.approval.reason ?? ""}`
                : (d.reason ?? ""),
          },
        ],
        r.decisions,
      ),
    ),
    timelineView(r),
  );
}

/**
 * The steps in order, with their simulated time since the start. A Map's iterations (a database per
 * global cluster, a restore per tenant) are folded under the outer steps: a run of hundreds stays
 * readable, every step one click away.
 */
function timelineView(r) {
  const columns = [
    { title: "Step", cell: (s) => `${s.iteration ? `${s.iteration}/` : ""}${s.name}` },
    { title: "Status", cell: (s) => badge(s.status) },
    { title: "Entered", cell: (s) => time(s.enteredAt) },
    { title: "Since start", cell: (s) => `+${seconds(r.startedAt, s.enteredAt)}` },
    { title: "Took", cell: (s) => (s.durationSeconds === undefined ? "" : `${s.durationSeconds} s`) },
    {
      title: "Error",
      cell: (s) =>
        [s.error, s.cause].filter(Boolean).join(": ") ||
        (s.retried?.length ? `retried ${s.retried.join(", ")}` : ""),
    },
  ];
  const rowAttrs = (s) => ({ "data-step": s.name, "data-status": s.status });
  const outer = r.steps.filter((s) => !s.iteration);
  const inner = r.steps.filter((s) => s.iteration);
  const failedInside = inner.filter((s) => s.status !== "succeeded").length;
  return h(
    "section",
    { class: "card", id: "timeline" },
    h("h2", {}, "Timeline"),
    table(columns, outer, { rowAttrs }),
    inner.length
      ? h(
          "details",
          { id: "timeline-iterations", open: failedInside > 0 },
          h(
            "summary",
            {},
            `${inner.length} steps inside Map iterations${failedInside ? `, ${failedInside} not succeeded` : ""}`,
          ),
          table(columns, inner, { rowAttrs }),
        )
      : "",
  );
}

/** A measured value as read: at most three decimals; a dash for one never measured. */
const figure = (v) => (typeof v === "number" ? String(Math.round(v * 1000) / 1000) : (v ?? "—").toString());

/** `rtoSeconds` -> `RTO (s)`, `errorRatePercent` -> `errorRate (%)`. */
function measureLabel(key) {
  const m = /^(.*?)(Seconds|Ms|Percent)$/.exec(key);
  if (!m) return key;
  const base = m[1].length <= 3 ? m[1].toUpperCase() : m[1];
  return `${base} (${{ Seconds: "s", Ms: "ms", Percent: "%" }[m[2]]})`;
}

/**
 * Decisions that hold a measure to a target of the same name (a failover's RTO and RPO per tier), as
 * a table per decision name: each subject's measured value beside its target, and the outcome.
 */
function targetsView(decisions) {
  const shared = (d) => Object.keys(d.inputs ?? {}).filter((k) => typeof d.thresholds?.[k] === "number");
  const held = decisions.filter((d) => shared(d).length > 0);
  if (held.length === 0) return "";
  // Per-subject measures (a tier's, a tenant's) first, single checks after.
  const count = (name) => held.filter((d) => d.name === name).length;
  const names = [...new Set(held.map((d) => d.name))].sort((a, b) => count(b) - count(a));
  return h(
    "section",
    { class: "card", id: "targets" },
    h("h2", {}, "Measured against targets"),
    ...names.map((name) => {
      const rows = held.filter((d) => d.name === name);
      const keys = [...new Set(rows.flatMap(shared))];
      return h(
        "div",
        { "data-decision": name },
        h("h3", {}, name),
        table(
          [
            { title: "Subject", cell: (d) => d.subject ?? d.name },
            ...keys.flatMap((k) => [
              { title: measureLabel(k), cell: (d) => figure(d.inputs?.[k]) },
              { title: `target ${measureLabel(k)}`, cell: (d) => figure(d.thresholds?.[k]) },
            ]),
            { title: "Outcome", cell: (d) => badge(d.outcome) },
            { title: "Why", cell: (d) => d.reason ?? "" },
          ],
          rows,
          { rowAttrs: (d) => ({ "data-subject": d.subject ?? d.name, "data-outcome": d.outcome }) },
        ),
      );
    }),
  );
}
