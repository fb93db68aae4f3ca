import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { run, START } from "./harness.ts";

const pass = (output: unknown) => ({
  QueryLanguage: "JSONata",
  StartAt: "P",
  States: { P: { Type: "Pass", Output: output, End: true } },
});

describe("JSONata with AWS's functions", () => {
  it("provides $partition, $range, $hash, $parse, $uuid and $random", async () => {
    // Act
    const out = await run(
      pass({
        partition: "{% $partition([1, 2, 3, 4, 5], 2) %}",
        range: "{% $range(0, 10, 5) %}",
        hash: "{% $hash('input data', 'SHA-256') %}",
        parsed: "{% $parse('{\"a\": [1]}') %}",
        uuid: "{% $uuid() %}",
        random: "{% $random() %}",
        seeded: "{% $random(7) = $random(7) %}",
      }),
    );
    // Assess
    const o = out.output as Record<string, unknown>;
    expect(o.partition).toEqual([[1, 2], [3, 4], [5]]);
    expect(o.range).toEqual([0, 5, 10]);
    expect(o.hash).toBe(createHash("sha256").update("input data").digest("hex"));
    expect(o.parsed).toEqual({ a: [1] });
    expect(o.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(typeof o.random).toBe("number");
    expect(o.seeded).toBe(true);
  });

  it("exposes $states.context with the execution and the state", async () => {
    const out = await run(
      pass({ exec: "{% $states.context.Execution.Name %}", state: "{% $states.context.State.Name %}" }),
    );
    expect(out.output).toMatchObject({ state: "P" });
    expect(out.description.name).toBe((out.output as { exec: string }).exec);
  });

  it("reports a failing expression as States.QueryEvaluationError with the state and field", async () => {
    const out = await run(pass({ n: "{% $number('not a number') + $undefinedFn() %}" }));
    expect(out.description.error).toBe("States.QueryEvaluationError");
    expect(out.description.cause).toMatch(
      /^An error occurred while executing the state 'P' \(entered at the event id #2\)\./,
    );
    expect(out.description.cause).toContain("'Output/n'");
  });

  it("evaluates Wait Seconds and Fail Error/Cause from expressions", async () => {
    const out = await run(
      {
        QueryLanguage: "JSONata",
        StartAt: "W",
        States: {
          W: { Type: "Wait", Seconds: "{% $states.input.delay %}", Next: "F" },
          F: {
            Type: "Fail",
            Error: "{% 'Err' & $states.input.code %}",
            Cause: "{% 'code ' & $states.input.code %}",
          },
        },
      },
      { delay: 90, code: 7 },
    );
    expect(out.description).toMatchObject({ status: "FAILED", error: "Err7", cause: "code 7" });
    expect((out.description.stopDate?.getTime() ?? 0) - out.description.startDate.getTime()).toBe(90_000);
  });
});

describe("JSONata time functions", () => {
  it("reads $now() and $millis() from the engine's clock", async () => {
    const out = await run(
      {
        QueryLanguage: "JSONata",
        StartAt: "W",
        States: {
          W: { Type: "Wait", Seconds: 3600, Next: "P" },
          P: {
            Type: "Pass",
            Output: {
              now: "{% $now() %}",
              millis: "{% $millis() %}",
              day: "{% $now('[Y0001]-[M01]-[D01]') %}",
            },
            End: true,
          },
        },
      },
      {},
    );
    expect(out.output).toEqual({
      now: "2026-01-01T01:00:00.000Z",
      millis: START + 3_600_000,
      day: "2026-01-01",
    });
  });
});
