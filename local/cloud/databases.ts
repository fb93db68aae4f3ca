/**
 * One PGlite (Postgres in WASM) per emulated Aurora cluster, opened when a call needs it and closed
 * again, its data kept as an image, when it has been idle a while or when more than `maxOpen` are open
 * (the least recently used first): an open database costs hundreds of MB, a closed one a file. The
 * first call to a closed database pays the reopen (hundreds of ms), counted in `stats()`. A cluster's
 * data is taken as an immutable image (snapshots), and a new cluster can start from one (restores,
 * global secondaries) without a copy. Every real async step a caller waits on is tracked on the clock.
 * The databases run in database threads (pglite-threads.ts) unless `threads: 0` keeps them in this one.
 */
import { Image } from "./images.ts";
import { emptyTemplate, sharedOptions } from "./pg-template.ts";
import {
  type DatabaseHost,
  DatabaseThreadExitedError,
  DatabaseThreads,
  DEFAULT_THREADS,
  inThisThread,
  type OpenDatabase,
} from "./pglite-threads.ts";

/**
 * Postgres's default 128 MB of shared buffers is most of what an open PGlite costs (about 210 MB
 * resident against 95 MB with 8 MB): a tenant's emulated database holds kilobytes of rows.
 */
const SMALL_SERVER = ["shared_buffers = 8MB"];

export type Corruption = "rows" | "unrestorable";

export interface DataImage {
  /** The data; undefined means an empty database. */
  readonly data?: Image;
  readonly corruption?: Corruption;
}

/** What callers use of a cluster's database: every call reaches the database open now, opening it. */
export type Database = Pick<OpenDatabase, "query" | "exec" | "transaction">;

export interface DatabasesOptions {
  /** Marks real work a caller waits on (the clock's `track`). */
  readonly track: <T>(work: Promise<T>) => Promise<T>;
  /**
   * Databases open at once once their calls settle (more only while each is in use: a database is
   * closed beyond the bound once idle for `minIdleMs`, never in the middle of a handler's calls, and
   * no call ever waits for a slot). Default 16 (about 100 MB each).
   */
  readonly maxOpen?: number;
  /** Wall milliseconds without a call before a database beyond the bound is closed. Default 2 s. */
  readonly minIdleMs?: number;
  /** Wall milliseconds without a call after which an open database is closed. Default 15 s. */
  readonly idleMs?: number;
  /**
   * Database threads the databases run in (pglite-threads.ts); 0 runs them in this thread. Default:
   * four.
   */
  readonly threads?: number;
  /** Where the images of closed databases are stored (else they stay in memory). */
  readonly folder?: string;
}

export interface DatabaseStats {
  readonly open: number;
  readonly maxOpen: number;
  readonly idleMs: number;
  /** Databases that exist (open or closed). */
  readonly databases: number;
  readonly opened: number;
  /** Opens of a database that had been closed: the first call after a close pays this. */
  readonly reopened: number;
  readonly closed: number;
  readonly reopenMsTotal: number;
  readonly lastReopenMs: number;
  /** Images dumped from open databases (for snapshots, checkpoints and closes), and their real time. */
  readonly dumps: number;
  readonly dumpMsTotal: number;
}

export class InvalidDatabasesOptionError extends Error {
  override name = "InvalidDatabasesOptionError";
}

interface Entry {
  /** The database while open (or opening). */
  db?: Promise<OpenDatabase>;
  /** While it closes: a call waits for this, then opens it again. */
  closing?: Promise<void>;
  /** The data as of `imageUses` (what a closed database opens from). */
  image?: Image;
  /** An image being stored, before it becomes `image`. */
  storing?: Image;
  /** While closing: still taking its image (a call may yet keep it open), and whether one did. */
  closeCancellable?: boolean;
  keepOpen?: boolean;
  /** A dump in progress, of the data as of `uses`. */
  taking?: { uses: number; done: Promise<void> };
  imageUses: number;
  /** Applied when the database first opens from a seed. */
  corruption?: Corruption;
  /** Tells entries apart across drops and seeds. */
  readonly serial: number;
  /** Calls on the database that have settled. */
  uses: number;
  /** Calls running now (an open transaction is one): a database with calls running is never closed. */
  active: number;
  /** Wall time (performance.now) of the last call's start or end. */
  lastUsed: number;
  /** Opened at least once (a later open is a reopen). */
  everOpened: boolean;
  readonly handle: Database;
}

export class Databases {
  private readonly entries = new Map<string, Entry>();
  private serial = 0;
  private readonly track: <T>(work: Promise<T>) => Promise<T>;
  private readonly host: DatabaseHost;
  private readonly maxOpen: number;
  private readonly idleMs: number;
  private readonly minIdleMs: number;
  private overBound: ReturnType<typeof setTimeout> | undefined;
  private readonly folder: string | undefined;
  private sweep: ReturnType<typeof setTimeout> | undefined;
  private counts = {
    opened: 0,
    reopened: 0,
    closed: 0,
    reopenMsTotal: 0,
    lastReopenMs: 0,
    dumps: 0,
    dumpMsTotal: 0,
  };
  /** Real milliseconds the last PGlite start took (for the report). */
  lastStartMs = 0;

  constructor(options: DatabasesOptions) {
    this.track = options.track;
    this.maxOpen = options.maxOpen ?? 16;
    this.minIdleMs = options.minIdleMs ?? 2_000;
    this.idleMs = options.idleMs ?? 15_000;
    this.folder = options.folder;
    const threads = options.threads ?? DEFAULT_THREADS;
    if (!Number.isInteger(threads) || threads < 0)
      throw new InvalidDatabasesOptionError(`threads must be a non-negative integer; got ${threads}`);
    this.host = threads === 0 ? inThisThread : new DatabaseThreads(threads);
    if (!Number.isInteger(this.maxOpen) || this.maxOpen < 1)
      throw new InvalidDatabasesOptionError(`maxOpen must be a positive integer; got ${this.maxOpen}`);
    if (!Number.isFinite(this.idleMs) || this.idleMs < 0)
      throw new InvalidDatabasesOptionError(`idleMs must be a non-negative number; got ${this.idleMs}`);
  }

  /** Sets the data a cluster starts from (restore, global secondary); drops a started database. */
  async seed(key: string, image: DataImage): Promise<void> {
    await this.drop(key);
    const entry = this.newEntry();
    entry.image = image.data;
    entry.corruption = image.corruption;
    this.entries.set(key, entry);
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

  /** The cluster's database, opened now if it is not open (errors of the open surface here). */
  async get(key: string): Promise<Database> {
    let entry = this.entries.get(key);
    if (!entry) {
      entry = this.newEntry();
      this.entries.set(key, entry);
    }
    entry.lastUsed = performance.now();
    await this.track(this.open(entry));
    return entry.handle;
  }

  /** Whether the cluster's database is open now (a closed one holds its data as an image). */
  isOpen(key: string): boolean {
    const entry = this.entries.get(key);
    return entry?.db !== undefined && entry.closing === undefined;
  }

  /**
   * The cluster's data now, as an immutable image: the one it already has when nothing changed since
   * it was taken (a closed database, or an open one not used since), else a new one dumped from the
   * open database. An untracked dump (a checkpoint's) does not hold an instant clock still.
   */
  async image(key: string, { track = true }: { track?: boolean } = {}): Promise<DataImage> {
    const entry = this.entries.get(key);
    if (!entry) return {};
    if (!entry.db || entry.closing) {
      await entry.closing;
      return entry.image
        ? { data: entry.image, corruption: entry.corruption }
        : { corruption: entry.corruption };
    }
    if (entry.image && entry.imageUses === entry.uses && entry.active === 0) return { data: entry.image };
    const taken = this.takeImage(entry);
    await (track ? this.track(taken) : taken);
    return entry.image ? { data: entry.image } : {};
  }

  async drop(key: string): Promise<void> {
    const entry = this.entries.get(key);
    this.entries.delete(key);
    if (!entry) return;
    await entry.closing;
    // An open that failed has nothing to close; the call that asked for it was answered with its error.
    const db = await entry.db?.catch(() => undefined);
    entry.db = undefined;
    await db?.close();
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }

  /** Images held by databases now (what a save must not delete). */
  images(): Image[] {
    return [...this.entries.values()].flatMap((e) => [e.image, e.storing].filter((i) => i !== undefined));
  }

  stats(): DatabaseStats {
    let open = 0;
    for (const entry of this.entries.values()) if (entry.db && !entry.closing) open++;
    return { open, maxOpen: this.maxOpen, idleMs: this.idleMs, databases: this.entries.size, ...this.counts };
  }

  async close(): Promise<void> {
    if (this.sweep) clearTimeout(this.sweep);
    if (this.overBound) clearTimeout(this.overBound);
    this.sweep = undefined;
    this.overBound = undefined;
    await Promise.all(this.keys().map((key) => this.drop(key)));
    await this.host.close();
  }

  private newEntry(): Entry {
    const entry: Entry = {
      serial: ++this.serial,
      uses: 0,
      imageUses: -1,
      active: 0,
      lastUsed: performance.now(),
      everOpened: false,
      handle: undefined as unknown as Database,
    };
    const call =
      <K extends keyof Database>(method: K) =>
      (...args: unknown[]) =>
        this.use(entry, (db) => (db[method] as (...a: unknown[]) => Promise<unknown>).apply(db, args));
    (entry as { handle: Database }).handle = {
      query: call("query"),
      exec: call("exec"),
      transaction: call("transaction"),
    } as Database;
    return entry;
  }

  /** Runs one call on the open database (opening it first); it counts as a use once settled. */
  private async use<T>(entry: Entry, work: (db: OpenDatabase) => Promise<T>): Promise<T> {
    entry.active++;
    entry.lastUsed = performance.now();
    try {
      const db = await this.open(entry);
      try {
        return await work(db);
      } catch (error) {
        // Its thread is gone: the next call opens the database again, from its last image.
        if (error instanceof Error && error.name === DatabaseThreadExitedError.name && entry.db) {
          // Forgotten only if the entry still holds this database: an open that failed since holds
          // no database (its own caller got that error), and a newer open must stay.
          const same = await entry.db.then(
            (current) => current === db,
            () => false,
          );
          if (same) entry.db = undefined;
        }
        throw error;
      }
    } finally {
      entry.active--;
      entry.uses++;
      entry.lastUsed = performance.now();
      this.afterUse();
    }
  }

  /** The open database, opening it (after a close in progress) when it is not. */
  private async open(entry: Entry): Promise<OpenDatabase> {
    // A close still taking its image gives way: the call runs on the database, which stays open.
    if (entry.closing && entry.closeCancellable && entry.db) {
      entry.keepOpen = true;
      return entry.db;
    }
    while (entry.closing) await entry.closing;
    if (!entry.db) {
      const reopen = entry.everOpened;
      const opening = this.start(entry, reopen);
      entry.db = opening;
      opening.then(
        () => this.afterUse(),
        () => {
          // Not open: the next call tries again (and fails again, for unreadable data).
          if (entry.db === opening) entry.db = undefined;
        },
      );
    }
    return entry.db;
  }

  private async start(entry: Entry, reopen: boolean): Promise<OpenDatabase> {
    const started = performance.now();
    if (entry.corruption === "unrestorable") throw new Error("snapshot data is unreadable");
    const options = await sharedOptions();
    const data = entry.image ? await entry.image.data() : await emptyTemplate();
    const db = await this.host.open({ ...options, loadDataDir: data, postgresqlconf: SMALL_SERVER });
    if (entry.corruption === "rows") {
      await corruptRows(db);
      // The damage is in the data from now on: an image taken of it keeps it, a reopen must not add to it.
      entry.corruption = undefined;
    }
    entry.everOpened = true;
    // Just opened for a call: the last to close.
    entry.lastUsed = performance.now();
    const ms = performance.now() - started;
    this.lastStartMs = ms;
    this.counts.opened++;
    if (reopen) {
      this.counts.reopened++;
      this.counts.reopenMsTotal += ms;
      this.counts.lastReopenMs = ms;
    }
    return db;
  }

  /** Dumps the open database into a new image, unless the one it has is current (or being taken). */
  private async takeImage(entry: Entry): Promise<void> {
    const db = await entry.db;
    if (!db) return;
    const uses = entry.uses;
    // A checkpoint and a close asking at once share one dump.
    if (entry.taking?.uses === uses) return entry.taking.done;
    const done = this.dumpInto(entry, db, uses);
    entry.taking = { uses, done };
    try {
      await done;
    } finally {
      if (entry.taking?.done === done) entry.taking = undefined;
    }
  }

  private async dumpInto(entry: Entry, db: OpenDatabase, uses: number): Promise<void> {
    entry.active++;
    try {
      if (entry.image && entry.imageUses === uses) return;
      const started = performance.now();
      const image = Image.inMemory(await db.dumpDataDir("gzip"));
      this.counts.dumps++;
      this.counts.dumpMsTotal += performance.now() - started;
      if (this.folder) {
        entry.storing = image;
        try {
          await image.storeIn(this.folder);
        } finally {
          entry.storing = undefined;
        }
      }
      // A newer image (taken meanwhile, after more calls) is not replaced by an older one.
      if (entry.imageUses <= uses) {
        entry.image = image;
        entry.imageUses = uses;
      }
    } finally {
      entry.active--;
    }
  }

  /** Closes the database (its image taken first, unless current); the next call reopens it. */
  private closeEntry(entry: Entry): void {
    if (!entry.db || entry.closing || entry.active > 0) return;
    const opened = entry.db;
    entry.closeCancellable = true;
    entry.keepOpen = false;
    entry.closing = (async () => {
      // An open that failed has nothing to close; the call that asked for it was answered with its error.
      const db = await opened.catch(() => undefined);
      if (db) {
        await this.takeImage(entry);
        // Wanted again while its image was taken: it stays open (the image serves a later close).
        if (entry.keepOpen || entry.active > 0) return;
        entry.closeCancellable = false;
        await db.close();
        this.counts.closed++;
      }
      entry.db = undefined;
    })()
      .catch(() => {
        // A failed dump leaves the database open: nothing is lost, the next sweep tries again.
      })
      .finally(() => {
        const kept = entry.keepOpen;
        entry.closing = undefined;
        entry.closeCancellable = false;
        entry.keepOpen = false;
        if (kept) this.afterUse();
      });
  }

  /** After a call or an open: close the least recently used beyond `maxOpen`, and arm the idle sweep. */
  private afterUse(): void {
    const open = [...this.entries.values()].filter((e) => e.db && !e.closing);
    const excess = open.length - this.maxOpen;
    if (excess > 0) {
      const now = performance.now();
      const idle = open
        .filter((e) => e.active === 0 && now - e.lastUsed >= this.minIdleMs)
        .sort((a, b) => a.lastUsed - b.lastUsed);
      for (const entry of idle.slice(0, excess)) this.closeEntry(entry);
      // Those in use now are closed once they have been idle a moment.
      if (idle.length < excess && !this.overBound) {
        this.overBound = setTimeout(() => {
          this.overBound = undefined;
          this.afterUse();
        }, this.minIdleMs);
        this.overBound.unref();
      }
    }
    this.armSweep();
  }

  /** A wall-clock timer (memory is real, whatever the simulated clock does) that keeps nothing alive. */
  private armSweep(): void {
    if (this.sweep) return;
    this.sweep = setTimeout(() => {
      this.sweep = undefined;
      const now = performance.now();
      let open = false;
      for (const entry of this.entries.values()) {
        if (!entry.db || entry.closing) continue;
        if (entry.active === 0 && now - entry.lastUsed >= this.idleMs) this.closeEntry(entry);
        else open = true;
      }
      if (open) this.armSweep();
    }, this.idleMs);
    this.sweep.unref();
  }
}

/** Deletes about half of the rows of every user table: what a verification must notice. */
async function corruptRows(db: OpenDatabase): Promise<void> {
  const tables = await db.query<{ schemaname: string; tablename: string }>(
    "select schemaname, tablename from pg_tables where schemaname not in ('pg_catalog', 'information_schema')",
  );
  // Foreign keys would refuse deleting a referenced row (and so the whole open): damage ignores them.
  await db.exec("SET session_replication_role = replica");
  for (const t of tables.rows) {
    const name = `"${t.schemaname.replaceAll('"', '""')}"."${t.tablename.replaceAll('"', '""')}"`;
    await db.exec(`delete from ${name} where ctid in (select ctid from ${name} tablesample bernoulli (50))`);
    const left = await db.query<{ n: number }>(`select count(*)::int as n from ${name}`);
    const first = left.rows[0];
    if (first && first.n > 0) {
      await db.exec(`delete from ${name} where ctid = (select ctid from ${name} limit 1)`);
    }
  }
  await db.exec("SET session_replication_role = origin");
}
