// Decisions waiting: the kit's approvals (approve or reject with a reason) and task tokens outstanding.
import { admin } from "./api.js";
import { thresholdOf } from "./chart.js";
import { action, arnName, badge, encodeArn, h, json, link, notify, poll, table, time } from "./ui.js";

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
            a.evidence ? evidenceView(a.evidence) : "",
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

function evidenceView(evidence) {
  const compared = comparison(evidence) ?? readinessEvidence(evidence);
  return h(
    "details",
    { open: true, class: "evidence" },
    h("summary", {}, "Evidence"),
    ...(compared
      ? [compared, h("details", {}, h("summary", {}, "as JSON"), json(evidence))]
      : [json(evidence)]),
  );
}

const BOUND = { max: "≤", min: "≥", limit: "" };

/**
 * Evidence that compares a canary with stable (a canary analysis: `canary`, `stable`, `thresholds`)
 * as a table of each measured figure, side by side with the gate it is held to; other evidence as it is.
 */
function comparison(evidence) {
  const { canary, stable, thresholds } = evidence ?? {};
  if (!canary || !stable || typeof canary !== "object" || typeof stable !== "object") return undefined;
  const metrics = [...new Set([...Object.keys(canary), ...Object.keys(stable)])].filter(
    (k) => typeof canary[k] === "number" || typeof stable[k] === "number",
  );
  const cap = (k) => k.charAt(0).toUpperCase() + k.slice(1);
  const inputs = Object.fromEntries(metrics.map((k) => [`stable${cap(k)}`, stable[k]]));
  return h(
    "div",
    {},
    evidence.verdict
      ? h("p", { class: "meta" }, `verdict ${evidence.verdict}: ${evidence.reason ?? ""}`)
      : "",
    table(
      [
        { title: "Measured", cell: (k) => k },
        { title: "Canary", cell: (k) => String(canary[k] ?? "") },
        { title: "Stable", cell: (k) => String(stable[k] ?? "") },
        {
          title: "Gate",
          cell: (k) => {
            const gate = thresholdOf({ thresholds, inputs }, k, k);
            return gate ? `${BOUND[gate.kind]} ${gate.value}`.trim() : "";
          },
        },
      ],
      metrics,
      { rowAttrs: (k) => ({ "data-metric": k, class: "evidence-row" }) },
    ),
  );
}

/**
 * A drill's evidence: the DR readiness its plan checked (overall light, when, and per kind of subject,
 * how many are green, amber, red) beside what would move; `cplane dr status` shows each subject.
 */
function readinessEvidence(evidence) {
  const readiness = evidence?.readiness;
  if (!readiness?.perKind) return undefined;
  const facts = Object.entries(evidence).filter(([, v]) => v === null || typeof v !== "object");
  return h(
    "div",
    { class: "readiness-evidence" },
    h(
      "p",
      { class: "meta" },
      "DR readiness ",
      badge(readiness.overall),
      ` checked ${time(readiness.checkedAt)}`,
      ...facts.map(([k, v]) => ` · ${k} ${v}`),
    ),
    table(
      [
        { title: "Kind", cell: ([kind]) => kind },
        { title: "Status", cell: ([, r]) => badge(r.status) },
        { title: "Green", cell: ([, r]) => String(r.green) },
        { title: "Amber", cell: ([, r]) => String(r.amber) },
        { title: "Red", cell: ([, r]) => String(r.red) },
      ],
      Object.entries(readiness.perKind),
      { rowAttrs: ([kind]) => ({ "data-kind": kind, class: "evidence-row" }) },
    ),
  );
}
