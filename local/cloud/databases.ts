/**
 * One PGlite (Postgres in WASM) per emulated Aurora cluster, created lazily on first use (it takes
 * real time, hundreds of ms) and reused. A cluster's data can be dumped (snapshots) and a new cluster
 * can start from a dump (restores, global secondaries). Every real async step is tracked on the clock.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { PGliteOptions } from "@electric-sql/pglite";
import { PGlite } from "@electric-sql/pglite";

/**
 * Shared by every database in the process: the compiled WASM modules and file-system bundle, and an
 * empty, freshly initialised data directory. Starting from that template skips initdb, which makes a
 * new cluster's database start several times faster than the first one.
 */
/** The global `WebAssembly` object (the project's Node-only type setup declares its types, not the value). */
const wasm = (
  globalThis as unknown as { WebAssembly: { compile(bytes: Uint8Array): Promise<WebAssembly.Module> } }
).WebAssembly;

let shared: Promise<Pick<PGliteOptions, "pgliteWasmModule" | "initdbWasmModule" | "fsBundle">> | undefined;
let template: Promise<Blob> | undefined;

function sharedOptions() {
  if (!shared) {
    const dir = dirname(createRequire(import.meta.url).resolve("@electric-sql/pglite"));
    shared = Promise.all([
      readFile(join(dir, "pglite.wasm")).then((b) => wasm.compile(b)),
      readFile(join(dir, "initdb.wasm")).then((b) => wasm.compile(b)),
      readFile(join(dir, "pglite.data")),
    ]).then(([pgliteWasmModule, initdbWasmModule, bundle]) => ({
      pgliteWasmModule,
      initdbWasmModule,
      fsBundle: new Blob([bundle]),
    }));
    shared.catch(() => {
      shared = undefined;
    });
  }
  return shared;
}

async function emptyTemplate(): Promise<Blob> {
  if (!template) {
    template = (async () => {
      const db = await PGlite.create(await sharedOptions());
      try {
        return await db.dumpDataDir("none");
      } finally {
        await db.close();
      }
    })();
    template.catch(() => {
      template = undefined;
    });
  }
  return template;
}

export type Corruption = "rows" | "unrestorable";

export interface DataImage {
  /** `dumpDataDir("gzip")` output; undefined means an empty database. */
  readonly data?: Blob;
  readonly corruption?: Corruption;
}

interface Entry {
  db?: Promise<PGlite>;
  /** What `get()` hands out: the database, counting every call on it (see `revision`). */
  handle?: Promise<PGlite>;
  image?: DataImage;
  /** Tells entries apart across drops and seeds. */
  readonly serial: number;
  /** Calls on the database that have settled. */
  uses: number;
}

/** PGlite methods that only read what `revision` is about. */
const READS_NOTHING = new Set(["dumpDataDir", "waitReady", "close", "listen", "unlisten", "onNotification"]);

export class Databases {
  private readonly entries = new Map<string, Entry>();
  private serial = 0;
  private readonly track: <T>(work: Promise<T>) => Promise<T>;
  /** Real milliseconds the last PGlite start took (for the report). */
  lastStartMs = 0;

  constructor(track: <T>(work: Promise<T>) => Promise<T>) {
    this.track = track;
  }

  /** Sets the data a cluster starts from (restore, global secondary); drops a started database. */
  async seed(key: string, image: DataImage): Promise<void> {
    await this.drop(key);
    this.entries.set(key, { image, serial: ++this.serial, uses: 0 });
  }

  /**
   * A token that changes whenever the cluster's data may have changed: a new seed, or any call on
   * the database since (counted once it settled, so that a call still running when an image is
   * taken changes the token after it). Equal tokens mean an image taken at the first serves the
   * second; undefined when there is no such cluster.
   */
  revision(key: string): string | undefined {
    const entry = this.entries.get(key);
    return entry ? `${entry.serial}.${entry.uses}` : undefined;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** The cluster's database, started on first call. */
  get(key: string): Promise<PGlite> {
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { serial: ++this.serial, uses: 0 };
      this.entries.set(key, entry);
    }
    if (!entry.db || !entry.handle) {
      const started = this.track(this.start(entry.image));
      const counted = entry;
      entry.db = started;
      entry.handle = started.then((db) => countingUses(db, counted));
    }
    return entry.handle;
  }

  private async start(image: DataImage | undefined): Promise<PGlite> {
    const started = performance.now();
    if (image?.corruption === "unrestorable") throw new Error("snapshot data is unreadable");
    const options = await sharedOptions();
    const db = await PGlite.create({ ...options, loadDataDir: image?.data ?? (await emptyTemplate()) });
    if (image?.corruption === "rows") await corruptRows(db);
    this.lastStartMs = performance.now() - started;
    return db;
  }

  /**
   * The cluster's data now (a started database is dumped; an unstarted one keeps its seed). An
   * untracked dump (a checkpoint's) does not hold an instant clock still while it runs.
   */
  async dump(key: string, { track = true }: { track?: boolean } = {}): Promise<DataImage> {
    const entry = this.entries.get(key);
    if (!entry) return {};
    if (!entry.db) return entry.image ?? {};
    const db = await entry.db;
    const dumped = db.dumpDataDir("gzip");
    return { data: await (track ? this.track(dumped) : dumped) };
  }

  async drop(key: string): Promise<void> {
    const entry = this.entries.get(key);
    this.entries.delete(key);
    if (entry?.db) {
      const db = await entry.db.catch(() => undefined);
      await db?.close();
    }
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }

  async close(): Promise<void> {
    await Promise.all(this.keys().map((key) => this.drop(key)));
  }
}

/**
 * The database as callers see it: every method call, once settled, counts as a use (a possible
 * change of the data). The calls reach the database itself, whose private state a proxy cannot hold.
 */
function countingUses(db: PGlite, entry: Entry): PGlite {
  const counted = () => {
    entry.uses++;
  };
  return new Proxy(db, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      if (typeof property === "string" && READS_NOTHING.has(property)) return value.bind(target);
      return (...args: unknown[]) => {
        const result: unknown = value.apply(target, args);
        if (result instanceof Promise) return result.finally(counted);
        counted();
        return result;
      };
    },
  });
}

/** Deletes about half of the rows of every user table: what a verification must notice. */
async function corruptRows(db: PGlite): Promise<void> {
  const tables = await db.query<{ schemaname: string; tablename: string }>(
    "select schemaname, tablename from pg_tables where schemaname not in ('pg_catalog', 'information_schema')",
  );
  for (const t of tables.rows) {
    const name = `"${t.schemaname.replaceAll('"', '""')}"."${t.tablename.replaceAll('"', '""')}"`;
    await db.exec(`delete from ${name} where ctid in (select ctid from ${name} tablesample bernoulli (50))`);
    const left = await db.query<{ n: number }>(`select count(*)::int as n from ${name}`);
    const first = left.rows[0];
    if (first && first.n > 0) {
      await db.exec(`delete from ${name} where ctid = (select ctid from ${name} limit 1)`);
    }
  }
}
