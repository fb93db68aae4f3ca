/**
 * Event-pattern matching throughput: events per second through `createRuleSet` with 10, 1,000 and
 * 10,000 rules, side by side with the matcher inside serverless-offline-aws-eventbridge (the only
 * other npm matcher that installs here), which tests each subscriber's pattern in turn.
 *
 * The rules mix what real rule sets hold: exact source/detail-type with a per-tenant field, prefixes,
 * numeric ranges and anything-but (only features the plugin supports, so both do the same work).
 * Each matcher gets the same events; the run also checks how often the two agree.
 *
 * Run: node bench/bus.bench.ts (or `npm run bench -- bus`). Goal: >= 100,000 events/s at 10,000 rules.
 */
import { createRequire } from "node:module";
import { createRuleSet } from "../local/bus/ruleset.ts";

interface PluginEntry {
  EventBusName: string;
  Source: string;
  DetailType: string;
  Detail: string;
}
interface PluginSubscriber {
  event: { pattern: Record<string, unknown> };
  functionKey: string;
}
interface PluginMatcher {
  logDebug(): void;
  eventBuses: Record<string, unknown>;
  verifyIsSubscribed(subscriber: PluginSubscriber, entry: PluginEntry): boolean;
}

function loadPlugin(): PluginMatcher {
  const require = createRequire(import.meta.url);
  const loaded = require("serverless-offline-aws-eventbridge") as {
    default?: { prototype: object };
    prototype?: object;
  };
  const proto = loaded.default?.prototype ?? loaded.prototype;
  if (!proto) throw new Error("serverless-offline-aws-eventbridge has no plugin class");
  const plugin = Object.create(proto) as PluginMatcher;
  plugin.logDebug = () => undefined;
  plugin.eventBuses = {};
  return plugin;
}

/** A small deterministic PRNG so both matchers see the same rules and events in every run. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SOURCES = 20;
const TYPES = 10;
/** Rule i's detail-type; events aimed at rule i carry it 70% of the time. */
const typeOf = (i: number) => (i * 7919) % TYPES;

function makeRules(count: number, random: () => number): Record<string, Record<string, unknown>> {
  const rules: Record<string, Record<string, unknown>> = {};
  for (let i = 0; i < count; i++) {
    const source = `cplane.s${i % SOURCES}`;
    const type = `Type ${typeOf(i)}`;
    const kind = random();
    let pattern: Record<string, unknown>;
    if (kind < 0.7) {
      pattern = { source: [source], "detail-type": [type], detail: { tenantId: [`t-${i}`] } };
    } else if (kind < 0.8) {
      pattern = { source: [source], detail: { ref: [{ prefix: `refs/heads/team-${i}/` }] } };
    } else if (kind < 0.9) {
      const low = Math.floor(random() * 1000);
      pattern = {
        source: [source],
        "detail-type": [type],
        detail: { tenantId: [`t-${i}`], count: [{ numeric: [">=", low, "<", low + 100] }] },
      };
    } else {
      pattern = {
        source: [source],
        "detail-type": [type],
        detail: { tenantId: [`t-${i}`], state: [{ "anything-but": ["deleted", "suspended"] }] },
      };
    }
    rules[`rule-${i}`] = pattern;
  }
  return rules;
}

interface Event {
  source: string;
  "detail-type": string;
  detail: Record<string, unknown>;
}

function makeEvents(count: number, rules: number, random: () => number): Event[] {
  const events: Event[] = [];
  for (let n = 0; n < count; n++) {
    const i = Math.floor(random() * rules);
    events.push({
      source: `cplane.s${i % SOURCES}`,
      "detail-type": `Type ${random() < 0.7 ? typeOf(i) : Math.floor(random() * TYPES)}`,
      detail: {
        tenantId: `t-${i}`,
        ref: random() < 0.3 ? `refs/heads/team-${i}/feature` : "refs/heads/main",
        count: Math.floor(random() * 1200),
        state: random() < 0.2 ? "deleted" : "active",
        payload: { note: "x".repeat(64), items: [1, 2, 3] },
      },
    });
  }
  return events;
}

function toEntry(event: Event): PluginEntry {
  return {
    EventBusName: "cplane",
    Source: event.source,
    DetailType: event["detail-type"],
    Detail: JSON.stringify(event.detail),
  };
}

/** Runs `fn` over the events for at least `minMs`, returning events per second. */
function throughput(events: readonly unknown[], fn: (event: unknown) => unknown, minMs: number): number {
  let done = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minMs) {
    for (const event of events) {
      fn(event);
      done++;
      if ((done & 63) === 0 && performance.now() - start > minMs * 3) break;
    }
    elapsed = performance.now() - start;
  }
  return (done / elapsed) * 1000;
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US").padStart(11);

const plugin = loadPlugin();
console.log("rules    cplane events/s   plugin events/s      ratio   agree   matches/event   build ms");
for (const size of [10, 1_000, 10_000]) {
  const random = prng(size);
  const rules = makeRules(size, random);
  const events = makeEvents(2_000, size, random);
  const buildStart = performance.now();
  const ruleSet = createRuleSet(rules);
  const buildMs = performance.now() - buildStart;
  const subscribers: PluginSubscriber[] = Object.entries(rules).map(([id, pattern]) => ({
    event: { pattern },
    functionKey: id,
  }));
  const entries = events.map(toEntry);
  const pluginMatch = (entry: unknown) =>
    subscribers.filter((s) => plugin.verifyIsSubscribed(s, entry as PluginEntry)).map((s) => s.functionKey);

  // Warm up, and compare answers on a sample.
  let agree = 0;
  let matched = 0;
  const sample = Math.min(200, Math.max(20, Math.floor(2_000_000 / (size * 40))));
  for (let i = 0; i < sample; i++) {
    const ours = ruleSet.match(events[i]);
    const theirs = pluginMatch(entries[i]);
    matched += ours.length;
    if (ours.length === theirs.length && ours.every((id, k) => id === theirs[k])) agree++;
  }
  const ourRate = throughput(events, (e) => ruleSet.match(e), 1000);
  const pluginEvents = entries.slice(0, Math.max(10, Math.min(entries.length, Math.floor(200_000 / size))));
  const pluginRate = throughput(pluginEvents, pluginMatch, size >= 10_000 ? 3000 : 1500);
  console.log(
    `${String(size).padStart(6)} ${fmt(ourRate)}      ${fmt(pluginRate)}   ${(ourRate / pluginRate).toFixed(0).padStart(7)}x  ${((100 * agree) / sample).toFixed(0).padStart(4)}%   ${(matched / sample).toFixed(2).padStart(13)}   ${buildMs.toFixed(0).padStart(8)}`,
  );
}
