/**
 * CloudWatch statistics and the part of metric math cplane uses: arithmetic between series and
 * scalars, parentheses, `METRICS()`, arrays, and SUM/AVG/MIN/MAX/FILL/ABS.
 */

export type Series = Map<number, number>;
export type MathValue = number | Series | Series[];

export interface Sample {
  /** Epoch ms. */
  t: number;
  values: number[];
  counts: number[];
  /** Pre-aggregated sets (StatisticValues) carry these and no values. */
  stat?: { SampleCount: number; Sum: number; Minimum: number; Maximum: number };
}

export class MetricMathError extends Error {
  override name = "MetricMathError";
}

/** Computes a statistic over the samples of one period; undefined when there is no data. */
export function statistic(stat: string, samples: readonly Sample[]): number | undefined {
  let count = 0;
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  const values: [number, number][] = [];
  for (const s of samples) {
    if (s.stat) {
      count += s.stat.SampleCount;
      sum += s.stat.Sum;
      min = Math.min(min, s.stat.Minimum);
      max = Math.max(max, s.stat.Maximum);
      values.push([s.stat.Sum / Math.max(1, s.stat.SampleCount), s.stat.SampleCount]);
    }
    s.values.forEach((v, i) => {
      const c = s.counts[i] ?? 1;
      count += c;
      sum += v * c;
      min = Math.min(min, v);
      max = Math.max(max, v);
      values.push([v, c]);
    });
  }
  if (count === 0) return undefined;
  switch (stat) {
    case "SampleCount":
      return count;
    case "Sum":
      return sum;
    case "Average":
      return sum / count;
    case "Minimum":
      return min;
    case "Maximum":
      return max;
  }
  const p = stat.match(/^p(\d+(\.\d+)?)$/i);
  if (p) {
    const q = Number(p[1]) / 100;
    values.sort((a, b) => a[0] - b[0]);
    const rank = q * count;
    let seen = 0;
    for (const [v, c] of values) {
      seen += c;
      if (seen >= rank) return v;
    }
    return values[values.length - 1]?.[0];
  }
  throw new MetricMathError(`Unsupported statistic: ${stat}`);
}

type Token = { kind: "num"; value: number } | { kind: "id"; value: string } | { kind: "op"; value: string };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] ?? "";
    if (/\s/.test(c)) {
      i++;
    } else if (/[0-9.]/.test(c)) {
      const m = text.slice(i).match(/^\d*\.?\d+([eE][-+]?\d+)?/)?.[0] ?? c;
      tokens.push({ kind: "num", value: Number(m) });
      i += m.length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = text.slice(i).match(/^[A-Za-z_][A-Za-z0-9_]*/)?.[0] ?? c;
      tokens.push({ kind: "id", value: m });
      i += m.length;
    } else if ("+-*/^(),[]".includes(c)) {
      tokens.push({ kind: "op", value: c });
      i++;
    } else throw new MetricMathError(`Unexpected character "${c}" in expression "${text}"`);
  }
  return tokens;
}

function combine(a: MathValue, b: MathValue, f: (x: number, y: number) => number): MathValue {
  if (Array.isArray(a) || Array.isArray(b)) {
    if (Array.isArray(a)) return a.map((s) => combine(s, b, f) as Series);
    return (b as Series[]).map((s) => combine(a, s, f) as Series);
  }
  if (typeof a === "number" && typeof b === "number") return f(a, b);
  const out: Series = new Map();
  if (typeof a === "number") {
    for (const [t, v] of b as Series) out.set(t, f(a, v));
    return out;
  }
  if (typeof b === "number") {
    for (const [t, v] of a) out.set(t, f(v, b));
    return out;
  }
  for (const [t, v] of a) {
    const w = b.get(t);
    if (w !== undefined) out.set(t, f(v, w));
  }
  return out;
}

function across(value: MathValue, reduce: (xs: number[]) => number): MathValue {
  if (typeof value === "number") return value;
  const list = Array.isArray(value) ? value : [value];
  if (!Array.isArray(value)) {
    // A single series: the function applies per point (SUM(m1) is m1).
    return value;
  }
  const out: Series = new Map();
  const times = new Set<number>();
  for (const s of list) for (const t of s.keys()) times.add(t);
  for (const t of [...times].sort((x, y) => x - y)) {
    const xs = list.map((s) => s.get(t)).filter((v): v is number => v !== undefined);
    if (xs.length > 0) out.set(t, reduce(xs));
  }
  return out;
}

/** Evaluates `expression` with `vars` (metric ids to series). */
export function evaluate(expression: string, vars: ReadonlyMap<string, Series>): MathValue {
  const tokens = tokenize(expression);
  let pos = 0;
  const peek = () => tokens[pos];
  const expect = (value: string) => {
    const t = tokens[pos++];
    if (t?.kind !== "op" || t.value !== value)
      throw new MetricMathError(`Expected "${value}" in "${expression}"`);
  };
  const primary = (): MathValue => {
    const t = tokens[pos++];
    if (!t) throw new MetricMathError(`Unexpected end of expression "${expression}"`);
    if (t.kind === "num") return t.value;
    if (t.kind === "op" && t.value === "(") {
      const v = sum();
      expect(")");
      return v;
    }
    if (t.kind === "op" && t.value === "-") return combine(-1, primary(), (x, y) => x * y);
    if (t.kind === "op" && t.value === "[") {
      const items: Series[] = [];
      while (!(peek()?.kind === "op" && peek()?.value === "]")) {
        const v = sum();
        if (Array.isArray(v)) items.push(...v);
        else if (typeof v !== "number") items.push(v);
        if (peek()?.value === ",") pos++;
      }
      expect("]");
      return items;
    }
    if (t.kind === "id") {
      if (peek()?.kind === "op" && peek()?.value === "(") {
        pos++;
        const args: MathValue[] = [];
        while (!(peek()?.kind === "op" && peek()?.value === ")")) {
          args.push(sum());
          if (peek()?.value === ",") pos++;
        }
        expect(")");
        return call(t.value.toUpperCase(), args);
      }
      const series = vars.get(t.value);
      if (!series) throw new MetricMathError(`Unknown metric id "${t.value}" in "${expression}"`);
      return series;
    }
    throw new MetricMathError(`Unexpected "${t.value}" in "${expression}"`);
  };
  const call = (name: string, args: MathValue[]): MathValue => {
    const first = args[0] ?? 0;
    switch (name) {
      case "METRICS":
        return [...vars.values()];
      case "SUM":
        return across(first, (xs) => xs.reduce((a, b) => a + b, 0));
      case "AVG":
        return across(first, (xs) => xs.reduce((a, b) => a + b, 0) / xs.length);
      case "MIN":
        return across(first, (xs) => Math.min(...xs));
      case "MAX":
        return across(first, (xs) => Math.max(...xs));
      case "ABS":
        return combine(first, 0, (x) => Math.abs(x));
      case "FILL": {
        const fill = args[1];
        if (typeof fill !== "number") throw new MetricMathError("FILL needs a number as its second argument");
        const grid = new Set<number>();
        for (const s of vars.values()) for (const t of s.keys()) grid.add(t);
        const fillOne = (s: Series): Series => {
          const out: Series = new Map(s);
          for (const t of grid) if (!out.has(t)) out.set(t, fill);
          return new Map([...out].sort((a, b) => a[0] - b[0]));
        };
        if (typeof first === "number") return first;
        return Array.isArray(first) ? first.map(fillOne) : fillOne(first);
      }
      default:
        throw new MetricMathError(`Unsupported function ${name} in "${expression}"`);
    }
  };
  const product = (): MathValue => {
    let left = primary();
    for (;;) {
      const t = peek();
      if (t?.kind !== "op" || (t.value !== "*" && t.value !== "/")) return left;
      pos++;
      const right = primary();
      left =
        t.value === "*"
          ? combine(left, right, (x, y) => x * y)
          : combine(left, right, (x, y) => (y === 0 ? Number.NaN : x / y));
    }
  };
  const sum = (): MathValue => {
    let left = product();
    for (;;) {
      const t = peek();
      if (t?.kind !== "op" || (t.value !== "+" && t.value !== "-")) return left;
      pos++;
      const right = product();
      left = t.value === "+" ? combine(left, right, (x, y) => x + y) : combine(left, right, (x, y) => x - y);
    }
  };
  const result = sum();
  if (pos !== tokens.length)
    throw new MetricMathError(
      `Unexpected "${tokens[pos]?.kind === "op" ? tokens[pos]?.value : ""}" in "${expression}"`,
    );
  return result;
}

/** Drops NaN points (a division by zero has no datapoint in CloudWatch). */
export function finite(series: Series): Series {
  return new Map([...series].filter(([, v]) => Number.isFinite(v)));
}
