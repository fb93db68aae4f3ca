// Small DOM helpers shared by the views: elements, tables, times, JSON, notices, polling.
export { h } from "./schema.js";

import { h } from "./schema.js";

/** AWS JSON timestamps are epoch seconds; the admin routes send ISO strings. */
export function time(value) {
  if (value === undefined || value === null || value === "") return "";
  const date = typeof value === "number" ? new Date(value * 1000) : new Date(value);
  return Number.isNaN(date.getTime())
    ? String(value)
    : date
        .toISOString()
        .replace("T", " ")
        .replace(/\.\d+Z$/, "Z");
}

export function seconds(from, to) {
  if (from === undefined || to === undefined) return "";
  const s = Math.max(
    0,
    (typeof to === "number" ? to : Date.parse(to) / 1000) -
      (typeof from === "number" ? from : Date.parse(from) / 1000),
  );
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

/** Pretty JSON of a value, or of a JSON string as the API returns inputs and outputs. */
export function json(value) {
  if (value === undefined) return h("pre", { class: "json empty" }, "—");
  let shown = value;
  if (typeof value === "string") {
    try {
      shown = JSON.parse(value);
    } catch {
      return h("pre", { class: "json" }, value);
    }
  }
  return h("pre", { class: "json" }, JSON.stringify(shown, null, 2));
}

export const badge = (status) =>
  h("span", { class: `badge ${String(status).toLowerCase()}` }, String(status));

export function table(columns, rows, { empty = "nothing yet", rowAttrs } = {}) {
  if (rows.length === 0) return h("p", { class: "empty" }, empty);
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      {},
      h("thead", {}, h("tr", {}, ...columns.map((c) => h("th", {}, c.title)))),
      h(
        "tbody",
        {},
        ...rows.map((row) =>
          h(
            "tr",
            rowAttrs?.(row) ?? {},
            ...columns.map((c) => h("td", { "data-label": c.title }, c.cell(row))),
          ),
        ),
      ),
    ),
  );
}

/** A notice at the top of the page: errors stay until closed, confirmations fade. */
export function notify(message, kind = "ok") {
  const box = document.getElementById("notices");
  const note = h(
    "div",
    { class: `notice ${kind}`, role: kind === "error" ? "alert" : "status" },
    message,
    h("button", { class: "close", "aria-label": "close", onclick: () => note.remove() }, "×"),
  );
  box.append(note);
  if (kind !== "error") setTimeout(() => note.remove(), 5000);
}

export const errorText = (error) => `${error.name}: ${error.message}`;

/**
 * Runs `fn` now and every `ms` (or `ms()`: an interval that may change) while the view is shown and the tab visible; `stop` is called by the
 * router when the view changes. One call at a time: a slow answer delays the next, never piles up.
 */
export function poll(fn, ms, signal) {
  let timer;
  const tick = async () => {
    if (signal.aborted) return;
    if (!document.hidden) {
      try {
        await fn();
      } catch (error) {
        console.warn(error);
      }
    }
    if (!signal.aborted) timer = setTimeout(tick, typeof ms === "function" ? ms() : ms);
  };
  signal.addEventListener("abort", () => clearTimeout(timer));
  return tick();
}

/** A button that disables itself while its action runs and reports its failure. */
export function action(label, run, attrs = {}) {
  const button = h(
    "button",
    {
      ...attrs,
      type: "button",
      onclick: async () => {
        button.disabled = true;
        try {
          await run();
        } catch (error) {
          notify(errorText(error), "error");
        } finally {
          button.disabled = false;
        }
      },
    },
    label,
  );
  return button;
}

export const link = (href, text) => h("a", { href }, text);
export const arnName = (arn) => String(arn).split(":").pop();
export const encodeArn = (arn) => encodeURIComponent(arn);

/**
 * A cause as the API gives it; a Lambda error's JSON cause (errorMessage, errorType, trace) shows its
 * message first, the whole of it one click away.
 */
export function cause(text) {
  if (!text) return h("pre", { class: "cause" }, "");
  try {
    const parsed = JSON.parse(text);
    if (parsed && typeof parsed.errorMessage === "string")
      return h(
        "div",
        {},
        h("pre", { class: "cause" }, parsed.errorMessage),
        h("details", {}, h("summary", {}, "whole cause"), json(parsed)),
      );
  } catch {
    // not JSON: shown as it is
  }
  return h("pre", { class: "cause" }, text);
}
