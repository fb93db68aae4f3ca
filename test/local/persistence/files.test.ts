import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { removeLeftoverTemporaries, writeAtomically } from "../../../local/persistence/files.ts";

const dir = mkdtempSync(join(tmpdir(), "cplane-files-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("files under the data directory", () => {
  it("replaces a file whole and leaves no temporary behind", async () => {
    const file = join(dir, "nested", "state.json");
    await writeAtomically(file, "old");

    const bytes = await writeAtomically(file, "new state");

    expect(bytes).toBe(9);
    expect(readFileSync(file, "utf8")).toBe("new state");
    expect(readdirSync(join(dir, "nested"))).toEqual(["state.json"]);
  });

  it("writes text given in pieces as one file, in order, counting its bytes", async () => {
    const file = join(dir, "pieces.json");
    await writeAtomically(file, "a much longer text than the pieces that replace it");

    const bytes = await writeAtomically(file, ['{"a":', "[1,2]", ',"é":', '"x"}']);

    expect(readFileSync(file, "utf8")).toBe('{"a":[1,2],"é":"x"}');
    expect(bytes).toBe(Buffer.byteLength('{"a":[1,2],"é":"x"}'));
  });

  it("removes temporaries a crashed process left, and nothing else", async () => {
    const leftovers = join(dir, "leftovers");
    await writeAtomically(join(leftovers, "cloud.json"), "{}");
    writeFileSync(join(leftovers, "cloud.json.999999.tmp"), "half");
    writeFileSync(join(leftovers, "runtime.lock.999999.0badc0de.tmp"), "half");
    writeFileSync(join(leftovers, `executions.json.${process.pid}.tmp`), "mine, in flight");
    writeFileSync(join(leftovers, "notes.tmp"), "not ours");

    const removed = await removeLeftoverTemporaries(leftovers);

    expect(removed.sort()).toEqual(["cloud.json.999999.tmp", "runtime.lock.999999.0badc0de.tmp"]);
    expect(readdirSync(leftovers).sort()).toEqual([
      "cloud.json",
      `executions.json.${process.pid}.tmp`,
      "notes.tmp",
    ]);
  });
});
