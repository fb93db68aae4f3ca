import validator from "asl-validator";
import { describe, expect, it } from "vitest";
import {
  functionIdOf,
  functionIdsOf,
  functionRef,
  LAMBDA_SERVICE_ERRORS,
  lambdaTask,
  type StateMachineDefinition,
  substituteFunctions,
} from "../../workflows/asl.ts";

const definition: StateMachineDefinition = {
  QueryLanguage: "JSONata",
  StartAt: "Register",
  TimeoutSeconds: 600,
  States: {
    Register: lambdaTask("tenant/register", { Next: "PerRegion" }),
    PerRegion: {
      Type: "Map",
      Items: "{% $states.input.regions %}",
      ItemProcessor: {
        ProcessorConfig: { Mode: "INLINE" },
        StartAt: "Provision",
        States: { Provision: lambdaTask("tenant/provision-database", { End: true }) },
      },
      Next: "Announce",
    },
    Announce: lambdaTask("tenant/announce", {
      End: true,
      Retry: [{ ErrorEquals: ["ThrottlingException"], MaxAttempts: 5 }],
    }),
  },
};

describe("lambdaTask", () => {
  it("writes a JSONata lambda:invoke state that passes its input and returns the payload", () => {
    const state = lambdaTask("tenant/register", { Next: "Done" });
    expect(state).toMatchObject({
      Type: "Task",
      Resource: "arn:aws:states:::lambda:invoke",
      Arguments: { FunctionName: "cplane:function:tenant/register", Payload: "{% $states.input %}" },
      Output: "{% $states.result.Payload %}",
      Next: "Done",
    });
    expect(state.End).toBeUndefined();
  });

  it("retries Lambda service errors first, then the state's own retriers", () => {
    const state = lambdaTask("tenant/announce", {
      End: true,
      Retry: [{ ErrorEquals: ["ThrottlingException"] }],
    });
    expect(state.Retry).toEqual([
      {
        ErrorEquals: [...LAMBDA_SERVICE_ERRORS],
        IntervalSeconds: 1,
        MaxAttempts: 3,
        BackoffRate: 2,
        JitterStrategy: "FULL",
      },
      { ErrorEquals: ["ThrottlingException"] },
    ]);
  });

  it("refuses a state with both or neither of Next and End", () => {
    expect(() => lambdaTask("tenant/x", {})).toThrow(/exactly one of Next or End/);
    expect(() => lambdaTask("tenant/x", { Next: "A", End: true })).toThrow(/exactly one of Next or End/);
  });

  it("produces definitions asl-validator accepts", () => {
    const result = validator(structuredClone(definition));
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
  });
});

describe("function references", () => {
  it("round-trips an id through its placeholder and ignores other strings", () => {
    expect(functionIdOf(functionRef("tenant/register"))).toBe("tenant/register");
    expect(functionIdOf("arn:aws:lambda:us-east-1:1:function:x")).toBeUndefined();
  });

  it("finds every referenced function, inside Map processors too, once and sorted", () => {
    expect(functionIdsOf(definition)).toEqual([
      "tenant/announce",
      "tenant/provision-database",
      "tenant/register",
    ]);
  });

  it("substitutes every placeholder without touching the original", () => {
    const deployed = substituteFunctions(
      definition,
      (id) => `arn:aws:lambda:us-east-1:123:function:${id.replace("/", "-")}`,
    );
    const text = JSON.stringify(deployed);
    expect(text).not.toContain("cplane:function:");
    expect(text).toContain("arn:aws:lambda:us-east-1:123:function:tenant-provision-database");
    expect(JSON.stringify(definition)).toContain("cplane:function:tenant/register");
  });
});
