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

/**
 * The threshold a decision holds `metric` to, and whether it is a ceiling or a floor: named as the
 * metric (or its input), as its gate (`maxP99Ms`, `minRequests`), as the most it may fall below the
 * stable (baseline) value (`maxBusinessSuccessDropPoints`: a floor at stable minus the drop), or as
 * the decision's only gate in the metric's unit (`restoreSeconds` held to `rtoSeconds`).
 */
export function thresholdOf(decision, metric, key) {
  const gates = decision.thresholds ?? {};
  const cap = metric.charAt(0).toUpperCase() + metric.slice(1);
  for (const [name, kind] of [
    [metric, "limit"],
    [key, "limit"],
    [`max${cap}`, "max"],
    [`min${cap}`, "min"],
  ]) {
    if (typeof gates[name] === "number") return { value: gates[name], kind };
  }
  const drop = gates[`max${cap.replace(/Percent$/, "")}DropPoints`];
  const reference = decision.inputs?.[`stable${cap}`] ?? decision.inputs?.[`baseline${cap}`];
  if (typeof drop === "number" && typeof reference === "number")
    return { value: Math.round((reference - drop) * 1000) / 1000, kind: "min" };
  // The one gate in the metric's unit (restoreSeconds against rtoSeconds: the RTO budget).
  const unit = /(Seconds|Minutes|Hours|Ms|Percent|Bytes)$/.exec(metric)?.[1];
  const sameUnit = unit
    ? Object.entries(gates).filter(([name, value]) => name.endsWith(unit) && typeof value === "number")
    : [];
  if (sameUnit.length === 1) return { value: sameUnit[0][1], kind: "limit" };
  return undefined;
}

/** Metric -> { points: [{ label, series: { canary: 0.4, stable: 0.3 }, threshold, thresholdKind }] } from decisions. */
export function metricsOf(decisions) {
  const metrics = new Map();
  decisions.forEach((d, index) => {
    for (const [key, value] of Object.entries(d.inputs ?? {})) {
      if (typeof value !== "number") continue;
      const { series, metric } = seriesOf(key);
      if (!metrics.has(metric)) metrics.set(metric, new Map());
      const points = metrics.get(metric);
      if (!points.has(index)) {
        const threshold = thresholdOf(d, metric, key);
        points.set(index, {
          decision: d,
          outcome: d.outcome,
          series: {},
          threshold: threshold?.value,
          thresholdKind: threshold?.kind,
        });
      }
      points.get(index).series[series] = value;
    }
  });
  return [...metrics].map(([metric, byIndex]) => {
    const points = [...byIndex.values()];
    // A point is labelled by what tells the metric's decisions apart: the subject (10%, a tenant), or
    // the name (stage-2-25pct) when every subject is the same, or both.
    const distinct = (f) => new Set(points.map((p) => f(p.decision))).size === points.length;
    const label = distinct((d) => d.subject ?? d.name)
      ? (d) => d.subject ?? d.name
      : distinct((d) => d.name)
        ? (d) => d.name
        : (d) => `${d.name} ${d.subject ?? ""}`.trim();
    return {
      metric,
      points: points.map(({ decision, ...point }) => ({ label: label(decision), ...point })),
    };
  });
}

/**
 * The value axis: from zero, unless every value sits far from it (a success rate of 97-99 %), where
 * a zero-based axis would flatten the gap between canary, stable and the floor they are held to.
 */
export function axis(values) {
  const hi = Math.max(...values, 0);
  const lo = Math.min(...values, hi);
  if (hi <= 0) return { min: 0, max: 1 };
  if (lo <= hi / 2) return { min: 0, max: hi * 1.15 };
  const pad = Math.max((hi - lo) * 0.3, hi * 0.005);
  return { min: Math.max(0, lo - pad), max: hi + pad };
}

const COLORS = { canary: "#d9480f", stable: "#1971c2", baseline: "#1971c2", value: "#2b8a3e" };

/** One metric's chart; `data-metric` names it, each threshold line is `line.threshold`. */
export function metricChart({ metric, points }) {
  const W = 420;
  const H = 200;
  // Room either side for a centred stage label (`stage-3-50pct`) under the first and last points.
  const m = { l: 44, r: 40, t: 22, b: 44 };
  const values = points.flatMap((p) => [
    ...Object.values(p.series),
    ...(p.threshold === undefined ? [] : [p.threshold]),
  ]);
  const { min, max } = axis(values);
  const x = (i) =>
    m.l + (points.length === 1 ? (W - m.l - m.r) / 2 : (i * (W - m.l - m.r)) / (points.length - 1));
  const y = (v) => H - m.b - ((v - min) / (max - min)) * (H - m.t - m.b);
  const svg = el("svg", {
    viewBox: `0 0 ${W} ${H}`,
    class: "chart",
    "data-metric": metric,
    role: "img",
    "aria-label": `${metric} per step`,
  });
  el("text", { x: m.l, y: 14, class: "chart-title" }, svg).textContent = metric;
  for (const t of [0, 0.5, 1]) {
    const v = min + (max - min) * t;
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
  // Thresholds, per point (a budget per tenant, a floor that follows stable): a step line, each point's
  // threshold level across its half of the gaps either side, never a slope between two decisions.
  const withThreshold = points.map((p, i) => [i, p.threshold]).filter(([, t]) => t !== undefined);
  const kind = points.find((p) => p.thresholdKind)?.thresholdKind ?? "limit";
  const thresholdName = kind === "limit" ? "threshold" : `${kind} allowed`;
  if (withThreshold.length > 0) {
    const half = points.length === 1 ? 30 : (x(1) - x(0)) / 2;
    const left = (i) => Math.max(m.l, x(i) - half).toFixed(1);
    const right = (i) => Math.min(W - m.r, x(i) + half).toFixed(1);
    const d = withThreshold
      .map(([i, t], k) => {
        const joined = k > 0 && withThreshold[k - 1][0] === i - 1;
        return `${joined ? `V${y(t).toFixed(1)}` : `M${left(i)},${y(t).toFixed(1)}`}H${right(i)}`;
      })
      .join("");
    const line = el("path", { d, class: "threshold", "data-kind": kind }, svg);
    el("title", {}, line).textContent = `${thresholdName} ${withThreshold.map(([, t]) => t).join(", ")}`;
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
    el("text", { x: lx + 16, y: H - 10, class: "tick" }, svg).textContent = thresholdName;
  }
  return svg;
}
