import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isDocumentInput } from "../../../local/cloud/dynamodb.ts";
import { mergePatch } from "../../../local/cloud/kubernetes.ts";
import { bind } from "../../../local/cloud/rds-data.ts";

const json = fc.jsonValue({ maxDepth: 3 });
const object = fc.dictionary(fc.string({ maxLength: 4 }), json, { maxKeys: 5 });

describe("JSON merge patch (RFC 7386)", () => {
  it("an empty patch changes nothing and a patch applied twice is applied once", () => {
    fc.assert(
      fc.property(object, object, (target, patch) => {
        expect(mergePatch(target, {})).toEqual(target);
        const once = mergePatch(target, patch);
        expect(mergePatch(once, patch)).toEqual(once);
      }),
    );
  });

  it("sets every non-null member of the patch and removes the null ones", () => {
    fc.assert(
      fc.property(
        object,
        fc.dictionary(fc.string({ maxLength: 4 }), fc.oneof(fc.constant(null), fc.integer(), fc.string()), {
          maxKeys: 5,
        }),
        (target, patch) => {
          const out = mergePatch(target, patch) as Record<string, unknown>;
          for (const [key, value] of Object.entries(patch)) {
            if (value === null) expect(Object.hasOwn(out, key)).toBe(false);
            else expect(out[key]).toEqual(value);
          }
        },
      ),
    );
  });
});

describe("Data API parameter binding", () => {
  it("replaces every :name outside quotes by a $n whose value is the parameter's", () => {
    const name = fc.stringMatching(/^[a-z_][a-z0-9_]{0,6}$/);
    fc.assert(
      fc.property(
        fc.uniqueArray(name, { minLength: 1, maxLength: 5 }),
        fc.array(fc.integer(), { minLength: 5, maxLength: 5 }),
        (names, values) => {
          const sql = `select ${names.map((n) => `:${n}`).join(", ")}, ':${names[0]}'::text`;
          const out = bind(
            sql,
            names.map((n, i) => ({ name: n, value: { longValue: values[i] ?? 0 } })),
          );
          expect(out.values).toEqual(names.map((_, i) => values[i] ?? 0));
          expect(out.text).toBe(
            `select ${names.map((_, i) => `$${i + 1}`).join(", ")}, ':${names[0]}'::text`,
          );
        },
      ),
    );
  });
});

describe("document-client detection", () => {
  it("never mistakes marshalled items for native ones", () => {
    const attribute = fc.oneof(
      fc.string().map((S) => ({ S })),
      fc.integer().map((n) => ({ N: String(n) })),
      fc.boolean().map((BOOL) => ({ BOOL })),
      fc.constant({ NULL: true }),
    );
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }), attribute, { minKeys: 1, maxKeys: 5 }),
        (item) => {
          expect(isDocumentInput({ TableName: "t", Item: item })).toBe(false);
        },
      ),
    );
  });
});
