import { describe, expect, it } from "vitest";
import {
  ControlPlaneError,
  InvalidInputError,
  isThrottling,
  TransientError,
} from "../../../functions/shared/errors.ts";

class ClusterTaggedForAnotherTenantError extends ControlPlaneError {}

describe("ControlPlaneError", () => {
  it("names each subclass after itself, which is what Retry/Catch match", () => {
    const error = new ClusterTaggedForAnotherTenantError("cluster tenant-acme belongs to tenant beta");
    expect(error.name).toBe("ClusterTaggedForAnotherTenantError");
    expect(error).toBeInstanceOf(ControlPlaneError);
    expect(error.retryable).toBe(false);
  });

  it("keeps the cause", () => {
    const cause = new Error("socket hang up");
    expect(new TransientError("cluster busy", { cause }).cause).toBe(cause);
    expect(new TransientError("cluster busy").retryable).toBe(true);
  });

  it("lists the issues of invalid input in its message", () => {
    const error = new InvalidInputError("tenant request is invalid", [
      "tier: unknown tier gold",
      "name: required",
    ]);
    expect(error.name).toBe("InvalidInputError");
    expect(error.message).toBe("tenant request is invalid: tier: unknown tier gold; name: required");
    expect(error.issues).toHaveLength(2);
  });
});

describe("isThrottling", () => {
  it("recognises AWS throttling names and nothing else", () => {
    const throttled = Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
    const notFound = Object.assign(new Error("missing"), { name: "DBClusterNotFoundFault" });
    expect(isThrottling(throttled)).toBe(true);
    expect(isThrottling(notFound)).toBe(false);
    expect(isThrottling("ThrottlingException")).toBe(false);
  });
});
