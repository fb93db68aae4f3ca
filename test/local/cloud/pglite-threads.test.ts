import { afterEach, describe, expect, it } from "vitest";
import { emptyTemplate, sharedOptions } from "../../../local/cloud/pg-template.ts";
import { type DatabaseHost, DatabaseThreads, inThisThread } from "../../../local/cloud/pglite-threads.ts";

const hosts: DatabaseHost[] = [];
afterEach(async () => {
  for (const host of hosts.splice(0)) await host.close();
});

async function openOn(host: DatabaseHost) {
  return host.open({ ...(await sharedOptions()), loadDataDir: await emptyTemplate() });
}

describe.each([
  ["in a database thread", () => new DatabaseThreads(1)],
  ["in this thread", () => inThisThread],
])("databases %s", (_, makeHost) => {
  it("run apart, with transactions that commit or roll back", async () => {
    const host = makeHost();
    hosts.push(host);
    const [a, b] = [await openOn(host), await openOn(host)];
    await a.exec("create table t (n int)");
    await b.exec("create table t (n int)");

    await a.transaction(async (tx) => {
      await tx.query("insert into t values ($1)", [1]);
    });
    await b.transaction(async (tx) => {
      await tx.query("insert into t values ($1)", [2]);
      await tx.rollback();
    });
    await expect(
      a.transaction(async (tx) => {
        await tx.query("insert into t values ($1)", [3]);
        throw new Error("the work failed");
      }),
    ).rejects.toThrow("the work failed");

    expect((await a.query<{ n: number }>("select n from t order by n")).rows).toEqual([{ n: 1 }]);
    expect((await b.query<{ n: number }>("select n from t")).rows).toEqual([]);
    await Promise.all([a.close(), b.close()]);
  });
});

describe("database threads", () => {
  it("keep a Postgres error's own fields, which the Data API maps", async () => {
    const host = new DatabaseThreads(1);
    hosts.push(host);
    const db = await openOn(host);

    await expect(db.query("selec 1")).rejects.toMatchObject({
      message: 'syntax error at or near "selec"',
      code: "42601",
      severity: "ERROR",
    });
  });

  it("start a thread for a database only when every running one holds some, and end one left empty", async () => {
    const host = new DatabaseThreads(2, { emptyMs: 50 });
    hosts.push(host);

    const first = await openOn(host);
    const alone = host.running;
    const second = await openOn(host);
    const both = host.running;
    await Promise.all([first.close(), second.close()]);
    await new Promise((resolve) => setTimeout(resolve, 300));

    expect([alone, both, host.running]).toEqual([1, 2, 0]);
    const third = await openOn(host);
    expect((await third.query<{ one: number }>("select 1 as one")).rows).toEqual([{ one: 1 }]);
  });

  it("fail a dead thread's calls with DatabaseThreadExitedError, and open the next database on a new thread", async () => {
    const host = new DatabaseThreads(1);
    hosts.push(host);
    const db = await openOn(host);
    const image = await db
      .exec("create table kept (n int); insert into kept values (7)")
      .then(() => db.dumpDataDir("gzip"));

    await host.close();

    await expect(db.query("select 1")).rejects.toMatchObject({ name: "DatabaseThreadExitedError" });
    const again = await host.open({ ...(await sharedOptions()), loadDataDir: image });
    expect((await again.query<{ n: number }>("select n from kept")).rows).toEqual([{ n: 7 }]);
  });
});
