/** Tenant databases (PGlite) open while in use, closed with their data kept, shared as images. */
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Databases, InvalidDatabasesOptionError } from "../../../local/cloud/databases.ts";

const open: Databases[] = [];
const dirs: string[] = [];

function databases(options: { maxOpen?: number; idleMs?: number; folder?: string } = {}): Databases {
  const db = new Databases({ track: (work) => work, idleMs: 60_000, minIdleMs: 0, ...options });
  open.push(db);
  return db;
}

/** Polls (real time) until `probe` holds; the assertion after it says what did not happen. */
async function eventually(probe: () => boolean, withinMs = 10_000): Promise<void> {
  const until = Date.now() + withinMs;
  while (!probe() && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
}

async function names(db: Databases, key: string): Promise<string[]> {
  const result = await (await db.get(key)).query<{ name: string }>("select name from items order by name");
  return result.rows.map((r) => r.name);
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((db) => db.close()));
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe("open databases", { timeout: 120_000 }, () => {
  it("stay within the bound: the least recently used is closed, and reopens with its data", async () => {
    const db = databases({ maxOpen: 2 });
    for (const key of ["a", "b", "c"]) {
      await (await db.get(key)).exec(
        `create table items (name text); insert into items values ('${key}-row')`,
      );
    }
    await eventually(() => db.stats().closed === 1);

    expect(db.stats().open).toBe(2);
    expect(db.isOpen("a")).toBe(false);
    expect(db.stats().closed).toBe(1);

    expect(await names(db, "a")).toEqual(["a-row"]);
    expect(db.stats().reopened).toBe(1);
    await eventually(() => db.stats().open <= 2);
    expect(db.isOpen("b")).toBe(false);
    expect(await names(db, "b")).toEqual(["b-row"]);
    expect(await names(db, "c")).toEqual(["c-row"]);
  });

  it("close once idle, keeping their data for the next call", async () => {
    const db = databases({ idleMs: 50 });
    await (await db.get("a")).exec("create table items (name text); insert into items values ('kept')");
    await eventually(() => db.stats().closed === 1);

    expect(db.isOpen("a")).toBe(false);
    expect(await names(db, "a")).toEqual(["kept"]);
    expect(db.stats()).toMatchObject({ opened: 2, reopened: 1, closed: 1 });
  });

  it("stay open when a call comes while their image is being taken for a close", async () => {
    const db = databases({ idleMs: 100 });
    await (await db.get("a")).exec("create table items (name text); insert into items values ('kept')");
    await eventually(() => !db.isOpen("a"));
    // The close has begun: it takes the image (hundreds of ms) before it closes anything.
    expect(db.stats().closed).toBe(0);

    expect(await names(db, "a")).toEqual(["kept"]);

    expect(db.stats().reopened).toBe(0);
  });

  it("are never closed while a transaction is open on them", async () => {
    const db = databases({ maxOpen: 1 });
    const a = await db.get("a");
    await a.exec("create table items (name text)");
    let commit: () => void = () => undefined;
    const committed = new Promise<void>((resolve) => {
      commit = resolve;
    });
    const transaction = a.transaction(async (tx) => {
      await tx.exec("insert into items values ('in the transaction')");
      await committed;
    });
    await (await db.get("b")).exec("create table items (name text)");
    await new Promise((resolve) => setTimeout(resolve, 50));

    expect(db.isOpen("a")).toBe(true);
    commit();
    await transaction;
    expect(await names(db, "a")).toEqual(["in the transaction"]);
  });

  it("refuses a bound that is not a positive integer", () => {
    expect(() => databases({ maxOpen: 0 })).toThrow(InvalidDatabasesOptionError);
  });
});

describe("images", { timeout: 120_000 }, () => {
  it("are shared while the data has not changed, and new once it has", async () => {
    const db = databases();
    await (await db.get("a")).exec("create table items (name text)");

    const first = await db.image("a");
    const again = await db.image("a");
    await (await db.get("a")).exec("insert into items values ('changed')");
    const after = await db.image("a");

    expect(again.data).toBe(first.data);
    expect(after.data).not.toBe(first.data);
  });

  it("of closed databases are files, and a closed database's image is the one it closed with", async () => {
    const folder = await mkdtemp(join(tmpdir(), "cplane-images-"));
    dirs.push(folder);
    const db = databases({ idleMs: 50, folder });
    await (await db.get("a")).exec("create table items (name text); insert into items values ('x')");
    await eventually(() => !db.isOpen("a"));

    const image = await db.image("a");
    expect(db.isOpen("a")).toBe(false);
    expect(image.data?.file).toBeDefined();
    expect(await readdir(folder)).toHaveLength(1);
  });
});
