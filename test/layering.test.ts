/**
 * The import rules that keep the layers apart, checked on the source files themselves so that they
 * stay true: contracts, handlers and workflows know nothing of the local runtime; the engine knows no
 * workflow; the local runtime shares deploy/ with stacks/ instead of reaching into it; events/ holds
 * contracts that never load the AWS SDK. Workflow names and function ids are typed from their
 * catalogs: the `@ts-expect-error` lines below fail `npm run typecheck` if a misspelling type-checks.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { describe, expect, it } from "vitest";
import type { WorkflowName } from "../events/workflows.ts";
import { type CatalogFunctionId, functionCatalog } from "../functions/catalog.ts";
import { workflowCatalog } from "../workflows/catalog.ts";

const ROOT = join(import.meta.dirname, "..");
const LAYERS = ["events", "functions", "workflows", "deploy", "local", "stacks"];
const SUBPATHS = (
  JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { imports: Record<string, string> }
).imports;

interface Rule {
  readonly from: readonly string[];
  readonly forbid: readonly string[];
  readonly why: string;
}

const RULES: readonly Rule[] = [
  {
    from: ["events/", "functions/", "workflows/", "deploy/"],
    forbid: ["local/"],
    why: "what runs on AWS never depends on the local runtime",
  },
  { from: ["local/engine/"], forbid: ["workflows/"], why: "the engine runs any state machine, not ours" },
  {
    from: ["local/", "events/", "functions/", "workflows/", "deploy/"],
    forbid: ["stacks/"],
    why: "stacks/ is the AWS side only; what both runtimes need is in deploy/",
  },
  { from: ["events/"], forbid: ["workflows/"], why: "workflows/ imports the contracts in events/" },
];

/** Contracts may use pure helpers from functions/, but nothing they load may call AWS. */
const CONTRACT_FORBIDS_REACHING = ["@aws-sdk/", "functions/shared/aws-clients.ts"];

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".ts") && !file.endsWith(".d.ts"))
    .map((file) => join(dir, file));
}

/** Module specifiers a file imports or re-exports, statically or dynamically; comments ignored. */
function specifiers(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const found = [
    ...code.matchAll(/\bfrom\s*["']([^"']+)["']/g),
    ...code.matchAll(/\bimport\s*\(?\s*["']([^"']+)["']/g),
  ];
  return found.map((match) => match[1] as string);
}

/** A specifier as a path from the project root (`local/bus/index.ts`), or the package name it loads. */
function resolveSpecifier(file: string, specifier: string): string {
  if (specifier.startsWith(".")) return normalize(join(dirname(file), specifier));
  if (specifier.startsWith("#")) {
    for (const [pattern, target] of Object.entries(SUBPATHS)) {
      const prefix = pattern.replace("*", "");
      if (specifier.startsWith(prefix)) return normalize(target.replace("*", specifier.slice(prefix.length)));
    }
  }
  return specifier;
}

/** Every import that breaks a rule, as `file -> target (why)`. */
function violations(files: ReadonlyMap<string, string>): string[] {
  const found: string[] = [];
  const graph = new Map<string, string[]>();
  for (const [file, text] of files) {
    const targets = specifiers(text).map((s) => resolveSpecifier(file, s));
    graph.set(file, targets);
    for (const rule of RULES) {
      if (!rule.from.some((layer) => file.startsWith(layer))) continue;
      for (const target of targets)
        if (rule.forbid.some((layer) => target.startsWith(layer)))
          found.push(`${file} -> ${target} (${rule.why})`);
    }
  }
  for (const file of files.keys()) {
    if (!file.startsWith("events/")) continue;
    const seen = new Set<string>([file]);
    const queue = [file];
    while (queue.length > 0) {
      const current = queue.shift() as string;
      for (const target of graph.get(current) ?? []) {
        if (CONTRACT_FORBIDS_REACHING.some((bad) => target.startsWith(bad)))
          found.push(`${file} reaches ${target} through ${current} (contracts never call AWS)`);
        else if (graph.has(target) && !seen.has(target)) {
          seen.add(target);
          queue.push(target);
        }
      }
    }
  }
  return found;
}

describe("layering", () => {
  it("holds for every source file", () => {
    const files = new Map(
      LAYERS.flatMap(sourceFiles).map((file) => [file, readFileSync(join(ROOT, file), "utf8")] as const),
    );
    expect(files.size).toBeGreaterThan(100);
    expect(violations(files)).toEqual([]);
  });

  it("finds each kind of violation, however the import is written", () => {
    const files = new Map([
      ["events/rules.ts", 'import type {\n  InputTransformer,\n} from "../local/bus/index.ts";'],
      ["local/engine/types.ts", 'import type { Retrier } from "#workflows/asl.ts";'],
      ["local/runtime.ts", 'const wiring = await import("../stacks/wiring.ts");'],
      ["functions/shared/x.ts", 'export { bus } from "../../local/bus/bus.ts";\n// from "../../local/ok.ts"'],
      ["events/tenants.ts", 'import { client } from "../functions/shared/glue.ts";'],
      ["functions/shared/glue.ts", 'import { EventBridgeClient } from "@aws-sdk/client-eventbridge";'],
    ]);

    expect(violations(files)).toEqual([
      "events/rules.ts -> local/bus/index.ts (what runs on AWS never depends on the local runtime)",
      "local/engine/types.ts -> workflows/asl.ts (the engine runs any state machine, not ours)",
      "local/runtime.ts -> stacks/wiring.ts (stacks/ is the AWS side only; what both runtimes need is in deploy/)",
      "functions/shared/x.ts -> local/bus/bus.ts (what runs on AWS never depends on the local runtime)",
      "events/tenants.ts reaches @aws-sdk/client-eventbridge through functions/shared/glue.ts (contracts never call AWS)",
    ]);
  });

  it("resolves relative and subpath imports from the project root", () => {
    expect(
      relative(".", resolveSpecifier("local/cli/commands/events.ts", "../../../events/registry.ts")),
    ).toBe(join("events", "registry.ts"));
    expect(resolveSpecifier("functions/tenant/announce.ts", "#shared/publish.ts")).toBe(
      join("functions", "shared", "publish.ts"),
    );
    expect(resolveSpecifier("events/define.ts", "zod")).toBe("zod");
  });
});

describe("names typed from their catalogs", () => {
  it("refuse a misspelled workflow or function id at typecheck time", () => {
    // @ts-expect-error a misspelled workflow is not a WorkflowName (events/workflows.ts)
    const workflow: WorkflowName = "tenant-onbording";
    // @ts-expect-error a misspelled function id is not a CatalogFunctionId (functions/catalog.ts)
    const functionId: CatalogFunctionId = "tenant/provision-databse";
    const spelled: CatalogFunctionId = "tenant/provision-database";

    expect(workflowCatalog.has(workflow)).toBe(false);
    expect(functionCatalog.has(functionId)).toBe(false);
    expect(functionCatalog.has(spelled)).toBe(true);
  });
});
