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
  image?: DataImage;
}

export class Databases {
  private readonly entries = new Map<string, Entry>();
  private readonly track: <T>(work: Promise<T>) => Promise<T>;
  /** Real milliseconds the last PGlite start took (for the report). */
  lastStartMs = 0;

  constructor(track: <T>(work: Promise<T>) => Promise<T>) {
    this.track = track;
  }

  /** Sets the data a cluster starts from (restore, global secondary); drops a started database. */
  async seed(key: string, image: DataImage): Promise<void> {
    await this.drop(key);
    this.entries.set(key, { image });
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** The cluster's database, started on first call. */
  get(key: string): Promise<PGlite> {
    let entry = this.entries.get(key);
    if (!entry) {
      entry = {};
      this.entries.set(key, entry);
    }
    if (!entry.db) entry.db = this.track(this.start(entry.image));
    return entry.db;
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

  /** The cluster's data now (a started database is dumped; an unstarted one keeps its seed). */
  async dump(key: string): Promise<DataImage> {
    const entry = this.entries.get(key);
    if (!entry) return {};
    if (!entry.db) return entry.image ?? {};
    const db = await entry.db;
    return { data: await this.track(db.dumpDataDir("gzip")) };
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
