/**
 * Where tenant databases run: in a few database threads (pglite-worker.ts), or in the runtime's own
 * thread. Either way a caller gets an `OpenDatabase`: the calls the Data API and the database
 * lifecycle make of a PGlite (`query`, `exec`, `transaction`, `dumpDataDir`, `close`).
 *
 * The threads are a small fixed pool (four by default): a database is placed in the
 * thread holding the fewest when it opens and stays there until it closes, so a thread's cost (an
 * isolate and the PGlite module) is paid once, not per database. A thread holds the process open
 * only while a call is on its way. A thread that dies fails its databases' calls with
 * `DatabaseThreadExitedError` (what was not yet in an image is lost, as in a crash); the next open
 * starts a new thread.
 */
import { Worker } from "node:worker_threads";
import type { PGliteOptions, QueryOptions, Results, Transaction } from "@electric-sql/pglite";
import { PGlite } from "@electric-sql/pglite";
import type { WorkerAnswer, WorkerRequest } from "./pglite-worker.ts";

/** A transaction's handle: statements inside it, and a rollback. */
export type DatabaseTransaction = Pick<Transaction, "query" | "exec" | "rollback">;

/** An open tenant database, wherever it runs. */
export interface OpenDatabase {
  query<T = Record<string, unknown>>(
    sql: string,
    params?: unknown[],
    options?: QueryOptions,
  ): Promise<Results<T>>;
  exec(sql: string, options?: QueryOptions): Promise<Results[]>;
  /** Commits when `work` resolves (unless it rolled back), rolls back when it throws. */
  transaction<T>(work: (tx: DatabaseTransaction) => Promise<T>): Promise<T>;
  dumpDataDir(compression: "gzip" | "none"): Promise<Blob>;
  close(): Promise<void>;
}

export interface DatabaseHost {
  open(options: PGliteOptions): Promise<OpenDatabase>;
  /** Ends the threads (their databases must have been closed first). */
  close(): Promise<void>;
}

/** The thread that held a database ended (it crashed, or the host closed) with its calls on their way. */
export class DatabaseThreadExitedError extends Error {
  override name = "DatabaseThreadExitedError";
}

/** Databases in the runtime's own thread (what `threads: 0` asks for). */
export const inThisThread: DatabaseHost = {
  async open(options) {
    return (await PGlite.create(options)) as unknown as OpenDatabase;
  },
  async close() {},
};

/**
 * The default number of database threads: four, on any number of cores. A thread runs its databases'
 * calls one after another, so a quick query waits behind another database's open or dump; with more
 * threads each holds fewer databases. 50 onboardings at once on 2 cores (load 10-14): 4 threads, 50 of
 * 50 in 78.9 s; 2 threads, 49 of 50 in 140.9 s (bench/README.md). A thread holding no database ends.
 */
export const DEFAULT_THREADS = 4;

type Request = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, "id"> : never) : never;

class DatabaseThread {
  private readonly worker: Worker;
  private readonly pending = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (error: Error) => void }
  >();
  private nextId = 0;
  exited: Error | undefined;
  /** Databases placed here and not yet closed. */
  hosting = 0;

  constructor() {
    // Named for `top -H` and /proc: whose CPU is whose.
    this.worker = new Worker(new URL("./pglite-worker.ts", import.meta.url), { name: "databases" });
    this.worker.unref();
    this.worker.on("message", (answer: WorkerAnswer) => this.settle(answer));
    this.worker.on("error", (error) => this.fail(error));
    this.worker.on("exit", (code) =>
      this.fail(new DatabaseThreadExitedError(`a database thread exited (code ${code})`)),
    );
  }

  call(request: Request): Promise<unknown> {
    if (this.exited) return Promise.reject(this.exited);
    const id = ++this.nextId;
    // Held open while a call is on its way, so that the process waits for the answer.
    if (this.pending.size === 0) this.worker.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...request, id });
    });
  }

  async terminate(): Promise<void> {
    await this.worker.terminate();
  }

  private settle(answer: WorkerAnswer): void {
    const waiting = this.pending.get(answer.id);
    if (!waiting) return;
    this.pending.delete(answer.id);
    if (this.pending.size === 0) this.worker.unref();
    if (answer.ok) waiting.resolve(answer.value);
    else waiting.reject(Object.assign(new Error(String(answer.error.message)), answer.error));
  }

  private fail(error: Error): void {
    this.exited ??=
      error instanceof DatabaseThreadExitedError ? error : new DatabaseThreadExitedError(error.message);
    for (const waiting of this.pending.values()) waiting.reject(this.exited);
    this.pending.clear();
  }
}

/**
 * Wall milliseconds a thread holding no database lives on. Then it ends, and its heap with it: an
 * isolate does not collect garbage while idle, and the file systems of the databases it closed were
 * most of a fleet's settled memory (1.9 GB after 50 onboardings, against 0.7 GB in one thread).
 */
const EMPTY_THREAD_MS = 10_000;

/** A fixed pool of database threads. */
export class DatabaseThreads implements DatabaseHost {
  private readonly threads: (DatabaseThread | undefined)[];
  private nextDb = 0;
  private readonly emptyMs: number;

  constructor(size: number = DEFAULT_THREADS, { emptyMs = EMPTY_THREAD_MS }: { emptyMs?: number } = {}) {
    if (!Number.isInteger(size) || size < 1)
      throw new RangeError(`database threads must be a positive integer; got ${size}`);
    this.threads = Array.from({ length: size }, () => undefined);
    this.emptyMs = emptyMs;
  }

  /** Threads running now. */
  get running(): number {
    return this.threads.filter((t) => t !== undefined && !t.exited).length;
  }

  async open(options: PGliteOptions): Promise<OpenDatabase> {
    const thread = this.place();
    const db = ++this.nextDb;
    thread.hosting++;
    try {
      await thread.call({ db, op: "open", options });
    } catch (error) {
      this.release(thread);
      throw error;
    }
    return remote(thread, db, () => this.release(thread));
  }

  /** A database left the thread: one that holds none ends after a while. */
  private release(thread: DatabaseThread): void {
    if (--thread.hosting > 0) return;
    setTimeout(() => {
      const slot = this.threads.indexOf(thread);
      if (thread.hosting > 0 || slot < 0) return;
      this.threads[slot] = undefined;
      void thread.terminate();
    }, this.emptyMs).unref();
  }

  async close(): Promise<void> {
    const threads = this.threads.filter((t) => t !== undefined);
    this.threads.fill(undefined);
    await Promise.all(threads.map((t) => t.terminate()));
  }

  /**
   * The live thread holding the fewest databases; a new thread in an empty (or dead) slot only when
   * every live one holds some, so that one database never starts a whole pool.
   */
  private place(): DatabaseThread {
    let best: DatabaseThread | undefined;
    let free = -1;
    for (let i = 0; i < this.threads.length; i++) {
      const thread = this.threads[i];
      if (!thread || thread.exited) {
        if (free < 0) free = i;
        continue;
      }
      if (!best || thread.hosting < best.hosting) best = thread;
    }
    if (best && (best.hosting === 0 || free < 0)) return best;
    const started = new DatabaseThread();
    this.threads[free] = started;
    return started;
  }
}

function remote(thread: DatabaseThread, db: number, released: () => void): OpenDatabase {
  let closed = false;
  return {
    query: <T>(sql: string, params?: unknown[], options?: QueryOptions) =>
      thread.call({ db, op: "query", sql, params, options }) as Promise<Results<T>>,
    exec: (sql: string, options?: QueryOptions) =>
      thread.call({ db, op: "exec", sql, options }) as Promise<Results[]>,
    async transaction<T>(work: (tx: DatabaseTransaction) => Promise<T>): Promise<T> {
      const tx = (await thread.call({ db, op: "begin" })) as number;
      let ended = false;
      const end = async (action: "commit" | "rollback") => {
        if (ended) return;
        ended = true;
        await thread.call({ db, op: "end", tx, action });
      };
      const handle: DatabaseTransaction = {
        query: <R>(sql: string, params?: unknown[], options?: QueryOptions) =>
          thread.call({ db, op: "query", sql, params, options, tx }) as Promise<Results<R>>,
        exec: (sql: string, options?: QueryOptions) =>
          thread.call({ db, op: "exec", sql, options, tx }) as Promise<Results[]>,
        rollback: () => end("rollback"),
      };
      let result: T;
      try {
        result = await work(handle);
      } catch (error) {
        // The work's error is the one to report. A thread that died took its transaction with it, so
        // its rollback failing says nothing new; any other rollback failure is thrown beside it.
        await end("rollback").catch((rollbackError: unknown) => {
          if (rollbackError instanceof DatabaseThreadExitedError) return;
          throw new AggregateError(
            [error, rollbackError],
            `${(error as Error).message}; the rollback failed too`,
          );
        });
        throw error;
      }
      await end("commit");
      return result;
    },
    dumpDataDir: (compression: "gzip" | "none") =>
      thread.call({ db, op: "dump", compression }) as Promise<Blob>,
    async close() {
      if (closed) return;
      closed = true;
      try {
        if (!thread.exited) await thread.call({ db, op: "close" });
      } finally {
        released();
      }
    },
  };
}
