// The console's shell: a hash router (deep links such as #/executions/<arn>), the navigation, the
// simulated clock in the header, and one AbortController per view that ends its polling.
import { admin } from "./api.js";
import { cloudView } from "./cloud.js";
import { decisionsView } from "./decisions.js";
import { eventsView } from "./events.js";
import { executionsView, executionView, startView } from "./executions.js";
import { machinesView, machineView } from "./machines.js";
import { reportsView, reportView } from "./reports.js";
import { errorText, h, time } from "./ui.js";

const ROUTES = [
  [/^\/?$/, (root, _m, q, s) => executionsView(root, q, s), "executions"],
  [/^\/machines$/, (root) => machinesView(root), "machines"],
  [/^\/machines\/(.+)$/, (root, m) => machineView(root, decodeURIComponent(m[1])), "machines"],
  [/^\/executions$/, (root, _m, q, s) => executionsView(root, q, s), "executions"],
  [
    /^\/executions\/(.+)$/,
    (root, m, _q, s) => executionView(root, decodeURIComponent(m[1]), s),
    "executions",
  ],
  [
    /^\/start(?:\/(.+))?$/,
    (root, m) => startView(root, m[1] ? decodeURIComponent(m[1]) : undefined),
    "executions",
  ],
  [/^\/decisions$/, (root, _m, q, s) => decisionsView(root, q, s), "decisions"],
  [/^\/reports$/, (root, _m, q) => reportsView(root, q), "reports"],
  [/^\/reports\/(.+)$/, (root, m) => reportView(root, decodeURIComponent(m[1])), "reports"],
  [/^\/events$/, (root, _m, q, s) => eventsView(root, q, s), "events"],
  [/^\/cloud$/, (root, _m, q, s) => cloudView(root, q, s), "cloud"],
];

let current;

async function route() {
  current?.abort();
  // A confirmation belongs to the page it was given on; errors stay until closed.
  for (const note of document.querySelectorAll("#notices .notice:not(.error)")) note.remove();
  const controller = new AbortController();
  current = controller;
  const [path, search = ""] = location.hash.replace(/^#/, "").split("?");
  const root = document.getElementById("view");
  const view = h("div", { class: "view", "aria-busy": "true" });
  root.replaceChildren(view);
  const found = ROUTES.map(([re, render, nav]) => [re.exec(path), render, nav]).find(([m]) => m);
  for (const a of document.querySelectorAll("nav a"))
    a.classList.toggle("active", a.dataset.nav === found?.[2]);
  try {
    if (!found) {
      view.append(h("h1", {}, "Not found"), h("p", {}, `No page ${location.hash}.`));
      return;
    }
    const [match, render] = found;
    await render(view, match, new URLSearchParams(search), controller.signal);
  } catch (error) {
    if (!controller.signal.aborted) view.append(h("p", { class: "error", role: "alert" }, errorText(error)));
  } finally {
    view.setAttribute("aria-busy", "false");
    view.dataset.rendered = String(performance.now());
  }
}

async function clock() {
  try {
    const now = await admin("clock");
    document.getElementById("clock-badge").textContent = `${time(now.now)} · ${now.mode}`;
  } catch {
    document.getElementById("clock-badge").textContent = "runtime unreachable";
  }
}

window.addEventListener("hashchange", route);
// A view that changed the clock's speed says so: the header shows it at once.
window.addEventListener("cplane:clock", () => clock());
document.getElementById("menu").addEventListener("click", () => document.body.classList.toggle("nav-open"));
document.querySelector("nav").addEventListener("click", () => document.body.classList.remove("nav-open"));
route();
clock();
setInterval(() => document.hidden || clock(), 5000);
