/** Change tokens and saved texts (local/cloud/changes.ts): what lets a checkpoint skip unchanged services. */
import { describe, expect, it } from "vitest";
import { ChangeTokens, JsonText, objectText, SavedText, toJsonText } from "../../../local/cloud/changes.ts";
import { fromJson } from "../../../local/cloud/service.ts";

describe("change tokens", () => {
  it("give a service no token while a path that may change it runs, and a new one once it has ended", async () => {
    // Prepare
    const changes = new ChangeTokens();
    const before = changes.token("RDS");
    const { promise: running, resolve: finish } = Promise.withResolvers<void>();

    // Act
    const result = changes.during(["RDS"], () => running);
    const whileRunning = changes.token("RDS");
    const other = changes.token("EKS");
    finish();
    await result;
    await Promise.resolve();
    const after = changes.token("RDS");

    // Assess
    expect(whileRunning).toBeUndefined();
    expect(other).toBe(before);
    expect(after).toBeDefined();
    expect(after).not.toBe(before);
  });

  it("mark a service changed when the path throws, and every service with markAll", () => {
    const changes = new ChangeTokens();
    const before = { rds: changes.token("RDS"), eks: changes.token("EKS") };
    expect(() =>
      changes.during(["RDS"], () => {
        throw new Error("half done");
      }),
    ).toThrow("half done");
    const afterThrow = changes.token("RDS");
    changes.markAll();
    expect(afterThrow).not.toBe(before.rds);
    expect(changes.token("EKS")).not.toBe(before.eks);
    expect(changes.token("never-named")).toBe(changes.token("EKS"));
  });
});

describe("saved texts", () => {
  it("serialize again only when the token differs or there is none", () => {
    const saved = new SavedText();
    const state = { n: 1 };
    const first = saved.take(1, () => state);
    state.n = 2;
    const same = saved.take(1, () => state);
    const next = saved.take(2, () => state);
    state.n = 3;
    const none = saved.take(undefined, () => state);
    expect(same).toBe(first);
    expect(same.text).toBe('{"n":1}');
    expect(next.text).toBe('{"n":2}');
    expect(none.text).toBe('{"n":3}');
  });

  it("tag Dates and bytes as fromJson and decodeBytes read them, and embed text as it is", () => {
    const at = new Date("2026-03-01T00:00:00.000Z");
    const text = objectText({
      state: toJsonText({ at, bytes: new Uint8Array([1, 2]), gone: undefined, f: () => 1 }),
      files: { a: "b" },
      raw: new JsonText("[1,2]"),
    }).text;
    const back = fromJson<{ state: { at: Date; bytes: { $bytes: string } }; files: unknown; raw: unknown }>(
      JSON.parse(text),
    );
    expect(back.state.at).toEqual(at);
    expect(back.state.bytes).toEqual({ $bytes: Buffer.from([1, 2]).toString("base64") });
    expect(back.state).not.toHaveProperty("gone");
    expect(back.files).toEqual({ a: "b" });
    expect(back.raw).toEqual([1, 2]);
  });
});
