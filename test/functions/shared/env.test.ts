import { describe, expect, it } from "vitest";
import {
  awsRegion,
  MissingEnvironmentVariableError,
  optionalEnv,
  requireEnv,
} from "../../../functions/shared/env.ts";

describe("requireEnv", () => {
  it("returns a set variable", () => {
    expect(requireEnv("TABLE", { TABLE: "tenants" })).toBe("tenants");
  });

  it.each([{}, { TABLE: "" }])("names the variable when it is missing or empty (%j)", (env) => {
    expect(() => requireEnv("TABLE", env)).toThrow(MissingEnvironmentVariableError);
    expect(() => requireEnv("TABLE", env)).toThrow(/TABLE/);
  });
});

describe("optionalEnv", () => {
  it("falls back only when unset or empty", () => {
    expect(optionalEnv("A", "x", {})).toBe("x");
    expect(optionalEnv("A", "x", { A: "" })).toBe("x");
    expect(optionalEnv("A", "x", { A: "y" })).toBe("y");
  });
});

describe("awsRegion", () => {
  it("reads AWS_REGION", () => {
    expect(awsRegion({ AWS_REGION: "eu-central-1" })).toBe("eu-central-1");
    expect(() => awsRegion({})).toThrow(/AWS_REGION/);
  });
});
