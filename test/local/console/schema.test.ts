/**
 * The start form's validator (local/console/assets/schema.js, run in the browser) against the zod
 * contracts it stands in for: on the catalog's JSON Schemas it accepts what the contract accepts
 * and refuses, with a reason at the right field, what the contract refuses.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { exampleOf } from "../../../local/console/catalog.ts";
import { workflowCatalog } from "../../../workflows/catalog.ts";

type Validate = (schema: unknown, value: unknown) => { path: string; message: string }[];
// A browser module with no types: imported by a computed specifier so that tsc leaves it alone.
const schemaModule = "../../../local/console/assets/schema.js";
const { validate } = (await import(schemaModule)) as { validate: Validate };

const onboarding = workflowCatalog.get("tenant-onboarding");
if (!onboarding) throw new Error("tenant-onboarding is not in the catalog");
const schema = z.toJSONSchema(onboarding.input, { io: "input", unrepresentable: "any" });

describe("the console's input validator", () => {
  it("accepts a valid onboarding request and names each field wrong in an invalid one", () => {
    expect(validate(schema, { name: "Acme", tier: "basic", adminEmail: "ops@acme.example" })).toEqual([]);
    expect(validate(schema, { name: "", tier: "gold", adminEmail: "nope" })).toEqual([
      { path: "name", message: "must not be empty" },
      { path: "tier", message: "must be one of premium, standard, basic" },
      { path: "adminEmail", message: "must be an email address" },
    ]);
    expect(validate(schema, { tier: "basic", adminEmail: "ops@acme.example" })).toEqual([
      { path: "name", message: "is required" },
    ]);
    expect(validate(schema, [])).toEqual([{ path: "(input)", message: "must be object, not array" }]);
  });

  it("agrees with the zod contract on generated onboarding requests", () => {
    const text = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.constantFrom("ops@acme.example", "a-b", "us-east-1", "x".repeat(120)),
    );
    fc.assert(
      fc.property(
        fc.record(
          {
            name: text,
            tier: fc.constantFrom("premium", "standard", "basic", "gold"),
            adminEmail: text,
            slug: text,
            region: text,
          },
          { requiredKeys: [] },
        ),
        (input) => {
          expect(validate(schema, input).length === 0, JSON.stringify(input)).toBe(
            onboarding.input.safeParse(input).success,
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it("accepts every workflow's example built from its schema whenever its contract does", () => {
    // Refinements ("slug or tenantId") are beyond JSON Schema: the console asks the contract itself
    // (POST /console/validate) once this check passes, so this one may only be the more lenient.
    for (const spec of workflowCatalog.values()) {
      const json = z.toJSONSchema(spec.input, { io: "input", unrepresentable: "any" }) as Record<
        string,
        unknown
      >;
      const example = exampleOf(json);
      if (spec.input.safeParse(example).success) expect(validate(json, example), spec.name).toEqual([]);
    }
  });
});
