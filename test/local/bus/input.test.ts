import { describe, expect, it } from "vitest";
import {
  resolveJsonPath,
  targetInput,
  transformInput,
  validateTargetInput,
} from "../../../local/bus/input.ts";

const event = {
  version: "0",
  id: "e-1",
  "detail-type": "Git Push",
  source: "cplane.git",
  account: "1",
  time: "2026-01-01T00:00:00Z",
  region: "us-east-1",
  resources: ["arn:a", "arn:b"],
  detail: { branch: "main", commits: 3, forced: false, pusher: { name: "ana" }, tags: ["x", "y"] },
};
const context = {
  ruleName: "deploy",
  ruleArn: "arn:aws:events:us-east-1:1:rule/cplane/deploy",
  ingestionTime: "2026-01-01T00:00:01.000Z",
};

describe("target input", () => {
  it("passes the whole event, a constant Input, or the value at InputPath", () => {
    expect(JSON.parse(targetInput(event, {}, context))).toEqual(event);
    expect(targetInput(event, { Input: '{"a":1}' }, context)).toBe('{"a":1}');
    expect(targetInput(event, { InputPath: "$.detail.pusher" }, context)).toBe('{"name":"ana"}');
    expect(targetInput(event, { InputPath: "$.resources[1]" }, context)).toBe('"arn:b"');
  });

  it("resolves bracket, index and wildcard paths", () => {
    expect(resolveJsonPath(event, "$['detail-type']")).toBe("Git Push");
    expect(resolveJsonPath(event, "$.detail.tags[*]")).toEqual(["x", "y"]);
    expect(resolveJsonPath(event, "$.detail.missing")).toBeUndefined();
  });

  it("follows AWS's quoting rules for placeholders inside and outside JSON strings", () => {
    const out = transformInput(
      event,
      {
        InputPathsMap: {
          b: "$.detail.branch",
          n: "$.detail.commits",
          f: "$.detail.forced",
          p: "$.detail.pusher",
          none: "$.nope",
        },
        InputTemplate:
          '{"branch": "<b>", "n": <n>, "f": <f>, "p": <p>, "pText": "<p>", "missing": <none>, "empty": "<none>", "keep": "<unknown>"}',
      },
      context,
    );
    expect(JSON.parse(out)).toEqual({
      branch: "main",
      n: 3,
      f: false,
      p: { name: "ana" },
      pText: "{name:ana}",
      missing: null,
      empty: "",
      keep: "<unknown>",
    });
  });

  it("inserts strings raw outside quotes, so a plain-text template reads naturally", () => {
    const out = transformInput(
      event,
      {
        InputPathsMap: { b: "$.detail.branch" },
        InputTemplate: "push to <b> by rule <aws.events.rule-name>",
      },
      context,
    );
    expect(out).toBe("push to main by rule deploy");
  });

  it("offers the predefined variables", () => {
    const out = transformInput(
      event,
      {
        InputTemplate:
          '{"arn": "<aws.events.rule-arn>", "at": "<aws.events.event.ingestion-time>", "e": <aws.events.event>, "all": <aws.events.event.json>}',
      },
      context,
    );
    const parsed = JSON.parse(out);
    expect(parsed.arn).toBe(context.ruleArn);
    expect(parsed.at).toBe(context.ingestionTime);
    expect(parsed.e.detail).toBeUndefined();
    expect(parsed.all.detail.branch).toBe("main");
  });

  it.each([
    [{ Input: "{", InputPath: undefined }, "Input is not valid JSON text"],
    [{ Input: "{}", InputPath: "$.a" }, "Only one of"],
    [{ InputPath: "detail" }, "must start with $"],
    [
      { InputTransformer: { InputPathsMap: { "aws.events.rule-arn": "$.x" }, InputTemplate: "x" } },
      "reserved",
    ],
    [{ InputTransformer: { InputTemplate: "" } }, "InputTemplate is required"],
  ])("refuses invalid settings %j", (config, message) => {
    expect(() => validateTargetInput(config)).toThrow(message);
  });
});
