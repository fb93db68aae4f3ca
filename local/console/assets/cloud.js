// The local cloud: the clock, regions and faults, tenants, resources.
import { admin, consoleCatalog } from "./api.js";
import { action, badge, h, json, notify, poll, table, time } from "./ui.js";

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
    "aria-label": "error name",
  });
  // What the fault does, as `cplane fault add` takes it: an error, throttling, or latency.
  const kind = h(
    "select",
    {
      id: "fault-kind",
      "aria-label": "fault kind",
      onchange: () => {
        const latency = kind.value === "latency";
        errorName.placeholder = latency
          ? "latency (2s, 500ms)"
          : kind.value === "throttle"
            ? "error name (the service's own)"
            : "error name";
        errorName.value = latency ? "2s" : kind.value === "error" ? "InternalFailure" : "";
        errorName.setAttribute("aria-label", latency ? "latency" : "error name");
      },
    },
    ...["error", "throttle", "latency"].map((k) => h("option", { value: k }, k)),
  );
  const region = h(
    "select",
    { id: "fault-region", "aria-label": "fault region" },
    h("option", { value: "" }, "any region"),
  );
  const times = h("input", { id: "fault-times", type: "number", placeholder: "times", min: 1 });
  const speed = h("input", {
    id: "clock-speed",
    type: "text",
    size: 8,
    list: "speeds",
    placeholder: "60",
    "aria-label": "clock speed",
  });
  // Between polls a flowing clock is drawn moving at its rate; each poll sets it right again.
  let shown = { at: 0, now: 0, rate: 0 };
  // The controls are drawn once: a redraw under a person typing would take the field from them.
  const clockNow = h("p", { class: "big", id: "clock-now" });
  const clockMode = h("p", { class: "meta", id: "clock-mode" });
  const regionsBox = h("div", { id: "regions" });
  const faultsBox = h("div", { id: "fault-list" });
  const services = h("datalist", { id: "services" });
  clock.append(
    h("h2", {}, "Clock"),
    clockNow,
    clockMode,
    h(
      "datalist",
      { id: "speeds" },
      ...["instant", "manual", "real", "10", "60", "600", "3600"].map((v) => h("option", { value: v })),
    ),
    h(
      "div",
      { class: "buttons" },
      speed,
      action(
        "Set speed",
        async () => {
          const next = await admin("clock/speed", { speed: speed.value.trim() });
          notify(`clock speed now ${next.mode}`);
          window.dispatchEvent(new Event("cplane:clock"));
          await refresh();
        },
        { id: "set-speed" },
      ),
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
  faults.append(
    h("h2", {}, "Regions and faults"),
    regionsBox,
    h("h3", {}, "Faults"),
    faultsBox,
    services,
    h("div", { class: "form-grid" }, kind, region, service, operation, errorName, times),
    h(
      "div",
      { class: "buttons" },
      action(
        "Add fault",
        async () => {
          const what =
            kind.value === "latency"
              ? { ms: durationMs(errorName.value) }
              : errorName.value.trim() || kind.value === "error"
                ? { error: errorName.value.trim() }
                : {};
          await admin("faults", {
            kind: kind.value,
            ...(service.value ? { service: service.value } : {}),
            ...(operation.value ? { operation: operation.value } : {}),
            ...(region.value ? { region: region.value } : {}),
            ...what,
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
  // Each part is redrawn only when what it shows changed, so that what a person opened stays open.
  const drawn = new Map();
  const redraw = (part, data, draw) => {
    const key = JSON.stringify(data);
    if (drawn.get(part) === key) return;
    drawn.set(part, key);
    const open = new Set([...part.querySelectorAll("details[open]")].map((d) => d.dataset.key));
    part.replaceChildren(...draw());
    for (const d of part.querySelectorAll("details[data-key]")) if (open.has(d.dataset.key)) d.open = true;
  };
  const refresh = async () => {
    const [now, faultList, cloud, tenantList, { regions }, dr] = await Promise.all([
      admin("clock"),
      admin("faults"),
      admin("cloud"),
      admin("tenants"),
      consoleCatalog(),
      admin("dr"),
    ]);
    const readiness = dr.readiness;
    // Where production runs: the last readiness says (a failover moves it), else the home region.
    const serving = readiness?.primaryRegion ?? dr.home;
    const down = new Set(faultList.faults.filter((f) => f.kind === "region-down").map((f) => f.region));
    shown = { at: performance.now(), now: Date.parse(now.now), rate: rate(now.mode) };
    clockNow.textContent = time(now.now);
    clockMode.textContent = `speed ${now.mode}: ${SPEEDS[now.mode] ?? `${rate(now.mode)} times real time`}`;
    redraw(services, Object.keys(cloud), () => Object.keys(cloud).map((s) => h("option", { value: s })));
    if (region.options.length === 1) region.append(...regions.map((r) => h("option", { value: r }, r)));
    redraw(regionsBox, [regions, [...down], serving, readiness], () => [
      table(
        [
          { title: "Region", cell: (r) => r },
          { title: "Role", cell: (r) => (r === serving ? "serving" : "standby") },
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
        { rowAttrs: (r) => ({ "data-region-row": r }) },
      ),
      readinessView(readiness, async () => {
        await admin("dr?refresh=1");
        await refresh();
      }),
    ]);
    redraw(faultsBox, faultList.faults, () => [
      table(
        [
          { title: "Kind", cell: (f) => f.kind },
          {
            title: "Matches",
            cell: (f) =>
              [f.service, f.operation, f.region].filter(Boolean).join(" · ") || (f.snapshot ?? "every call"),
          },
          {
            title: "Does",
            cell: (f) => (f.kind === "latency" ? `+${f.ms} ms` : (f.error ?? f.mode ?? "")),
          },
          { title: "Hits", cell: (f) => `${f.hits}${f.times ? ` of ${f.times}` : ""}` },
        ],
        faultList.faults,
        { empty: "No faults.", rowAttrs: (f) => ({ "data-fault": f.id }) },
      ),
    ]);
    redraw(tenants, tenantList.tenants, () => [
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
    ]);
    redraw(resources, cloud, () => [
      h("h2", {}, "Resources"),
      ...Object.entries(cloud).flatMap(([svc, byRegion]) =>
        Object.entries(byRegion).flatMap(([region, kinds]) =>
          Object.entries(kinds)
            .filter(([, items]) => items.length > 0)
            .map(([kind, items]) =>
              h(
                "details",
                { "data-key": `${svc}/${region}/${kind}` },
                h("summary", {}, `${svc} · ${region} · ${kind} (${items.length})`),
                resourceTable(items),
              ),
            ),
        ),
      ),
    ]);
  };
  await poll(refresh, 3000, signal);
  void poll(
    () => {
      const at = document.getElementById("clock-now");
      if (at && shown.rate > 0)
        at.textContent = time(
          new Date(shown.now + (performance.now() - shown.at) * shown.rate).toISOString(),
        );
    },
    1000,
    signal,
  );
}

/** DR readiness (what `cplane dr status` shows): the overall light, when, and each subject's. */
function readinessView(readiness, assess) {
  const button = action("Assess now", assess, { id: "assess-readiness" });
  if (!readiness)
    return h(
      "div",
      { id: "readiness" },
      h("h3", {}, "DR readiness"),
      h("p", { class: "empty" }, "Not assessed yet: the dr-readiness schedule runs every 30 minutes."),
      h("div", { class: "buttons" }, button),
    );
  return h(
    "div",
    { id: "readiness" },
    h("h3", {}, "DR readiness ", badge(readiness.overall)),
    h(
      "p",
      { class: "meta" },
      `checked ${time(readiness.checkedAt)} · ${readiness.primaryRegion} → ${readiness.secondaryRegion}`,
    ),
    h(
      "details",
      { "data-key": "readiness" },
      h("summary", {}, `${readiness.subjects.length} subjects`),
      table(
        [
          { title: "Subject", cell: (s) => s.subject },
          { title: "Kind", cell: (s) => s.kind },
          { title: "Status", cell: (s) => badge(s.status) },
          { title: "Detail", cell: (s) => s.reason },
        ],
        readiness.subjects,
      ),
    ),
    h("div", { class: "buttons" }, button),
  );
}

const SPEEDS = {
  instant: "time jumps to the next timer whenever nothing runs",
  manual: "time moves only when advanced",
  real: "wall-clock time",
};

/** Simulated milliseconds per wall millisecond of a flowing clock (`real`, `60x`); 0 when it does not flow. */
function rate(mode) {
  if (mode === "real") return 1;
  const factor = /^(\d+(?:\.\d+)?)x$/.exec(mode);
  return factor ? Number(factor[1]) : 0;
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
