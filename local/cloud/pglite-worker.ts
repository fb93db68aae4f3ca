/**
 * A database thread: the tenant databases (PGlite, Postgres in WASM) that `DatabaseThreads`
 * (pglite-threads.ts) places here, driven by messages. Postgres's work is synchronous WASM, and every
 * open copies megabytes into an in-memory file system; run in the runtime's own thread, that work
 * starved the handlers, the engine and the bus of their event loop (bench/README.md). Here it runs
 * beside them, on another core when there is one, and its garbage is collected in its own heap.
 *
 * Requests are `{ id, db, op, ... }`; every answer is `{ id, ok: true, value }` or
 * `{ id, ok: false, error }` with the error's own fields (a Postgres error's `code`, `severity`, ...,
 * which the Data API maps to AWS's messages).
 */
import { parentPort } from "node:worker_threads";
import type { PGliteOptions, QueryOptions, Transaction } from "@electric-sql/pglite";
import { PGlite } from "@electric-sql/pglite";
import { type HeldTransaction, holdTransaction } from "./held-transaction.ts";

export type WorkerRequest =
  | { id: number; db: number; op: "open"; options: PGliteOptions }
  | {
      id: number;
      db: number;
      op: "query";
      sql: string;
      params?: unknown[];
      options?: QueryOptions;
      tx?: number;
    }
  | { id: number; db: number; op: "exec"; sql: string; options?: QueryOptions; tx?: number }
  | { id: number; db: number; op: "begin" }
  | { id: number; db: number; op: "end"; tx: number; action: "commit" | "rollback" }
  | { id: number; db: number; op: "dump"; compression: "gzip" | "none" }
  | { id: number; db: number; op: "close" };

export type WorkerAnswer =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: Record<string, unknown> };

type OpenTransaction = HeldTransaction<Transaction>;

interface Hosted {
  readonly pg: PGlite;
  readonly transactions: Map<number, OpenTransaction>;
}

const port = parentPort;
if (!port) throw new Error("pglite-worker.ts runs as a worker thread (see pglite-threads.ts)");

const databases = new Map<number, Hosted>();
let nextTx = 0;

function hosted(db: number): Hosted {
  const found = databases.get(db);
  if (!found) throw new Error(`database ${db} is not open in this thread`);
  return found;
}

/** What a request runs on: its transaction, or the database. */
function querier(db: number, tx: number | undefined): Pick<PGlite, "query" | "exec"> | Transaction {
  const { pg, transactions } = hosted(db);
  if (tx === undefined) return pg;
  const open = transactions.get(tx);
  if (!open) throw new Error(`transaction ${tx} is not open`);
  return open.tx;
}

/** Starts a transaction that stays open until `end` names it (the Data API's BeginTransaction). */
async function begin(db: number): Promise<number> {
  const { pg, transactions } = hosted(db);
  const id = ++nextTx;
  const { tx, end, done } = await holdTransaction<Transaction>(pg);
  transactions.set(id, { tx, end, done });
  return id;
}

async function finish(db: number, id: number, action: "commit" | "rollback"): Promise<void> {
  const { transactions } = hosted(db);
  const open = transactions.get(id);
  if (!open) throw new Error(`transaction ${id} is not open`);
  transactions.delete(id);
  open.end(action);
  await open.done;
}

async function handle(request: WorkerRequest): Promise<unknown> {
  switch (request.op) {
    case "open":
      if (databases.has(request.db)) throw new Error(`database ${request.db} is already open`);
      databases.set(request.db, { pg: await PGlite.create(request.options), transactions: new Map() });
      return null;
    case "query":
      return querier(request.db, request.tx).query(request.sql, request.params, request.options);
    case "exec":
      return querier(request.db, request.tx).exec(request.sql, request.options);
    case "begin":
      return begin(request.db);
    case "end":
      return finish(request.db, request.tx, request.action);
    case "dump":
      return hosted(request.db).pg.dumpDataDir(request.compression);
    case "close": {
      const { pg, transactions } = hosted(request.db);
      databases.delete(request.db);
      // What is still open is rolled back, as a database that shuts down does.
      for (const open of transactions.values()) open.end("rollback");
      await Promise.allSettled([...transactions.values()].map((open) => open.done));
      await pg.close();
      return null;
    }
  }
}

/** An error as plain data: structured cloning keeps an Error's message but not its own fields. */
function describe(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  const fields: Record<string, unknown> = { name: error.name, message: error.message };
  for (const [key, value] of Object.entries(error)) {
    if (value === undefined || typeof value === "function") continue;
    try {
      structuredClone(value);
      fields[key] = value;
    } catch {
      // A field that cannot cross threads stays behind; the message and code are what callers read.
    }
  }
  return fields;
}

port.on("message", (request: WorkerRequest) => {
  handle(request).then(
    (value) => port.postMessage({ id: request.id, ok: true, value } satisfies WorkerAnswer),
    (error: unknown) =>
      port.postMessage({ id: request.id, ok: false, error: describe(error) } satisfies WorkerAnswer),
  );
});
