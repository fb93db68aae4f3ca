import * as eventbridge from "@aws-sdk/client-eventbridge";
import * as sfn from "@aws-sdk/client-sfn";
import { describe, expect, it } from "vitest";
import { loadModel, type ServiceModel, validateRequest } from "../../../local/server/model.ts";
import { EVENTS_OPERATIONS, SFN_OPERATIONS } from "../../../local/server/operations.ts";

const services = [
  { model: loadModel("sfn.json"), operations: SFN_OPERATIONS, sdk: sfn as Record<string, unknown> },
  {
    model: loadModel("events.json"),
    operations: EVENTS_OPERATIONS,
    sdk: eventbridge as Record<string, unknown>,
  },
];

/** The SDK's structure schema: `[3, namespace, name, traits, memberNames, memberSchemas, requiredCount]`. */
function sdkStructure(sdk: Record<string, unknown>, name: string) {
  const schema = sdk[`${name}$`] as
    | [number, string, string, unknown, string[], unknown[], number?]
    | undefined;
  return schema && { members: schema[4], required: schema[6] ?? 0 };
}

describe("AWS models of the served operations", () => {
  it.each(services)("covers exactly the operations $model.targetPrefix serves", ({ model, operations }) => {
    expect(Object.keys(model.operations).sort()).toEqual([...operations].sort());
  });

  it.each(services)(
    "agrees with the installed SDK's $model.targetPrefix schemas on members and required ones",
    ({ model, sdk }) => {
      for (const [name, shape] of Object.entries(model.shapes)) {
        if (shape.type !== "structure") continue;
        const schema = sdkStructure(sdk, name);
        expect(schema, `SDK schema ${name}$ (regenerate with scripts/aws-models.ts)`).toBeDefined();
        expect([...(schema?.members ?? [])].sort(), name).toEqual(Object.keys(shape.members ?? {}).sort());
        // The SDK orders required members first and counts them.
        expect(schema?.members.slice(0, schema.required).sort(), name).toEqual(
          [...(shape.required ?? [])].sort(),
        );
      }
    },
  );

  it("checks values against every pattern of both models as Java would (whole value, Java escapes)", () => {
    const outcome = (shape: string, value: string) => {
      try {
        validateRequest(probe(shape), "Probe", { v: value });
        return "ok";
      } catch (error) {
        return (error as Error).name;
      }
    };
    for (const { model } of services) {
      for (const [name, shape] of Object.entries(model.shapes)) {
        if (shape.type === "string" && shape.pattern)
          expect(["ok", "ValidationException"]).toContain(outcome(name, "x"));
      }
    }
    expect(outcome("RuleName", "good-name.1")).toBe("ok");
    expect(outcome("RuleName", "bad name")).toBe("ValidationException");
    expect(outcome("InputTransformerPathKey", "a_b-c")).toBe("ok"); // `\_` is valid Java, not unicode-mode JS
    expect(outcome("TraceHeader", "Root=1-5759e988")).toBe("ok"); // `\p{ASCII}`
    expect(outcome("TraceHeader", "é")).toBe("ValidationException");
  });
});

/** A one-member model that checks a value against shape `name` of either model. */
function probe(name: string): ServiceModel {
  const shape = services.map((s) => s.model.shapes[name]).find(Boolean);
  return {
    targetPrefix: "Probe",
    operations: { Probe: "In" },
    shapes: { In: { type: "structure", members: { v: "V" } }, V: { ...shape, type: "string" } },
  } as ServiceModel;
}
