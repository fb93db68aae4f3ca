/**
 * The RDS Data API on PGlite: ExecuteStatement (named parameters, type hints, typed records or JSON),
 * BatchExecuteStatement, and transactions. A global secondary is read-only and applies its primary's
 * writes after the configured replication lag; a failover with data loss drops what had not arrived.
 */
import type {
  BatchExecuteStatementCommandInput,
  BeginTransactionCommandInput,
  ColumnMetadata,
  CommitTransactionCommandInput,
  ExecuteStatementCommandInput,
  Field,
  RollbackTransactionCommandInput,
  SqlParameter,
} from "@aws-sdk/client-rds-data";
import type { Results } from "@electric-sql/pglite";
import type { TimerHandle } from "../clock/clock.ts";
import type { CloudContext } from "./context.ts";
import { randomId } from "./context.ts";
import type { Database, Databases } from "./databases.ts";
import { fail } from "./errors.ts";
import { holdTransaction } from "./held-transaction.ts";
import type { DatabaseTransaction } from "./pglite-threads.ts";
import type { Cluster, Global, Rds } from "./rds.ts";
import type { SecretsManager } from "./secrets.ts";
import type { EmulatedService } from "./service.ts";

type Param = string | number | bigint | boolean | null | Uint8Array | Param[];
type Querier = Pick<Database, "query" | "exec"> | DatabaseTransaction;

interface OpenTransaction {
  id: string;
  clusterArn: string;
  tx: DatabaseTransaction;
  finish: (action: "commit" | "rollback") => Promise<void>;
  writes: { sql: string; params: Param[] }[];
  idle: ReturnType<typeof setTimeout> | undefined;
}

/**
 * AWS ends a transaction idle for 3 minutes. Measured in wall time, as the handlers that hold
 * transactions run: at speed 60, 3 simulated minutes were 3 real seconds, and a migration whose next
 * statement waited that long for a busy database thread lost its transaction (MigrationFailedError).
 */
const TRANSACTION_IDLE_MS = 3 * 60_000;

export class RdsData implements EmulatedService {
  readonly name = "RDSData";
  private readonly ctx: CloudContext;
  private readonly rds: Rds;
  private readonly databases: Databases;
  private readonly secrets: SecretsManager;
  private readonly transactions = new Map<string, OpenTransaction>();
  /** Writes on their way to a secondary, by secondary ARN. */
  private readonly inFlight = new Map<string, { timer: TimerHandle; apply: () => Promise<void> }[]>();
  private readonly chains = new Map<string, Promise<void>>();

  constructor(ctx: CloudContext, rds: Rds, databases: Databases, secrets: SecretsManager) {
    this.ctx = ctx;
    this.rds = rds;
    this.databases = databases;
    this.secrets = secrets;
    rds.onPromote = (global, dataLoss) => this.promoted(global, dataLoss);
  }

  private target(region: string, resourceArn: string | undefined, secretArn: string | undefined): Cluster {
    if (!resourceArn) fail("BadRequestException", "resourceArn is required");
    const cluster = this.rds.clusterByArn(resourceArn);
    if (!cluster || cluster.region !== region) {
      fail("BadRequestException", `HttpEndpoint is not enabled for resource ${resourceArn}`);
    }
    const notReady = this.rds.dataApiReadiness(cluster);
    if (notReady) {
      fail(
        notReady.startsWith("HttpEndpoint") ? "BadRequestException" : "DatabaseUnavailableException",
        notReady,
      );
    }
    const secret = secretArn ? this.secrets.find(region, secretArn) : undefined;
    if (!secret || secret.deletedDate) {
      fail("BadRequestException", "Error fetching secret: Secrets Manager can't find the specified secret.");
    }
    return cluster;
  }

  private async run(
    cluster: Cluster,
    db: Querier,
    sql: string,
    params: Param[],
    hasParams: boolean,
  ): Promise<Results> {
    if (cluster.readOnly && isWrite(sql)) {
      fail(
        "DatabaseErrorException",
        `ERROR: cannot execute ${firstWord(sql).toUpperCase()} in a read-only transaction; SQLState: 25006`,
      );
    }
    try {
      if (!hasParams && splitStatements(sql).length > 1) {
        const all = await this.ctx.track(db.exec(sql));
        const last = all[all.length - 1];
        return last ?? { rows: [], fields: [] };
      }
      return await this.ctx.track(db.query(sql, params, { rowMode: "array" }));
    } catch (error) {
      const e = error as { message?: string; code?: string; position?: string };
      fail(
        "DatabaseErrorException",
        `ERROR: ${e.message ?? String(error)}${e.position ? `\n  Position: ${e.position}` : ""}; SQLState: ${e.code ?? "XX000"}`,
      );
    }
  }

  private touch(tx: OpenTransaction): void {
    clearTimeout(tx.idle);
    tx.idle = setTimeout(() => {
      void tx.finish("rollback");
    }, TRANSACTION_IDLE_MS);
    // An abandoned transaction does not keep the process alive.
    tx.idle.unref();
  }

  private transaction(id: string | undefined, cluster: Cluster): OpenTransaction | undefined {
    if (id === undefined) return undefined;
    const tx = this.transactions.get(id);
    if (!tx || tx.clusterArn !== cluster.arn) fail("BadRequestException", `Transaction ${id} is not found`);
    this.touch(tx);
    return tx;
  }

  /**
   * Counts committed writes on the cluster (its `VolumeWriteIOPs`) and replays them on every secondary
   * of its global database, after the lag.
   */
  private replicate(cluster: Cluster, writes: { sql: string; params: Param[] }[]): void {
    this.rds.noteWrites(cluster.arn, writes.length);
    const global = this.rds.globalOf(cluster);
    if (!global || writes.length === 0) return;
    for (const member of global.members) {
      if (member.isWriter || member.arn === cluster.arn) continue;
      const queue = this.inFlight.get(member.arn) ?? [];
      this.inFlight.set(member.arn, queue);
      const apply = async () => {
        const db = await this.databases.get(member.arn);
        for (const w of writes) await this.ctx.track(db.query(w.sql, w.params)).catch(() => undefined);
      };
      // While the source region is down nothing leaves it: the write waits, and a failover with data loss drops it.
      const entry = { apply, timer: this.ctx.clock.setTimer(0, () => undefined) };
      const arm = () => {
        entry.timer = this.ctx.clock.setTimer(this.ctx.durations.replicationLag, () => {
          if (this.ctx.isRegionDown(cluster.region)) {
            arm();
            return;
          }
          queue.splice(queue.indexOf(entry), 1);
          this.enqueue(member.arn, apply);
        });
      };
      entry.timer.cancel();
      arm();
      queue.push(entry);
    }
  }

  private enqueue(arn: string, work: () => Promise<void>): void {
    const next = (this.chains.get(arn) ?? Promise.resolve()).then(work, work);
    this.chains.set(arn, next);
    void this.ctx.track(next).catch(() => undefined);
  }

  /** After a switchover the new writer first receives everything in flight; after a failover it is lost. */
  private promoted(global: Global, dataLoss: boolean): void {
    for (const member of global.members) {
      const queue = this.inFlight.get(member.arn) ?? [];
      for (const entry of queue.splice(0)) {
        entry.timer.cancel();
        if (!dataLoss) this.enqueue(member.arn, entry.apply);
      }
    }
  }

  readonly operations = {
    ExecuteStatement: async (input: ExecuteStatementCommandInput, region: string) => {
      const cluster = this.target(region, input.resourceArn, input.secretArn);
      const sql = input.sql ?? fail("BadRequestException", "sql is required");
      const { text, values } = bind(sql, input.parameters ?? []);
      const tx = this.transaction(input.transactionId, cluster);
      const db =
        tx?.tx ??
        (await this.databases
          .get(cluster.arn)
          .catch(() =>
            fail("DatabaseUnavailableException", `The database of ${cluster.id} cannot be opened.`),
          ));
      const result = await this.run(cluster, db, text, values, (input.parameters ?? []).length > 0);
      if (isWrite(sql)) {
        if (tx) tx.writes.push({ sql: text, params: values });
        else this.replicate(cluster, [{ sql: text, params: values }]);
      }
      return shape(result, input.includeResultMetadata ?? false, input.formatRecordsAs === "JSON");
    },
    BatchExecuteStatement: async (input: BatchExecuteStatementCommandInput, region: string) => {
      const cluster = this.target(region, input.resourceArn, input.secretArn);
      const sql = input.sql ?? fail("BadRequestException", "sql is required");
      const tx = this.transaction(input.transactionId, cluster);
      const sets = input.parameterSets && input.parameterSets.length > 0 ? input.parameterSets : [[]];
      const db = tx?.tx ?? (await this.databases.get(cluster.arn));
      const updateResults: { generatedFields: Field[] }[] = [];
      const writes: { sql: string; params: Param[] }[] = [];
      const runAll = async (q: Querier) => {
        for (const set of sets) {
          const { text, values } = bind(sql, set);
          const result = await this.run(cluster, q, text, values, true);
          const row = result.rows[0];
          updateResults.push({
            generatedFields: Array.isArray(row)
              ? row.map((v, i) => field(v, result.fields[i]?.dataTypeID ?? 25))
              : [],
          });
          if (isWrite(sql)) writes.push({ sql: text, params: values });
        }
      };
      if (tx) {
        await runAll(tx.tx);
        tx.writes.push(...writes);
      } else {
        await this.ctx.track((db as Database).transaction(runAll));
        this.replicate(cluster, writes);
      }
      return { updateResults };
    },
    BeginTransaction: async (input: BeginTransactionCommandInput, region: string) => {
      const cluster = this.target(region, input.resourceArn, input.secretArn);
      const db = await this.databases.get(cluster.arn);
      const id = randomId(48, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
      const { tx, end, done } = await this.ctx.track(holdTransaction<DatabaseTransaction>(db));
      const open: OpenTransaction = {
        id,
        clusterArn: cluster.arn,
        tx,
        writes: [],
        idle: undefined,
        finish: async (action) => {
          this.transactions.delete(id);
          clearTimeout(open.idle);
          end(action);
          await this.ctx.track(done.catch(() => undefined));
          if (action === "commit") this.replicate(cluster, open.writes);
        },
      };
      this.touch(open);
      this.transactions.set(id, open);
      return { transactionId: id };
    },
    CommitTransaction: async (input: CommitTransactionCommandInput, region: string) => {
      const cluster = this.target(region, input.resourceArn, input.secretArn);
      const tx = this.transaction(input.transactionId, cluster);
      if (!tx) fail("BadRequestException", "transactionId is required");
      await tx.finish("commit");
      return { transactionStatus: "Transaction Committed" };
    },
    RollbackTransaction: async (input: RollbackTransactionCommandInput, region: string) => {
      const cluster = this.target(region, input.resourceArn, input.secretArn);
      const tx = this.transaction(input.transactionId, cluster);
      if (!tx) fail("BadRequestException", "transactionId is required");
      await tx.finish("rollback");
      return { transactionStatus: "Rollback Complete" };
    },
  };

  describe(): Record<string, Record<string, unknown[]>> {
    return {
      local: {
        databases: this.databases.keys().map((arn) => ({ cluster: arn, open: this.databases.isOpen(arn) })),
        // Open PGlite instances against the bound, and what reopening closed ones cost.
        engines: [this.databases.stats()],
        transactions: [...this.transactions.values()].map((t) => ({ id: t.id, cluster: t.clusterArn })),
      },
    };
  }

  async close(): Promise<void> {
    for (const tx of [...this.transactions.values()]) await tx.finish("rollback");
    for (const queue of this.inFlight.values()) for (const entry of queue) entry.timer.cancel();
  }
}

// ---------------------------------------------------------------- SQL and values

function firstWord(sql: string): string {
  return (
    sql
      .replace(/^(\s|--[^\n]*\n|\/\*[\s\S]*?\*\/)+/, "")
      .match(/^[a-zA-Z]+/)?.[0]
      ?.toLowerCase() ?? ""
  );
}

const READS = new Set([
  "select",
  "show",
  "explain",
  "values",
  "table",
  "begin",
  "commit",
  "rollback",
  "set",
  "",
]);

export function isWrite(sql: string): boolean {
  const word = firstWord(sql);
  if (word === "with") return /\b(insert|update|delete)\b/i.test(sql);
  return !READS.has(word);
}

/** Splits on top-level semicolons (outside quotes, comments and dollar quotes); empty parts dropped. */
export function splitStatements(sql: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    if (c === "'" || c === '"') {
      const end = sql.indexOf(c, i + 1);
      i = end < 0 ? sql.length : end + 1;
    } else if (c === "-" && sql[i + 1] === "-") {
      const end = sql.indexOf("\n", i);
      i = end < 0 ? sql.length : end + 1;
    } else if (c === "/" && sql[i + 1] === "*") {
      const end = sql.indexOf("*/", i + 2);
      i = end < 0 ? sql.length : end + 2;
    } else if (c === "$") {
      const tag = sql.slice(i).match(/^\$[a-zA-Z_]*\$/)?.[0];
      if (tag) {
        const end = sql.indexOf(tag, i + tag.length);
        i = end < 0 ? sql.length : end + tag.length;
      } else i++;
    } else if (c === ";") {
      parts.push(sql.slice(start, i));
      start = ++i;
    } else i++;
  }
  parts.push(sql.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

const HINT_CASTS: Record<string, string> = {
  DATE: "date",
  TIME: "time",
  TIMESTAMP: "timestamp",
  DECIMAL: "numeric",
  JSON: "jsonb",
  UUID: "uuid",
};

/** Turns `:name` placeholders into `$n` (outside quotes, comments and `::` casts) and converts the values. */
export function bind(sql: string, parameters: readonly SqlParameter[]): { text: string; values: Param[] } {
  const byName = new Map(parameters.map((p) => [p.name ?? "", p]));
  const index = new Map<string, number>();
  const values: Param[] = [];
  let out = "";
  let i = 0;
  while (i < sql.length) {
    const c = sql[i] ?? "";
    if (c === "'" || c === '"') {
      const end = sql.indexOf(c, i + 1);
      const stop = end < 0 ? sql.length : end + 1;
      out += sql.slice(i, stop);
      i = stop;
    } else if (c === "-" && sql[i + 1] === "-") {
      const end = sql.indexOf("\n", i);
      const stop = end < 0 ? sql.length : end;
      out += sql.slice(i, stop);
      i = stop;
    } else if (c === ":" && sql[i + 1] === ":") {
      out += "::";
      i += 2;
    } else if (c === ":" && /[a-zA-Z_]/.test(sql[i + 1] ?? "")) {
      const name = sql.slice(i + 1).match(/^[a-zA-Z_][a-zA-Z0-9_]*/)?.[0] ?? "";
      const param = byName.get(name);
      if (!param) fail("BadRequestException", `No value specified for parameter: ${name}`);
      let n = index.get(name);
      if (n === undefined) {
        values.push(value(param));
        n = values.length;
        index.set(name, n);
      }
      const cast = param.typeHint ? HINT_CASTS[param.typeHint] : undefined;
      out += cast ? `$${n}::${cast}` : `$${n}`;
      i += name.length + 1;
    } else {
      out += c;
      i++;
    }
  }
  return { text: out, values };
}

function value(p: SqlParameter): Param {
  const v = p.value;
  if (!v || v.isNull) return null;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.longValue !== undefined) return v.longValue;
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.booleanValue !== undefined) return v.booleanValue;
  if (v.blobValue !== undefined) return v.blobValue;
  if (v.arrayValue !== undefined) {
    const a = v.arrayValue;
    return (a.stringValues ?? a.longValues ?? a.doubleValues ?? a.booleanValues ?? []) as Param[];
  }
  return null;
}

const TYPE_NAMES: Record<number, [string, number]> = {
  16: ["bool", -7],
  17: ["bytea", -2],
  20: ["int8", -5],
  21: ["int2", 5],
  23: ["int4", 4],
  25: ["text", 12],
  114: ["json", 1111],
  700: ["float4", 7],
  701: ["float8", 8],
  1043: ["varchar", 12],
  1082: ["date", 91],
  1114: ["timestamp", 93],
  1184: ["timestamptz", 93],
  1700: ["numeric", 2],
  2950: ["uuid", 1111],
  3802: ["jsonb", 1111],
};

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

function formatDate(v: Date, type: number): string {
  const date = `${v.getUTCFullYear()}-${pad(v.getUTCMonth() + 1)}-${pad(v.getUTCDate())}`;
  if (type === 1082) return date;
  const ms = v.getUTCMilliseconds();
  return `${date} ${pad(v.getUTCHours())}:${pad(v.getUTCMinutes())}:${pad(v.getUTCSeconds())}${ms ? `.${pad(ms, 3)}` : ""}`;
}

function field(v: unknown, type: number): Field {
  if (v === null || v === undefined) return { isNull: true };
  if (Array.isArray(v)) {
    const items = v as unknown[];
    if (items.every((x) => typeof x === "number" && Number.isInteger(x)) && type !== 1021 && type !== 1022) {
      return { arrayValue: { longValues: items as number[] } };
    }
    if (items.every((x) => typeof x === "number")) return { arrayValue: { doubleValues: items as number[] } };
    if (items.every((x) => typeof x === "boolean"))
      return { arrayValue: { booleanValues: items as boolean[] } };
    return {
      arrayValue: { stringValues: items.map((x) => (typeof x === "string" ? x : JSON.stringify(x))) },
    };
  }
  if (typeof v === "boolean") return { booleanValue: v };
  if (typeof v === "bigint") return { longValue: Number(v) };
  if (typeof v === "number")
    return type === 700 || type === 701 || !Number.isInteger(v) ? { doubleValue: v } : { longValue: v };
  if (v instanceof Date) return { stringValue: formatDate(v, type) };
  if (v instanceof Uint8Array) return { blobValue: v };
  if (typeof v === "object") return { stringValue: JSON.stringify(v) };
  return { stringValue: String(v) };
}

function jsonValue(f: Field): unknown {
  if (f.isNull) return null;
  if (f.arrayValue)
    return (
      f.arrayValue.longValues ??
      f.arrayValue.doubleValues ??
      f.arrayValue.booleanValues ??
      f.arrayValue.stringValues ??
      []
    );
  if (f.blobValue) return Buffer.from(f.blobValue).toString("base64");
  return f.stringValue ?? f.longValue ?? f.doubleValue ?? f.booleanValue ?? null;
}

function shape(result: Results, includeMetadata: boolean, asJson: boolean) {
  const columns: ColumnMetadata[] = result.fields.map((f) => {
    const [typeName, type] = TYPE_NAMES[f.dataTypeID] ?? ["text", 12];
    return { name: f.name, label: f.name, typeName, type, nullable: 1 };
  });
  const rows = result.rows as unknown[][];
  const records = rows.map((row) => row.map((v, i) => field(v, result.fields[i]?.dataTypeID ?? 25)));
  const returnsRows = result.fields.length > 0;
  const out: Record<string, unknown> = {
    numberOfRecordsUpdated: returnsRows && !result.affectedRows ? 0 : (result.affectedRows ?? 0),
    generatedFields: [],
  };
  if (asJson) {
    out.formattedRecords = JSON.stringify(
      records.map((r) =>
        Object.fromEntries(r.map((f, i) => [result.fields[i]?.name ?? `col${i}`, jsonValue(f)])),
      ),
    );
  } else if (returnsRows) out.records = records;
  if (includeMetadata && returnsRows) out.columnMetadata = columns;
  return out;
}
