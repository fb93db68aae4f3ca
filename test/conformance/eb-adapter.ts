/**
 * Adapter for ../shared/conformance/run-eb-cases.mjs: the local bus's pattern matcher, as
 * TestEventPattern answers (invalid patterns throw InvalidEventPatternException, invalid events
 * ValidationException), and the indexed rule set over the same matcher.
 */
import { testEventPattern } from "../../local/bus/pattern.ts";
import { createRuleSet as createIndexedRuleSet, type RuleSet } from "../../local/bus/ruleset.ts";

export function matches(pattern: unknown, event: unknown): boolean {
  return testEventPattern(pattern, event);
}

export function createRuleSet(patternsById: Readonly<Record<string, unknown>>): RuleSet<string> {
  return createIndexedRuleSet(patternsById);
}
