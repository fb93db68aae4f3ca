import { describe, expect, it } from "vitest";
import { z } from "zod";
import { InvalidInputError } from "../../../functions/shared/errors.ts";
import { defineStep, parseInput } from "../../../functions/shared/handler.ts";
import { logger } from "../../../functions/shared/observability.ts";
import { lambdaContext } from "../../support/context.ts";

const Input = z.object({
  name: z.string().min(1),
  count: z.number().int(),
  executionArn: z.string().optional(),
});

describe("defineStep", () => {
  it("hands the parsed input to the step and returns its result", async () => {
    // Prepare
    const handler = defineStep(Input, async (input) => ({
      greeting: `hello ${input.name}`,
      twice: input.count * 2,
    }));

    // Act
    const result = await handler({ name: "acme", count: 2 }, lambdaContext());

    // Assess
    expect(result).toEqual({ greeting: "hello acme", twice: 4 });
  });

  it("refuses bad input with an InvalidInputError naming each field, before the step runs", async () => {
    // Prepare
    let ran = false;
    const handler = defineStep(Input, async () => {
      ran = true;
      return {};
    });

    // Act
    const outcome = handler({ name: "", count: "two" }, lambdaContext());

    // Assess
    await expect(outcome).rejects.toBeInstanceOf(InvalidInputError);
    await expect(outcome).rejects.toMatchObject({ name: "InvalidInputError" });
    await expect(outcome).rejects.toThrow(/name: .*count: /s);
    expect(ran).toBe(false);
  });

  it("uses the execution ARN of the payload as the log correlation id", async () => {
    // Prepare
    const arn = "arn:aws:states:us-east-1:123456789012:execution:tenant-onboarding:abc";
    let seen: unknown;
    const handler = defineStep(Input, async () => {
      seen = logger.getCorrelationId();
      return {};
    });

    // Act
    await handler({ name: "acme", count: 1, executionArn: arn }, lambdaContext());

    // Assess
    expect(seen).toBe(arn);
  });

  it("lets the step's own named errors through unchanged", async () => {
    // Prepare
    class ClusterGoneError extends Error {
      override name = "ClusterGoneError";
    }
    const handler = defineStep(Input, async () => {
      throw new ClusterGoneError("gone");
    });

    // Act
    const outcome = handler({ name: "acme", count: 1 }, lambdaContext());

    // Assess
    await expect(outcome).rejects.toMatchObject({ name: "ClusterGoneError", message: "gone" });
  });
});

describe("parseInput", () => {
  it("names the whole input when it is not an object", () => {
    expect(() => parseInput(Input, "nope")).toThrow(/\(input\): /);
  });
});
