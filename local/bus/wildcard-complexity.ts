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
 * here is not refused for complexity by AWS on that evidence.
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
  const machines = patterns.map(tokens);
  // A live position is `machine:index` (index = tokens matched so far, before the accepting end).
  const close = (live: Set<string>): Set<string> => {
    const out = new Set<string>();
    const stack = [...live];
    while (stack.length > 0) {
      const key = stack.pop() as string;
      if (out.has(key)) continue;
      const [m, i] = key.split(":").map(Number) as [number, number];
      const toks = machines[m] as Token[];
      if (i >= toks.length) continue; // the accepting end is not a position a value keeps alive
      out.add(key);
      if ((toks[i] as Token).star) stack.push(`${m}:${i + 1}`);
    }
    return out;
  };
  const alphabet = new Set<string>(["\u0000"]); // one character no pattern names
  for (const toks of machines) for (const t of toks) if (!t.star) alphabet.add(t.char);
  const start = close(new Set(machines.map((_, m) => `${m}:0`)));
  let worst = start.size;
  const seen = new Set<string>([[...start].sort().join(",")]);
  const queue: Set<string>[] = [start];
  while (queue.length > 0 && worst <= limit) {
    if (seen.size > MAX_EXPLORED) return limit + 1;
    const live = queue.shift() as Set<string>;
    for (const c of alphabet) {
      const next = new Set<string>();
      for (const key of live) {
        const [m, i] = key.split(":").map(Number) as [number, number];
        const t = (machines[m] as Token[])[i] as Token;
        if (t.star) next.add(key);
        else if (t.char === c) next.add(`${m}:${i + 1}`);
      }
      const closed = close(next);
      const id = [...closed].sort().join(",");
      if (closed.size === 0 || seen.has(id)) continue;
      seen.add(id);
      worst = Math.max(worst, closed.size);
      queue.push(closed);
    }
  }
  return worst;
}
