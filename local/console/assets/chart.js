// Run report charts, hand-drawn in SVG: for every measured metric of a run's decisions (canary vs
// stable per step, when the inputs are named so), a line per series over the decisions in order,
// and the threshold the decision held them to drawn in as a dashed line.

const SVG = "http://www.w3.org/2000/svg";
const el = (name, attrs = {}, parent) => {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  parent?.appendChild(node);
  return node;
};

/** `canaryErrorRatePercent` -> { metric: "errorRatePercent", series: "canary" }. */
export function seriesOf(key) {
  const prefix = /^(canary|stable|baseline)[_.-]?(.+)$/i.exec(key);
  if (prefix)
    return {
      series: prefix[1].toLowerCase(),
      metric: prefix[2].charAt(0).toLowerCase() + prefix[2].slice(1),
    };
  const suffix = /^(.+?)[_.-]?(canary|stable|baseline)$/i.exec(key);
  if (suffix) return { series: suffix[2].toLowerCase(), metric: suffix[1] };
  return { series: "value", metric: key };
}

/** Metric -> { points: [{ label, series: { canary: 0.4, stable: 0.3 }, threshold }] } from decisions. */
export function metricsOf(decisions) {
  const metrics = new Map();
  decisions.forEach((d, index) => {
    for (const [key, value] of Object.entries(d.inputs ?? {})) {
      if (typeof value !== "number") continue;
      const { series, metric } = seriesOf(key);
      if (!metrics.has(metric)) metrics.set(metric, new Map());
      const points = metrics.get(metric);
      if (!points.has(index)) {
        const threshold = d.thresholds?.[metric] ?? d.thresholds?.[key];
        points.set(index, {
          label: d.subject ?? d.name,
          outcome: d.outcome,
          series: {},
          threshold: typeof threshold === "number" ? threshold : undefined,
        });
      }
      points.get(index).series[series] = value;
    }
  });
  return [...metrics].map(([metric, points]) => ({ metric, points: [...points.values()] }));
}

const COLORS = { canary: "#d9480f", stable: "#1971c2", baseline: "#1971c2", value: "#2b8a3e" };

/** One metric's chart; `data-metric` names it, each threshold line is `line.threshold`. */
export function metricChart({ metric, points }) {
  const W = 420;
  const H = 200;
  const m = { l: 44, r: 12, t: 22, b: 44 };
  const values = points.flatMap((p) => [
    ...Object.values(p.series),
    ...(p.threshold === undefined ? [] : [p.threshold]),
  ]);
  const max = Math.max(...values, 0) * 1.15 || 1;
  const x = (i) =>
    m.l + (points.length === 1 ? (W - m.l - m.r) / 2 : (i * (W - m.l - m.r)) / (points.length - 1));
  const y = (v) => H - m.b - (v / max) * (H - m.t - m.b);
  const svg = el("svg", {
    viewBox: `0 0 ${W} ${H}`,
    class: "chart",
    "data-metric": metric,
    role: "img",
    "aria-label": `${metric} per step`,
  });
  el("text", { x: m.l, y: 14, class: "chart-title" }, svg).textContent = metric;
  for (const t of [0, 0.5, 1]) {
    const v = max * t;
    el("line", { x1: m.l, x2: W - m.r, y1: y(v), y2: y(v), class: "grid" }, svg);
    el("text", { x: m.l - 4, y: y(v) + 4, class: "tick", "text-anchor": "end" }, svg).textContent =
      v >= 100 ? v.toFixed(0) : v.toFixed(2);
  }
  points.forEach((p, i) => {
    const label = el(
      "text",
      { x: x(i), y: H - m.b + 14, class: `tick outcome-${p.outcome}`, "text-anchor": "middle" },
      svg,
    );
    label.textContent = p.label.length > 14 ? `${p.label.slice(0, 13)}…` : p.label;
    el("title", {}, label).textContent = `${p.label}: ${p.outcome}`;
  });
  // Thresholds, per step (a threshold may change between steps).
  const withThreshold = points.map((p, i) => [i, p.threshold]).filter(([, t]) => t !== undefined);
  if (withThreshold.length > 0) {
    const d = withThreshold
      .map(
        ([i, t], k) =>
          `${k === 0 ? "M" : "L"}${(x(i) - (withThreshold.length === 1 ? 30 : 0)).toFixed(1)},${y(t).toFixed(1)}${withThreshold.length === 1 ? `L${(x(i) + 30).toFixed(1)},${y(t).toFixed(1)}` : ""}`,
      )
      .join("");
    const line = el("path", { d, class: "threshold" }, svg);
    el("title", {}, line).textContent = `threshold ${withThreshold.map(([, t]) => t).join(", ")}`;
  }
  const seriesNames = [...new Set(points.flatMap((p) => Object.keys(p.series)))];
  seriesNames.forEach((name, k) => {
    const pts = points.map((p, i) => [i, p.series[name]]).filter(([, v]) => v !== undefined);
    el(
      "path",
      {
        d: pts.map(([i, v], j) => `${j === 0 ? "M" : "L"}${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(""),
        class: `series series-${name}`,
        stroke: COLORS[name] ?? "#555",
      },
      svg,
    );
    for (const [i, v] of pts)
      el(
        "title",
        {},
        el(
          "circle",
          { cx: x(i), cy: y(v), r: 3.5, fill: COLORS[name] ?? "#555", class: `point series-${name}` },
          svg,
        ),
      ).textContent = `${name} ${v}`;
    const lx = m.l + k * 90;
    el("rect", { x: lx, y: H - 14, width: 10, height: 3, fill: COLORS[name] ?? "#555" }, svg);
    el("text", { x: lx + 14, y: H - 10, class: "tick" }, svg).textContent = name;
  });
  if (withThreshold.length > 0) {
    const lx = m.l + seriesNames.length * 90;
    el("line", { x1: lx, x2: lx + 12, y1: H - 12, y2: H - 12, class: "threshold" }, svg);
    el("text", { x: lx + 16, y: H - 10, class: "tick" }, svg).textContent = "threshold";
  }
  return svg;
}
