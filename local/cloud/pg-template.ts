/**
 * The data directory every new tenant database starts from, and the compiled PGlite modules every
 * database in the process shares.
 *
 * The template is made once per machine, not once per process: initdb costs seconds of CPU (3.4–3.8 s
 * on this machine, quiet), paid before by every runtime start and every test file that opens a
 * database. It is kept under the system's temporary directory, named by PGlite's version and by the
 * recipe below, written atomically, so that a process never reads half of one and a new recipe never
 * reads an old one.
 *
 * The recipe keeps the image small, since every open copies it into the database's in-memory file
 * system and every dump copies it out again:
 * - no template0/template1 (a tenant cluster uses one database, `postgres`; nothing creates others);
 * - WAL segments of 1 MB, not 16 MB, and at most a few of them kept (`min_wal_size`/`max_wal_size`
 *   in `postgresql.auto.conf`, which travels in the image: a database opened from an older image,
 *   with 16 MB segments, keeps the defaults its segment size allows);
 * - the segments initdb recycled ahead of the current one are left out (Postgres makes a missing
 *   future segment when it needs one).
 * The image is 9.7 MB instead of 24 MB (38.5 MB as initdb leaves it).
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { PGliteOptions } from "@electric-sql/pglite";
import { PGlite } from "@electric-sql/pglite";
import { writeAtomically } from "../persistence/files.ts";

const INITDB_ARGS = ["--wal-segsize=1"];
const RECIPE = [
  "UPDATE pg_database SET datistemplate = false WHERE datname = 'template0'",
  "DROP DATABASE template0",
  "UPDATE pg_database SET datistemplate = false WHERE datname = 'template1'",
  "DROP DATABASE template1",
  "ALTER SYSTEM SET min_wal_size = '2MB'",
  "ALTER SYSTEM SET max_wal_size = '16MB'",
  "CHECKPOINT",
];

/** The global `WebAssembly` object (the project's Node-only type setup declares its types, not the value). */
const wasm = (
  globalThis as unknown as { WebAssembly: { compile(bytes: Uint8Array): Promise<WebAssembly.Module> } }
).WebAssembly;

type SharedOptions = Pick<PGliteOptions, "pgliteWasmModule" | "initdbWasmModule" | "fsBundle">;

let shared: Promise<SharedOptions> | undefined;
const templates = new Map<string, Promise<Blob>>();

const pglite = dirname(createRequire(import.meta.url).resolve("@electric-sql/pglite"));

/** The compiled WASM modules and file-system bundle, compiled once per process. */
export function sharedOptions(): Promise<SharedOptions> {
  if (!shared) {
    shared = Promise.all([
      readFile(join(pglite, "pglite.wasm")).then((b) => wasm.compile(b)),
      readFile(join(pglite, "initdb.wasm")).then((b) => wasm.compile(b)),
      readFile(join(pglite, "pglite.data")),
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

/** The default folder of the machine's template: the system's temporary directory. */
export const DEFAULT_TEMPLATE_DIR = join(tmpdir(), "cplane");

/** The template's file in `dir`: PGlite's version and a hash of the recipe name it. */
export async function templateFile(dir: string): Promise<string> {
  const { version } = JSON.parse(await readFile(join(pglite, "..", "package.json"), "utf8")) as {
    version: string;
  };
  const recipe = createHash("sha256")
    .update(JSON.stringify([INITDB_ARGS, RECIPE]))
    .digest("hex")
    .slice(0, 12);
  return join(dir, `pglite-${version}-template-${recipe}.tar`);
}

/** The empty data directory (a tar) a new database starts from: read from `dir`, or made there once. */
export function emptyTemplate(dir = DEFAULT_TEMPLATE_DIR): Promise<Blob> {
  let template = templates.get(dir);
  if (!template) {
    template = (async () => {
      const file = await templateFile(dir);
      const cached = await readFile(file).catch((error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT") return undefined;
        throw error;
      });
      if (cached) return new Blob([cached]);
      const made = await makeTemplate();
      await writeAtomically(file, made);
      return new Blob([made]);
    })();
    template.catch(() => templates.delete(dir));
    templates.set(dir, template);
  }
  return template;
}

async function makeTemplate(): Promise<Uint8Array> {
  const db = await PGlite.create({ ...(await sharedOptions()), initDbStartParams: INITDB_ARGS });
  try {
    for (const statement of RECIPE) await db.exec(statement);
    const { rows } = await db.query<{ current: string }>(
      "SELECT pg_walfile_name(pg_current_wal_insert_lsn()) AS current",
    );
    const current = rows[0]?.current;
    if (!current) throw new Error("the template's current WAL segment could not be read");
    const tar = new Uint8Array(await (await db.dumpDataDir("none")).arrayBuffer());
    return withoutWalAfter(tar, current);
  } finally {
    await db.close();
  }
}

const BLOCK = 512;
const WAL_SEGMENT = /^\/?pg_wal\/([0-9A-F]{24})$/;

/**
 * The tar without the WAL segments named after `current` (initdb's recycled segments, written ahead
 * for later use; Postgres creates them again when it gets there). Entries are kept whole and in order.
 */
export function withoutWalAfter(tar: Uint8Array, current: string): Uint8Array {
  const kept: Uint8Array[] = [];
  const text = new TextDecoder();
  let offset = 0;
  while (offset + BLOCK <= tar.length) {
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((byte) => byte === 0)) break;
    const name = text.decode(header.subarray(0, 100)).replace(/\0[\s\S]*$/, "");
    const size = Number.parseInt(
      text
        .decode(header.subarray(124, 136))
        .replace(/\0[\s\S]*$/, "")
        .trim() || "0",
      8,
    );
    if (!Number.isFinite(size)) throw new Error(`unreadable tar entry size at byte ${offset} (${name})`);
    const length = BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    const segment = WAL_SEGMENT.exec(name)?.[1];
    if (segment === undefined || segment <= current) kept.push(tar.subarray(offset, offset + length));
    offset += length;
  }
  kept.push(new Uint8Array(2 * BLOCK));
  const out = new Uint8Array(kept.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of kept) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
