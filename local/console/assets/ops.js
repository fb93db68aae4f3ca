// Decisions waiting, run reports, events and triggers, the local cloud and its clock.
import { admin, consoleCatalog, events, sfn } from "./api.js";
import { metricChart, metricsOf } from "./chart.js";
import {
  action,
  arnName,
  badge,
  encodeArn,
  h,
  json,
  link,
  notify,
  poll,
  seconds,
  table,
  time,
} from "./ui.js";

const WHO_KEY = "cplane.console.decidedBy";

export async function decisionsView(root, _query, signal) {
  const list = h("div", { id: "approvals" });
  const tasks = h("div", { id: "tasks" });
  const who = h("input", {
    id: "decided-by",
    type: "text",
    value: localStorage.getItem(WHO_KEY) ?? "",
    placeholder: "your name",
    onchange: (e) => localStorage.setItem(WHO_KEY, e.target.value),
  });
  root.append(
    h("h1", {}, "Decisions waiting"),
    h("div", { class: "filters" }, h("label", { for: "decided-by" }, "decide as "), who),
    list,
    h("h2", {}, "Task tokens waiting"),
    tasks,
  );
  let shown = "";
  await poll(
    async () => {
      const [{ approvals }, pending] = await Promise.all([admin("approvals"), admin("tasks")]);
      const key = JSON.stringify([
        approvals.map((a) => [a.approvalId, a.status]),
        pending.tasks.map((t) => t.taskToken),
      ]);
      if (key === shown) return;
      shown = key;
      const waiting = approvals.filter((a) => a.status === "pending");
      const decided = approvals.filter((a) => a.status !== "pending");
      list.replaceChildren(
        waiting.length === 0 ? h("p", { class: "empty" }, "Nothing waits for a decision.") : "",
        ...waiting.map((a) => {
          const reason = h("input", {
            type: "text",
            class: "reason",
            placeholder: "reason (required)",
            "aria-label": "reason",
          });
          const decide = (approved) =>
            action(
              approved ? "Approve" : "Reject",
              async () => {
                if (!reason.value.trim())
                  throw Object.assign(new Error("give a reason for the decision"), {
                    name: "ReasonRequired",
                  });
                const decidedBy = who.value.trim() || "console";
                await admin(`approvals/${a.approvalId}/decision`, {
                  approved,
                  decidedBy,
                  reason: reason.value.trim(),
                });
                notify(`${a.approvalId} ${approved ? "approved" : "rejected"}`);
                shown = "";
              },
              { class: approved ? "primary approve" : "danger reject" },
            );
          return h(
            "article",
            { class: "card approval", "data-approval": a.approvalId },
            h("h3", {}, a.question),
            h(
              "p",
              { class: "meta" },
              `${a.gate} · `,
              link(`#/executions/${encodeArn(a.executionArn)}`, arnName(a.executionArn)),
              ` · asked ${time(a.requestedAt)} · expires ${time(a.expiresAt)}${a.escalated ? " · escalated" : ""}`,
            ),
            a.evidence ? h("details", { open: true }, h("summary", {}, "Evidence"), json(a.evidence)) : "",
            h("div", { class: "buttons" }, reason, decide(true), decide(false)),
          );
        }),
        decided.length ? h("h2", {}, "Decided") : "",
        decided.length
          ? table(
              [
                { title: "Question", cell: (a) => a.question },
                { title: "Decision", cell: (a) => badge(a.status) },
                { title: "By", cell: (a) => a.decision?.decidedBy ?? "" },
                { title: "Why", cell: (a) => a.decision?.reason ?? "" },
                { title: "When", cell: (a) => time(a.decision?.decidedAt) },
              ],
              decided,
            )
          : "",
      );
      tasks.replaceChildren(
        table(
          [
            { title: "State", cell: (t) => t.stateName },
            {
              title: "Execution",
              cell: (t) => link(`#/executions/${encodeArn(t.executionArn)}`, arnName(t.executionArn)),
            },
          ],
          pending.tasks,
          { empty: "No task tokens outstanding." },
        ),
      );
    },
    2000,
    signal,
  );
}

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
    h(
      "section",
      { class: "card" },
      h("h2", {}, "Timeline"),
      table(
        [
          { title: "Step", cell: (s) => `${s.iteration ? `${s.iteration}/` : ""}${s.name}` },
          { title: "Status", cell: (s) => badge(s.status) },
          { title: "Entered", cell: (s) => time(s.enteredAt) },
          { title: "Took", cell: (s) => (s.durationSeconds === undefined ? "" : `${s.durationSeconds} s`) },
          {
            title: "Error",
            cell: (s) =>
              [s.error, s.cause].filter(Boolean).join(": ") ||
              (s.retried?.length ? `retried ${s.retried.join(", ")}` : ""),
          },
        ],
        r.steps,
      ),
    ),
  );
}

export async function eventsView(root, query, signal) {
  const bus = query.get("bus") ?? "";
  const catalog = await consoleCatalog();
  const log = h("div", { id: "event-log" });
  const sample = h(
    "select",
    { id: "sample", "aria-label": "sample event" },
    ...catalog.samples.map((s) => h("option", { value: s.name }, s.name)),
  );
  const editor = h("textarea", {
    id: "event-json",
    rows: 10,
    class: "json",
    spellcheck: "false",
    "aria-label": "event (JSON)",
  });
  const load = () => {
    const chosen = catalog.samples.find((s) => s.name === sample.value);
    editor.value = JSON.stringify(chosen?.event ?? {}, null, 2);
  };
  sample.addEventListener("change", load);
  load();
  const put = action(
    "Put event",
    async () => {
      const event = JSON.parse(editor.value);
      const { Entries, FailedEntryCount } = await events("PutEvents", {
        Entries: [
          {
            Source: event.source,
            DetailType: event["detail-type"],
            Detail: JSON.stringify(event.detail ?? {}),
            EventBusName: event.source?.startsWith("aws.") ? "default" : "cplane",
            ...(event.resources ? { Resources: event.resources } : {}),
          },
        ],
      });
      if (FailedEntryCount)
        throw Object.assign(new Error(Entries[0].ErrorMessage), { name: Entries[0].ErrorCode });
      notify(`put ${Entries[0].EventId}`);
    },
    { class: "primary", id: "put-event" },
  );
  const [{ rules }, { schedules }] = await Promise.all([admin("rules"), admin("schedules")]);
  root.append(
    h("h1", {}, "Events and triggers"),
    h(
      "div",
      { class: "split even" },
      h(
        "section",
        { class: "card" },
        h("h2", {}, "Put a sample event"),
        sample,
        editor,
        h("div", { class: "buttons" }, put),
      ),
      h(
        "section",
        { class: "card" },
        h("h2", {}, "Schedules"),
        table(
          [
            { title: "Schedule", cell: (s) => s.name },
            { title: "Expression", cell: (s) => `${s.expression ?? ""} ${s.timezone}` },
            { title: "Workflow", cell: (s) => s.workflow },
            { title: "Next run", cell: (s) => (s.loaded ? time(s.nextRun) : `not loaded: ${s.reason}`) },
            {
              title: "",
              cell: (s) =>
                s.loaded
                  ? action(
                      "Run now",
                      async () => {
                        const { executionId } = await admin(
                          `schedules/${encodeURIComponent(s.name)}/trigger`,
                          {},
                        );
                        notify(`${s.name} started ${executionId}`);
                      },
                      { "data-schedule": s.name },
                    )
                  : "",
            },
          ],
          schedules,
        ),
        h("h2", {}, "Rules"),
        table(
          [
            { title: "Rule", cell: (r) => r.rule },
            { title: "Workflow", cell: (r) => r.workflow },
            { title: "Loaded", cell: (r) => (r.loaded ? "yes" : `no: ${r.reason}`) },
          ],
          rules,
        ),
      ),
    ),
    h(
      "section",
      { class: "card" },
      h("h2", {}, "Bus log"),
      h(
        "div",
        { class: "filters" },
        h(
          "label",
          {},
          "bus ",
          h(
            "select",
            {
              onchange: (e) => {
                location.hash = `#/events${e.target.value ? `?bus=${e.target.value}` : ""}`;
              },
            },
            ...["", "cplane", "default"].map((b) =>
              h("option", { value: b, selected: b === bus }, b || "all"),
            ),
          ),
        ),
      ),
      log,
    ),
  );
  let shown = "";
  await poll(
    async () => {
      const page = await admin(`events?limit=200${bus ? `&bus=${bus}` : ""}`);
      const key = `${page.total}:${page.events.at(-1)?.id ?? ""}`;
      if (key === shown) return;
      shown = key;
      log.replaceChildren(
        h("p", { class: "meta" }, `newest ${page.events.length} of ${page.total} kept`),
        table(
          [
            { title: "Time", cell: (e) => time(e.time ?? e.event?.time) },
            { title: "Source", cell: (e) => e.source ?? e.event?.source ?? "" },
            { title: "Detail type", cell: (e) => e["detail-type"] ?? e.event?.["detail-type"] ?? "" },
            { title: "Event", cell: (e) => h("details", {}, h("summary", {}, "show"), json(e)) },
          ],
          [...page.events].reverse(),
          { empty: "No events on the bus yet." },
        ),
      );
    },
    2000,
    signal,
  );
}

export async function cloudView(root, _query, signal) {
  const clock = h("section", { class: "card", id: "clock" });
  const faults = h("section", { class: "card", id: "faults" });
  const resources = h("section", { class: "card", id: "resources" });
  const tenants = h("section", { class: "card", id: "tenants" });
  root.append(
    h("h1", {}, "Local cloud"),
    h("div", { class: "split even" }, clock, faults),
    tenants,
    resources,
  );
  const advance = h("input", {
    id: "advance-by",
    type: "text",
    value: "10m",
    size: 6,
    "aria-label": "advance by",
  });
  const service = h("input", {
    id: "fault-service",
    type: "text",
    placeholder: "service (rds)",
    list: "services",
  });
  const operation = h("input", { id: "fault-operation", type: "text", placeholder: "operation (optional)" });
  const errorName = h("input", {
    id: "fault-error",
    type: "text",
    placeholder: "error name",
    value: "InternalFailure",
  });
  const times = h("input", { id: "fault-times", type: "number", placeholder: "times", min: 1 });
  const refresh = async () => {
    const [now, faultList, cloud, tenantList, { regions }] = await Promise.all([
      admin("clock"),
      admin("faults"),
      admin("cloud"),
      admin("tenants"),
      consoleCatalog(),
    ]);
    const down = new Set(faultList.faults.filter((f) => f.kind === "region-down").map((f) => f.region));
    clock.replaceChildren(
      h("h2", {}, "Clock"),
      h("p", { class: "big", id: "clock-now" }, time(now.now)),
      h(
        "p",
        { class: "meta", id: "clock-mode" },
        `mode ${now.mode}; the speed is set when the runtime starts (cplane start --speed)`,
      ),
      h(
        "div",
        { class: "buttons" },
        advance,
        action(
          "Advance",
          async () => {
            const ms = durationMs(advance.value);
            const next = await admin("clock/advance", { ms });
            notify(`clock now ${time(next.now)}`);
            await refresh();
          },
          { id: "advance" },
        ),
      ),
    );
    faults.replaceChildren(
      h("h2", {}, "Regions and faults"),
      table(
        [
          { title: "Region", cell: (r) => r },
          { title: "Health", cell: (r) => badge(down.has(r) ? "DOWN" : "HEALTHY") },
          {
            title: "",
            cell: (r) =>
              action(
                down.has(r) ? "Region up" : "Region down",
                async () => {
                  await admin(`faults/${down.has(r) ? "region-up" : "region-down"}`, { region: r });
                  await refresh();
                },
                { "data-region": r, class: down.has(r) ? "" : "danger" },
              ),
          },
        ],
        regions,
      ),
      h("h3", {}, "Faults"),
      table([{ title: "Fault", cell: (f) => JSON.stringify(f) }], faultList.faults, { empty: "No faults." }),
      h("datalist", { id: "services" }, ...Object.keys(cloud).map((s) => h("option", { value: s }))),
      h("div", { class: "form-grid" }, service, operation, errorName, times),
      h(
        "div",
        { class: "buttons" },
        action(
          "Add fault",
          async () => {
            await admin("faults", {
              kind: "error",
              service: service.value,
              ...(operation.value ? { operation: operation.value } : {}),
              error: errorName.value,
              ...(times.value ? { times: Number(times.value) } : {}),
            });
            notify("fault added");
            await refresh();
          },
          { id: "add-fault" },
        ),
        action(
          "Clear faults",
          async () => {
            await admin("faults/clear", {});
            notify("faults cleared");
            await refresh();
          },
          { id: "clear-faults" },
        ),
      ),
    );
    tenants.replaceChildren(
      h("h2", {}, "Tenants"),
      table(
        Object.keys(tenantList.tenants[0] ?? { slug: 1 })
          .slice(0, 7)
          .map((k) => ({
            title: k,
            cell: (t) => (typeof t[k] === "object" ? JSON.stringify(t[k]) : String(t[k] ?? "")),
          })),
        tenantList.tenants,
        { empty: "No tenants yet." },
      ),
    );
    resources.replaceChildren(
      h("h2", {}, "Resources"),
      ...Object.entries(cloud).flatMap(([svc, byRegion]) =>
        Object.entries(byRegion).flatMap(([region, kinds]) =>
          Object.entries(kinds)
            .filter(([, items]) => items.length > 0)
            .map(([kind, items]) =>
              h(
                "details",
                {},
                h("summary", {}, `${svc} · ${region} · ${kind} (${items.length})`),
                resourceTable(items),
              ),
            ),
        ),
      ),
    );
  };
  await poll(refresh, 3000, signal);
}

function resourceTable(items) {
  const keys = [...new Set(items.flatMap((i) => Object.keys(i ?? {})))]
    .filter((k) => typeof items[0]?.[k] !== "object")
    .slice(0, 6);
  if (keys.length === 0) return json(items);
  return table(
    keys.map((k) => ({ title: k, cell: (i) => String(i?.[k] ?? "") })),
    items,
  );
}

/** `90s`, `10m`, `2h`, `1d` or milliseconds. */
export function durationMs(text) {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  if (!m)
    throw Object.assign(new Error(`"${text}" is not a duration like 90s, 10m, 2h`), {
      name: "InvalidDuration",
    });
  return Number(m[1]) * { ms: 1, s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7 }[m[2] ?? "ms"];
}

export { seconds, sfn };
