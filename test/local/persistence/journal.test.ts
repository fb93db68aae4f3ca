import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CorruptJournalError, Journal, JournalClosedError } from "../../../local/persistence/journal.ts";

interface Entry {
  readonly n: number;
}

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function journalDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "cplane-journal-"));
  dirs.push(dir);
  return join(dir, "journal");
}

const segments = (dir: string) => readdirSync(dir).filter((name) => name.endsWith(".log"));

describe("the journal", () => {
  it("has a record on disk when its append resolves, and gives records back in order after a crash", async () => {
    // Prepare
    const dir = journalDir();
    const { journal, records } = await Journal.open<Entry>(dir);
    expect(records).toEqual([]);

    // Act: appends resolved, then the process "dies" (the journal is never closed)
    await Promise.all([1, 2, 3].map((n) => journal.append({ n })));
    const onDisk = segments(dir).map((name) => readFileSync(join(dir, name), "utf8"));
    const reopened = await Journal.open<Entry>(dir);

    // Assess
    expect(onDisk.join("")).toBe('{"lsn":1,"n":1}\n{"lsn":2,"n":2}\n{"lsn":3,"n":3}\n');
    expect(reopened.records).toEqual([
      { lsn: 1, n: 1 },
      { lsn: 2, n: 2 },
      { lsn: 3, n: 3 },
    ]);
    await journal.close();
    await reopened.journal.close();
  });

  it("commits concurrent appends together: far fewer syncs than records", async () => {
    // Prepare
    const { journal } = await Journal.open<Entry>(journalDir());

    // Act: 200 appends while the first sync is in flight, then 200 more one at a time
    await Promise.all(Array.from({ length: 200 }, (_, n) => journal.append({ n })));
    const grouped = journal.status.syncs;
    for (let n = 0; n < 20; n++) await journal.append({ n });

    // Assess: the burst took a handful of syncs; appends awaited one by one take one each
    expect(journal.status.appended).toBe(220);
    expect(grouped).toBeLessThanOrEqual(3);
    expect(journal.status.syncs - grouped).toBe(20);
    await journal.close();
  });

  it("forgets what a checkpoint covers: the segments go, and a reopened journal gives back only later records", async () => {
    // Prepare: two records, a checkpoint taken after them, a third record meanwhile
    const dir = journalDir();
    const { journal } = await Journal.open<Entry>(dir);
    await journal.append({ n: 1 });
    await journal.append({ n: 2 });
    const mark = journal.rotate();
    await journal.append({ n: 3 });
    expect(segments(dir)).toHaveLength(2);

    // Act: the checkpoint is on disk
    await journal.cover(mark);
    const reopened = await Journal.open<Entry>(dir);
    await reopened.journal.append({ n: 4 });
    const again = await Journal.open<Entry>(dir);

    // Assess: the first segment is gone; sequence numbers keep growing across opens
    expect(mark).toBe(2);
    expect(segments(dir)).toHaveLength(2);
    expect(reopened.records).toEqual([{ lsn: 3, n: 3 }]);
    expect(again.records).toEqual([
      { lsn: 3, n: 3 },
      { lsn: 4, n: 4 },
    ]);
    for (const j of [journal, reopened.journal, again.journal]) await j.close();
  });

  it("removes every segment once a checkpoint covers all of them, the ones an earlier run left included", async () => {
    // Prepare: a run that crashed with two records, and the next run that opens them
    const dir = journalDir();
    const crashed = await Journal.open<Entry>(dir);
    await crashed.journal.append({ n: 1 });
    await crashed.journal.append({ n: 2 });
    const { journal, records } = await Journal.open<Entry>(dir);
    expect(records).toHaveLength(2);

    // Act: the next run applied them, appended one, and checkpointed everything
    await journal.append({ n: 3 });
    await journal.cover(journal.rotate());

    // Assess
    expect(segments(dir)).toEqual([]);
    expect(journal.status).toMatchObject({ covered: 3, segments: 0 });
    expect((await Journal.open<Entry>(dir)).records).toEqual([]);
    await crashed.journal.close();
    await journal.close();
  });

  it("ignores a line cut short at the end of a segment (never acknowledged), and refuses one it cannot read elsewhere", async () => {
    // Prepare
    const dir = journalDir();
    const { journal } = await Journal.open<Entry>(dir);
    await journal.append({ n: 1 });
    await journal.close();
    const [segment = ""] = segments(dir);

    // Act 1: a write cut short by a crash
    appendFileSync(join(dir, segment), '{"lsn":2,"n"');
    const torn = await Journal.open<Entry>(dir);

    // Assess 1
    expect(torn.records).toEqual([{ lsn: 1, n: 1 }]);
    await torn.journal.close();

    // Act 2: damage in the middle
    appendFileSync(join(dir, segment), ':2}\nnot json\n{"lsn":3,"n":3}\n');

    // Assess 2
    await expect(Journal.open<Entry>(dir)).rejects.toThrow(CorruptJournalError);
  });

  it("refuses appends once closed", async () => {
    const { journal } = await Journal.open<Entry>(journalDir());
    await journal.close();
    await expect(journal.append({ n: 1 })).rejects.toThrow(JournalClosedError);
  });
});
