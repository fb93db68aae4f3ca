/**
 * What the console needs to know about the workflows and events that no AWS API returns: each
 * workflow's description, its input contract as JSON Schema (from events/workflows.ts, as the CLI's
 * `run` checks it) and a valid sample to start from, and the event samples `cplane events put` sends.
 * Built once from the same modules the CLI reads in-process.
 */
import { readdirSync, readFileSync } from "node:fs";
import { z } from "zod";
import { workflowRules } from "../../events/rules.ts";
import { workflowCatalog } from "../../workflows/catalog.ts";

const SAMPLES = new URL("../../events/samples/", import.meta.url);

export interface ConsoleCatalog {
  readonly workflows: readonly {
    readonly name: string;
    readonly description: string;
    readonly inputSchema: unknown;
    readonly sample: unknown;
  }[];
  readonly samples: readonly { readonly name: string; readonly event: Record<string, unknown> }[];
}

function eventSamples(): ConsoleCatalog["samples"] {
  return readdirSync(SAMPLES)
    .filter((file) => file.endsWith(".json"))
    .sort()
    .map((file) => ({
      name: file.replace(/\.json$/, ""),
      event: JSON.parse(readFileSync(new URL(file, SAMPLES), "utf8")) as Record<string, unknown>,
    }));
}

/** A value of a JSON Schema's shape, preferring a manual start among a union's branches. */
export function exampleOf(schema: Record<string, unknown>): unknown {
  if (schema.const !== undefined) return schema.const;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  const branches = (schema.oneOf ?? schema.anyOf) as Record<string, unknown>[] | undefined;
  if (branches) {
    const manual = branches.find(
      (b) => (b.properties as Record<string, { const?: unknown }> | undefined)?.trigger?.const === "manual",
    );
    return exampleOf(manual ?? (branches[0] as Record<string, unknown>));
  }
  switch (schema.type) {
    case "object": {
      const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
      const required = new Set((schema.required ?? []) as string[]);
      return Object.fromEntries(
        Object.entries(properties)
          .filter(([name]) => required.has(name))
          .map(([name, property]) => [name, exampleOf(property)]),
      );
    }
    case "array":
      return [];
    case "integer":
    case "number":
      return typeof schema.minimum === "number" ? schema.minimum : 1;
    case "boolean":
      return false;
    case "string":
      if (schema.format === "email") return "ops@example.com";
      if (schema.format === "date-time") return new Date(0).toISOString();
      if (typeof schema.pattern === "string" && new RegExp(schema.pattern).test("0123456789abcdef"))
        return "0123456789abcdef";
      return "example";
    default:
      return {};
  }
}

/**
 * A sample input each workflow's contract accepts: the detail of an event sample a rule passes on
 * whole (`$.detail`), else a value built from the schema; checked by the contract before it is offered.
 */
function sampleInput(
  name: string,
  input: z.ZodType,
  schema: Record<string, unknown>,
  samples: ConsoleCatalog["samples"],
) {
  const fromEvents = workflowRules
    .filter((rule) => rule.workflow === name && rule.inputPath === "$.detail")
    .flatMap((rule) => {
      const pattern = rule.eventPattern as { source?: string[]; "detail-type"?: string[] };
      return samples
        .filter(
          (s) =>
            pattern.source?.includes(String(s.event.source)) &&
            pattern["detail-type"]?.includes(String(s.event["detail-type"])),
        )
        .map((s) => s.event.detail);
    });
  return [...fromEvents, exampleOf(schema)].find((candidate) => input.safeParse(candidate).success) ?? {};
}

let built: ConsoleCatalog | undefined;

export function consoleCatalog(): ConsoleCatalog {
  if (built) return built;
  const samples = eventSamples();
  built = {
    workflows: [...workflowCatalog.values()].map((spec) => {
      const inputSchema = z.toJSONSchema(spec.input, { io: "input", unrepresentable: "any" }) as Record<
        string,
        unknown
      >;
      return {
        name: spec.name,
        description: spec.description,
        inputSchema,
        sample: spec.sample ?? sampleInput(spec.name, spec.input, inputSchema, samples),
      };
    }),
    samples,
  };
  return built;
}
