/**
 * EventBridge refuses a rule whose wildcard patterns are too complex to match quickly ("If a rule is
 * too complex, EventBridge returns an InvalidEventPatternException", User Guide, "Wildcard matching"
 * > "wildcards and event pattern complexity"), with the message "Rule is too complex - try using
 * fewer wildcard characters or fewer repeating character sequences after a wildcard character".
 *
 * EventBridge matches with event-ruler, whose MachineComplexityEvaluator measures a field's
 * complexity as the largest number of wildcard-pattern positions a single input value can keep alive
 * at once. That is what is computed here, per field, over every wildcard of the pattern (plain and
 * inside anything-but, across `$or` branches): each pattern is a small automaton whose positions
 * after a `*` stay alive, and the reachable sets of live positions are explored for the worst input.
 * AWS does not publish the limit. MAX_WILDCARD_COMPLEXITY is set from a refusal reported in public:
 * three `*:stack/<name>/*` patterns on one field were accepted (12 live positions at worst, after
 * `:stack/a/:stack/b/:stack/c/:stack/`), four were refused (16) (vals-ai/Valkyrie, pull request 278).
 * A value of 13 to 15 would agree with that too; 12 is the strictest that does, so a rule accepted
 * here is not refused for complexity by AWS on that evidence. A second public report agrees: four S3
 * key wildcards of the form "any folder, then datasync/, then any name ending .<ext>" on one field
 * were refused (20 here) and two accepted (10), while four "any name ending .<ext>" stayed in one rule
 * (12) (a Terraform configuration's comment; the test spells the patterns out).
 */
export const MAX_WILDCARD_COMPLEXITY = 12;

/** Explored sets of live positions beyond which a field counts as too complex. */
const MAX_EXPLORED = 5_000;

type Token = { readonly star: true } | { readonly star: false; readonly char: string };

function tokens(pattern: string): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === "\\" && i + 1 < pattern.length) {
      out.push({ star: false, char: pattern[++i] as string });
    } else out.push(c === "*" ? { star: true } : { star: false, char: c });
  }
  return out;
}

/**
 * The worst number of live positions over all inputs, for these wildcard patterns of one field;
 * stops counting once it passes `limit`.
 */
export function wildcardComplexity(patterns: readonly string[], limit = MAX_WILDCARD_COMPLEXITY): number {
  // Every pattern's positions get one global number; the accepting end of a pattern is not a position
  // a value keeps alive, so it is left out.
  const star: boolean[] = [];
  const char: string[] = [];
  const next: number[] = []; // the position after this one in its pattern, -1 at the end
  const starts: number[] = [];
  for (const pattern of patterns) {
    const toks = tokens(pattern);
    const base = star.length;
    starts.push(toks.length > 0 ? base : -1);
    toks.forEach((t, i) => {
      star.push(t.star);
      char.push(t.star ? "" : t.char);
      next.push(i + 1 < toks.length ? base + i + 1 : -1);
    });
  }
  const total = star.length;
  const live = new Uint8Array(total);
  const mark = (g: number): void => {
    // A `*` can match nothing: marking it marks what follows it too.
    for (let p = g; p >= 0 && live[p] === 0; p = star[p] ? (next[p] as number) : -1) live[p] = 1;
  };
  const collect = (): number[] => {
    const out: number[] = [];
    for (let g = 0; g < total; g++) if (live[g] === 1) out.push(g);
    live.fill(0);
    return out;
  };
  for (const g of starts) if (g >= 0) mark(g);
  const start = collect();
  const alphabet = new Set<string>(["\u0000"]); // one character no pattern names
  for (const c of char) if (c !== "") alphabet.add(c);
  let worst = start.length;
  const seen = new Set<string>([start.join(",")]);
  const queue: number[][] = [start];
  for (let head = 0; head < queue.length && worst <= limit; head++) {
    if (seen.size > MAX_EXPLORED) return limit + 1;
    const set = queue[head] as number[];
    for (const c of alphabet) {
      for (const g of set) {
        if (star[g]) mark(g);
        else if (char[g] === c && (next[g] as number) >= 0) mark(next[g] as number);
      }
      const reached = collect();
      if (reached.length === 0) continue;
      const id = reached.join(",");
      if (seen.has(id)) continue;
      seen.add(id);
      worst = Math.max(worst, reached.length);
      queue.push(reached);
    }
  }
  return worst;
}
