import { createRequire } from "node:module";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  aslValidator,
  cachedJsonSchemaErrors,
  originalJsonSchemaErrors,
} from "../../../local/engine/asl-validator.ts";

const fromValidator = createRequire(createRequire(import.meta.url).resolve("asl-validator"));
const Ajv = (fromValidator("ajv") as { default: { prototype: { addSchema: () => unknown } } }).default;

afterEach(() => vi.restoreAllMocks());

// asl-validator writes the machine's QueryLanguage into every state before its schema check.
const pass = { Type: "Pass", QueryLanguage: "JSONPath", End: true };
const definitions: Record<string, unknown> = {
  "one Pass state": { StartAt: "A", States: { A: pass } },
  "a JSONata machine": {
    QueryLanguage: "JSONata",
    StartAt: "A",
    States: { A: { Type: "Pass", QueryLanguage: "JSONata", Output: "{% $states.input %}", End: true } },
  },
  "no StartAt": { States: { A: pass } },
  "an unknown state type": { StartAt: "A", States: { A: { Type: "Sleep", End: true } } },
  "a Task without Resource": { StartAt: "A", States: { A: { Type: "Task", End: true } } },
  "a Wait with a string for Seconds": {
    StartAt: "A",
    States: { A: { Type: "Wait", Seconds: "ten", End: true } },
  },
  "a Choice without Choices": { StartAt: "A", States: { A: { Type: "Choice", Default: "B" }, B: pass } },
  "bad JSONata": {
    QueryLanguage: "JSONata",
    StartAt: "A",
    States: { A: { Type: "Pass", Output: "{% $states.input. %}", End: true } },
  },
  "a Map with an ItemProcessor missing States": {
    StartAt: "M",
    States: { M: { Type: "Map", ItemProcessor: { StartAt: "X" }, End: true } },
  },
};

describe("asl-validator with its schema compiled once", () => {
  it.each(Object.entries(definitions))("finds what asl-validator finds in %s", (name, definition) => {
    const options = { checkPaths: false, checkArn: false };
    const ours = cachedJsonSchemaErrors(structuredClone(definition), options);
    expect(ours).toEqual(originalJsonSchemaErrors(structuredClone(definition), options));
    expect(ours.length > 0).toBe(!["one Pass state", "a JSONata machine"].includes(name));
  });

  it("checks paths and ARNs as asl-validator does when asked to", () => {
    const options = { checkPaths: true, checkArn: true };
    const definition = {
      StartAt: "A",
      States: { A: { Type: "Task", Resource: "not-an-arn", InputPath: "$..[", End: true } },
    };
    const ours = cachedJsonSchemaErrors(structuredClone(definition), options);
    expect(ours.length).toBeGreaterThan(0);
    expect(ours).toEqual(originalJsonSchemaErrors(structuredClone(definition), options));
  });

  it("compiles no schema again after the first validation", () => {
    aslValidator(structuredClone(definitions["one Pass state"]), { checkPaths: false, checkArn: false });
    const addSchema = vi.spyOn(Ajv.prototype, "addSchema");
    for (const definition of Object.values(definitions)) {
      aslValidator(structuredClone(definition), { checkPaths: false, checkArn: false });
    }
    expect(addSchema).not.toHaveBeenCalled();
  });

  it("still reports asl-validator's other checks (a transition to a missing state)", () => {
    const result = aslValidator({ StartAt: "A", States: { A: { Type: "Pass", Next: "Nowhere" } } });
    expect(result.isValid).toBe(false);
    expect(result.errorsText()).toMatch(/Nowhere/);
  });
});
