// A state machine's graph, laid out from its ASL definition by dagre (loaded as window.dagre):
// one layered layout per level, Parallel branches and a Map's item processor laid out first and
// drawn nested inside their state's box. Drawn as SVG; each state is a <g data-state="Name">.

const SVG = "http://www.w3.org/2000/svg";
const CHAR = 7.2;
const NODE_H = 40;
const PAD = 14;
const HEADER = 26;

function el(name, attrs = {}, parent) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  parent?.appendChild(node);
  return node;
}

/** Where a state can go next, and how: `next`, `choice`, `default`, `catch`. */
function transitions(state) {
  const out = [];
  if (state.Next) out.push({ to: state.Next, kind: "next" });
  for (const choice of state.Choices ?? []) if (choice.Next) out.push({ to: choice.Next, kind: "choice" });
  if (state.Default) out.push({ to: state.Default, kind: "default" });
  for (const c of state.Catch ?? [])
    out.push({ to: c.Next, kind: "catch", label: c.ErrorEquals?.join(", ") });
  if (state.End || state.Type === "Succeed" || state.Type === "Fail") out.push({ to: "__end", kind: "next" });
  return out;
}

function subMachines(state) {
  if (state.Type === "Parallel") return state.Branches ?? [];
  if (state.Type === "Map") {
    const processor = state.ItemProcessor ?? state.Iterator;
    return processor ? [processor] : [];
  }
  return [];
}

/** Lays out one level (a machine, a branch); nested levels first, as boxes of their size. */
export function layout(machine) {
  const g = new window.dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: "TB", nodesep: 24, ranksep: 34, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  const nested = new Map();
  g.setNode("__start", { width: 14, height: 14, kind: "terminal" });
  g.setNode("__end", { width: 14, height: 14, kind: "terminal" });
  for (const [name, state] of Object.entries(machine.States ?? {})) {
    const children = subMachines(state).map(layout);
    const label = Math.max(name.length, state.Type.length + 2) * CHAR + 28;
    if (children.length > 0) {
      nested.set(name, children);
      const width = children.reduce((sum, c) => sum + c.width, 0) + PAD * (children.length + 1);
      const height = Math.max(...children.map((c) => c.height)) + HEADER + PAD;
      g.setNode(name, { width: Math.max(width, label), height, state, children });
    } else {
      g.setNode(name, { width: Math.max(label, 130), height: NODE_H, state });
    }
  }
  g.setEdge("__start", machine.StartAt, { kind: "next" }, "start");
  for (const [name, state] of Object.entries(machine.States ?? {})) {
    transitions(state).forEach((t, i) => {
      // The happy path pulls its states into a straight column; failure paths may bend around it.
      const weight = t.kind === "next" ? 2 : 1;
      if (g.hasNode(t.to)) g.setEdge(name, t.to, { kind: t.kind, label: t.label, weight }, `${name}-${i}`);
    });
  }
  window.dagre.layout(g);
  const graph = g.graph();
  return {
    width: graph.width,
    height: graph.height,
    nodes: g.nodes().map((id) => ({ id, ...g.node(id) })),
    edges: g.edges().map((e) => ({ from: e.v, to: e.w, ...g.edge(e) })),
  };
}

function drawLevel(level, parent, depth) {
  for (const edge of level.edges) {
    const d = edge.points.map((p, i) => `${i === 0 ? "M" : "L"}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join("");
    const path = el("path", { d, class: `edge edge-${edge.kind}`, "marker-end": "url(#arrow)" }, parent);
    if (edge.label) el("title", {}, path).textContent = `Catch ${edge.label}`;
  }
  for (const node of level.nodes) {
    const x = node.x - node.width / 2;
    const y = node.y - node.height / 2;
    if (node.kind === "terminal") {
      el(
        "circle",
        { cx: node.x, cy: node.y, r: 7, class: depth === 0 ? "terminal" : "terminal inner" },
        parent,
      );
      continue;
    }
    const g = el(
      "g",
      { class: "state", "data-state": node.id, "data-type": node.state.Type, tabindex: 0 },
      parent,
    );
    el("title", {}, g).textContent =
      `${node.id} (${node.state.Type})${node.state.Comment ? `\n${node.state.Comment}` : ""}`;
    el("rect", { x, y, width: node.width, height: node.height, rx: 6, class: "box" }, g);
    if (node.children) {
      const label = el("text", { x: x + 10, y: y + 17, class: "label container" }, g);
      label.textContent = `${node.id} · ${node.state.Type}`;
      let cx =
        x +
        (node.width - node.children.reduce((s, c) => s + c.width, 0) - PAD * (node.children.length - 1)) / 2;
      for (const child of node.children) {
        const inner = el(
          "g",
          { transform: `translate(${cx.toFixed(1)},${(y + HEADER).toFixed(1)})`, class: "branch" },
          g,
        );
        el(
          "rect",
          { x: 0, y: 0, width: child.width, height: child.height, rx: 4, class: "branch-box" },
          inner,
        );
        drawLevel(child, inner, depth + 1);
        cx += child.width + PAD;
      }
    } else {
      const label = el("text", { x: node.x, y: node.y - 3, class: "label", "text-anchor": "middle" }, g);
      label.textContent = node.id;
      const type = el("text", { x: node.x, y: node.y + 12, class: "type", "text-anchor": "middle" }, g);
      type.textContent = node.state.Type;
    }
  }
}

/** The SVG of a definition; its states are `g.state[data-state]`, ready for status classes. */
export function drawGraph(definition) {
  const level = layout(definition);
  const svg = el("svg", {
    class: "graph",
    viewBox: `0 0 ${Math.ceil(level.width)} ${Math.ceil(level.height)}`,
    width: Math.ceil(level.width),
    role: "img",
    "aria-label": "state machine graph",
  });
  const defs = el("defs", {}, svg);
  const marker = el(
    "marker",
    {
      id: "arrow",
      viewBox: "0 0 10 10",
      refX: 9,
      refY: 5,
      markerWidth: 7,
      markerHeight: 7,
      orient: "auto-start-reverse",
    },
    defs,
  );
  el("path", { d: "M0,0L10,5L0,10z", class: "arrowhead" }, marker);
  drawLevel(level, svg, 0);
  return svg;
}

/**
 * The graph in its scrolling frame, fitted to the frame's width at first; a large one (a failover's
 * 95 states) is read at its own size, scrolled within the frame, with "Actual size".
 */
export function graphFrame(svg) {
  const frame = document.createElement("div");
  frame.className = "graph-scroll";
  frame.append(svg);
  const toggle = document.createElement("button");
  toggle.type = "button";
  toggle.className = "graph-zoom";
  toggle.textContent = "Actual size";
  toggle.addEventListener("click", () => {
    const actual = frame.classList.toggle("actual");
    toggle.textContent = actual ? "Fit" : "Actual size";
  });
  const wrap = document.createElement("div");
  wrap.className = "graph-frame";
  wrap.append(toggle, frame);
  return wrap;
}

/** Every state name of a definition, nested ones included. */
export function stateNames(definition) {
  const out = [];
  for (const [name, state] of Object.entries(definition.States ?? {})) {
    out.push(name);
    for (const sub of subMachines(state)) out.push(...stateNames(sub));
  }
  return out;
}

/** Every state of a definition by name, nested ones included. */
export function statesByName(definition, into = new Map()) {
  for (const [name, state] of Object.entries(definition.States ?? {})) {
    into.set(name, state);
    for (const sub of subMachines(state)) statesByName(sub, into);
  }
  return into;
}
