import { describe, expect, it } from "vitest";
import {
  resolveJsonPath,
  targetInput,
  transformInput,
  UndeliverableInputError,
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

  it("fills a JSON template with each value's JSON outside quotes, adding quotes to strings", () => {
    const out = transformInput(
      event,
      {
        InputPathsMap: {
          b: "$.detail.branch",
          n: "$.detail.commits",
          f: "$.detail.forced",
          p: "$.detail.pusher",
        },
        InputTemplate:
          '{"branch": <b>, "n": <n>, "f": <f>, "p": <p>, "list": [<b>, "x"], "text": "<b> has <n> commits, forced <f>"}',
      },
      context,
    );
    expect(JSON.parse(out)).toEqual({
      branch: "main",
      n: 3,
      f: false,
      p: { name: "ana" },
      list: ["main", "x"],
      text: "main has 3 commits, forced false",
    });
  });

  it("fills the API reference's own examples as it documents them", () => {
    const ec2 = { ...event, detail: { instance: "i-0123456789", status: "RUNNING" } };
    const InputPathsMap = { instance: "$.detail.instance", status: "$.detail.status" };
    const fill = (InputTemplate: string) => transformInput(ec2, { InputPathsMap, InputTemplate }, context);
    expect(fill("<instance> is in state <status>")).toBe("i-0123456789 is in state RUNNING");
    expect(fill('"<instance> is in state \\"<status>\\""')).toBe('"i-0123456789 is in state \\"RUNNING\\""');
    expect(
      JSON.parse(fill('{"myInstance": <instance>,"myStatus": "<instance> is in state \\"<status>\\""}')),
    ).toEqual({
      myInstance: "i-0123456789",
      myStatus: 'i-0123456789 is in state "RUNNING"',
    });
  });

  it("delivers a JSON template's result minified, whitespace inside strings kept", () => {
    const out = transformInput(
      event,
      { InputPathsMap: { b: "$.detail.branch" }, InputTemplate: '{\n  "branch" : <b>,\n  "note": "a  b"\n}' },
      context,
    );
    expect(out).toBe('{"branch":"main","note":"a  b"}');
  });

  it.each([
    ["an object inside quotes", { p: "$.detail.pusher" }, '{"who": "pushed by <p>"}'],
    ["a list of strings inside quotes", { t: "$.detail.tags" }, '{"tags": "<t>"}'],
    ["a path that matches nothing, outside quotes", { none: "$.detail.nope" }, '{"v": <none>}'],
    ["a string whose quotes are not escaped", { q: "$.detail.quote" }, '{"q": "<q>"}'],
  ])(
    "does not deliver a JSON template whose result is not JSON: %s",
    (_what, InputPathsMap, InputTemplate) => {
      const quoting = { ...event, detail: { ...event.detail, quote: 'say "hi"' } };
      expect(() => transformInput(quoting, { InputPathsMap, InputTemplate }, context)).toThrow(
        UndeliverableInputError,
      );
    },
  );

  it("fills a string template as text: raw strings, objects and lists without their quotes, nothing for a missing path", () => {
    const out = transformInput(
      event,
      {
        InputPathsMap: { b: "$.detail.branch", p: "$.detail.pusher", t: "$.detail.tags", none: "$.nope" },
        InputTemplate: '"<b> by <p> tagged <t>, missing [<none>]"',
      },
      context,
    );
    expect(out).toBe('"main by {name:ana} tagged [x,y], missing []"');
    const plain = transformInput(
      event,
      {
        InputPathsMap: { b: "$.detail.branch" },
        InputTemplate: "push to <b> by rule <aws.events.rule-name>",
      },
      context,
    );
    expect(plain).toBe("push to main by rule deploy");
  });

  it("keeps a multi-line string template line by line", () => {
    const out = transformInput(
      event,
      {
        InputPathsMap: { b: "$.detail.branch" },
        InputTemplate: '"Branch: <b>"\n"Rule: <aws.events.rule-name>"',
      },
      context,
    );
    expect(out).toBe('"Branch: main"\n"Rule: deploy"');
  });

  it("offers the predefined variables, strings quoted and events as JSON in a JSON template", () => {
    const out = transformInput(
      event,
      {
        InputTemplate:
          '{"arn": <aws.events.rule-arn>, "name": "<aws.events.rule-name>", "at": <aws.events.event.ingestion-time>, "e": <aws.events.event>, "all": <aws.events.event.json>}',
      },
      context,
    );
    const parsed = JSON.parse(out);
    expect(parsed.arn).toBe(context.ruleArn);
    expect(parsed.name).toBe("deploy");
    expect(parsed.at).toBe(context.ingestionTime);
    expect(parsed.e).toEqual({ ...event, detail: undefined });
    expect(parsed.e).not.toHaveProperty("detail");
    expect(parsed.all).toEqual(event);
  });

  it.each([
    [{ Input: "{" }, "Input for target t is not valid JSON text."],
    [
      { Input: "{}", InputPath: "$.a" },
      "Only one of Input, InputPath, or InputTransformer must be provided for target t.",
    ],
    [{ InputPath: "detail" }, "InputPath for target t: Invalid JSON path"],
    [
      { InputTransformer: { InputPathsMap: { a: "$.a" }, InputTemplate: '"<a> and <b>"' } },
      "InputTemplate for target t contains invalid placeholder b.",
    ],
    [
      { InputTransformer: { InputPathsMap: { "aws.events.rule-arn": "$.x" }, InputTemplate: "x" } },
      "InputPathsMap for target t redefines the predefined variable aws.events.rule-arn.",
    ],
    [
      { InputTransformer: { InputPathsMap: { "a b": "$.x" }, InputTemplate: "x" } },
      "InputPathsMap for target t has an invalid variable name a b",
    ],
    [{ InputTransformer: { InputPathsMap: { a: "x" }, InputTemplate: "<a>" } }, "variable a for target t"],
    [
      { InputTransformer: { InputTemplate: "" } },
      "InputTemplate for target t must hold 1 to 8192 characters.",
    ],
    [
      { InputTransformer: { InputPathsMap: { k: "$.k" }, InputTemplate: "{<k>: 1}" } },
      "InputTemplate for target t is not valid JSON",
    ],
    [{ InputTransformer: { InputTemplate: '{"a": 1' } }, "InputTemplate for target t is not valid JSON"],
    [
      { InputTransformer: { InputPathsMap: { k: "$.k" }, InputTemplate: '{"a": {"x-<k>": 1}}' } },
      "InputTemplate for target t uses a placeholder as an object key.",
    ],
  ])("refuses invalid settings %j, naming the target", (config, message) => {
    expect(() => validateTargetInput({ Id: "t", ...config })).toThrow(message);
  });

  it("accepts JSON templates whatever their placeholders hold, and string templates unchecked", () => {
    const paths = { a: "$.a", b: "$.b" };
    for (const InputTemplate of [
      '{"a": <a>, "b": "x <b>", "c": [<a>, <b>], "d": <aws.events.event.json>}',
      '"a is <a>" "and not JSON {"',
      "<a> is in state <b>",
    ]) {
      expect(() =>
        validateTargetInput({ Id: "t", InputTransformer: { InputPathsMap: paths, InputTemplate } }),
      ).not.toThrow();
    }
  });
});
