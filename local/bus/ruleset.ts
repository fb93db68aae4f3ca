/**
 * Many compiled patterns, indexed so that matching an event costs far less than testing every rule.
 *
 * Each alternative of each pattern is filed under one "anchor" condition: an exact value, an
 * `equals-ignore-case` value or a prefix on some path, choosing the path whose values are most
 * varied across the rule set (so that an event's value there selects few candidates). Matching
 * flattens only the paths the rules read, looks up the candidates through the anchors' hash maps,
 * and verifies each candidate's remaining conditions. Alternatives with nothing to anchor on
 * (only numeric, anything-but, exists, suffix, wildcard or cidr conditions) are verified directly.
 */
import {
  type Alternative,
  type CompiledPattern,
  compilePattern,
  conditionHolds,
  type FieldCondition,
  type FlatEvent,
  flattenEvent,
  type Leaf,
  pathsWithPrefixes,
} from "./pattern.ts";

interface Entry {
  readonly ruleIndex: number;
  readonly alternative: Alternative;
  /** The anchor condition, already known to hold when the entry is reached through the index. */
  readonly anchor: FieldCondition | undefined;
}

interface PathIndex {
  exact: Map<string, Entry[]>;
  ignoreCase: Map<string, Entry[]>;
  /** prefix -> entries, with the set of prefix lengths to probe. */
  prefix: Map<string, Entry[]>;
  prefixIgnoreCase: Map<string, Entry[]>;
  prefixLengths: number[];
  prefixIgnoreCaseLengths: number[];
}

export interface RuleSet<Id extends string = string> {
  /** Ids of the rules whose pattern matches, in the order they were added. */
  match(event: unknown): Id[];
  readonly size: number;
}

/** A leaf's key in the exact-value maps: type-tagged so that `"1"` and `1` differ. */
export function leafKey(value: Leaf): string {
  if (typeof value === "string") return `s${value}`;
  if (typeof value === "number") return `n${value}`;
  return String(value);
}

type Anchorable = { kind: "exact" | "ignoreCase" | "prefix" | "prefixIgnoreCase"; keys: string[] };

function anchorable(condition: FieldCondition): Anchorable | undefined {
  if (condition.matchesAbsent || condition.matchers.length === 0) return undefined;
  const first = condition.matchers[0];
  if (!first) return undefined;
  const kinds = new Set(condition.matchers.map((m) => (m.kind === "prefix" && m.ignoreCase ? "pi" : m.kind)));
  if (kinds.size !== 1) return undefined;
  if (first.kind === "exact") {
    return { kind: "exact", keys: condition.matchers.map((m) => leafKey(m.value ?? null)) };
  }
  if (first.kind === "equals-ignore-case") {
    return { kind: "ignoreCase", keys: condition.matchers.map((m) => String(m.value)) };
  }
  if (first.kind === "prefix") {
    return {
      kind: first.ignoreCase ? "prefixIgnoreCase" : "prefix",
      keys: condition.matchers.map((m) => String(m.value)),
    };
  }
  return undefined;
}

/** Builds a rule set from `id -> pattern`; every pattern is validated and compiled once. */
export function createRuleSet<Id extends string>(
  patternsById: Readonly<Record<Id, unknown>> | ReadonlyMap<Id, unknown>,
): RuleSet<Id> {
  const entriesIn: [Id, unknown][] =
    patternsById instanceof Map ? [...patternsById] : (Object.entries(patternsById) as [Id, unknown][]);
  const ids = entriesIn.map(([id]) => id);
  const compiled: CompiledPattern[] = entriesIn.map(([, pattern]) => compilePattern(pattern));

  // How varied each path's anchorable values are across the rule set.
  const distinct = new Map<string, Set<string>>();
  for (const pattern of compiled) {
    for (const alternative of pattern.alternatives) {
      for (const condition of alternative) {
        const a = anchorable(condition);
        if (!a) continue;
        let set = distinct.get(condition.path);
        if (!set) {
          set = new Set();
          distinct.set(condition.path, set);
        }
        for (const key of a.keys) set.add(`${a.kind}:${key}`);
      }
    }
  }

  const index = new Map<string, PathIndex>();
  const unanchored: Entry[] = [];
  const allPaths = new Set<string>();
  compiled.forEach((pattern, ruleIndex) => {
    for (const path of pattern.paths) allPaths.add(path);
    for (const alternative of pattern.alternatives) {
      let best: { condition: FieldCondition; a: Anchorable; score: number } | undefined;
      for (const condition of alternative) {
        const a = anchorable(condition);
        if (!a) continue;
        const kindWeight = a.kind === "exact" ? 1 : a.kind === "ignoreCase" ? 0.9 : 0.5;
        const score = ((distinct.get(condition.path)?.size ?? 1) * kindWeight) / a.keys.length;
        if (!best || score > best.score) best = { condition, a, score };
      }
      if (!best) {
        unanchored.push({ ruleIndex, alternative, anchor: undefined });
        continue;
      }
      const entry: Entry = {
        ruleIndex,
        alternative: alternative.filter((c) => c !== best.condition),
        anchor: best.condition,
      };
      let pathIndex = index.get(best.condition.path);
      if (!pathIndex) {
        pathIndex = {
          exact: new Map(),
          ignoreCase: new Map(),
          prefix: new Map(),
          prefixIgnoreCase: new Map(),
          prefixLengths: [],
          prefixIgnoreCaseLengths: [],
        };
        index.set(best.condition.path, pathIndex);
      }
      const map = pathIndex[best.a.kind];
      for (const key of new Set(best.a.keys)) {
        const list = map.get(key);
        if (list) list.push(entry);
        else map.set(key, [entry]);
        if (best.a.kind === "prefix" && !pathIndex.prefixLengths.includes(key.length)) {
          pathIndex.prefixLengths.push(key.length);
        }
        if (best.a.kind === "prefixIgnoreCase" && !pathIndex.prefixIgnoreCaseLengths.includes(key.length)) {
          pathIndex.prefixIgnoreCaseLengths.push(key.length);
        }
      }
    }
  });
  const wanted = pathsWithPrefixes(allPaths);
  const indexed = [...index];
  const stamps = new Int32Array(ids.length);
  let stamp = 0;

  const verify = (entry: Entry, flat: FlatEvent): boolean => {
    for (const condition of entry.alternative) {
      if (!conditionHolds(condition, flat.get(condition.path))) return false;
    }
    return true;
  };

  return {
    size: ids.length,
    match(event: unknown): Id[] {
      const flat = flattenEvent(event, wanted);
      // A stamp per rule instead of a fresh set per event: rule i matched this event when stamps[i] === stamp.
      stamp++;
      if (stamp === 0x7fffffff) {
        stamps.fill(0);
        stamp = 1;
      }
      const hits: number[] = [];
      const consider = (list: Entry[] | undefined): void => {
        if (!list) return;
        for (const entry of list) {
          if (stamps[entry.ruleIndex] === stamp) continue;
          if (verify(entry, flat)) {
            stamps[entry.ruleIndex] = stamp;
            hits.push(entry.ruleIndex);
          }
        }
      };
      for (const [path, pathIndex] of indexed) {
        const values = flat.get(path);
        if (!values) continue;
        for (const value of values) {
          consider(pathIndex.exact.get(leafKey(value)));
          if (typeof value !== "string") continue;
          if (pathIndex.ignoreCase.size > 0) consider(pathIndex.ignoreCase.get(value.toLowerCase()));
          for (const length of pathIndex.prefixLengths) {
            if (length <= value.length) consider(pathIndex.prefix.get(value.slice(0, length)));
          }
          if (pathIndex.prefixIgnoreCaseLengths.length > 0) {
            const lower = value.toLowerCase();
            for (const length of pathIndex.prefixIgnoreCaseLengths) {
              if (length <= lower.length) consider(pathIndex.prefixIgnoreCase.get(lower.slice(0, length)));
            }
          }
        }
      }
      consider(unanchored);
      if (hits.length > 1) hits.sort((a, b) => a - b);
      return hits.map((i) => ids[i] as Id);
    },
  };
}
