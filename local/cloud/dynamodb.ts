/**
 * DynamoDB through a real implementation: one dynalite server per region on 127.0.0.1 (in memory, or
 * on LevelDB under the data directory), each in a thread of its own (dynalite-worker.ts), reached by a
 * plain SDK client, so every operation dynalite implements behaves and fails as DynamoDB does
 * (conditions, `ConditionalCheckFailedException`, ...).
 *
 * Calls from `@aws-sdk/lib-dynamodb`'s document client reach the binding before the document client
 * marshalls them (the binding sits at the initialize step), so native JavaScript values arrive here.
 * Those calls are recognised by their values (a key, item or expression value that is not an
 * AttributeValue) and forwarded through a document client, which marshalls the input and unmarshalls
 * the output, as on AWS. A call carrying no values at all (a Scan without filter) is taken as raw.
 */
import { Agent } from "node:http";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import * as ddb from "@aws-sdk/client-dynamodb";
import * as doc from "@aws-sdk/lib-dynamodb";
import type { CloudContext } from "./context.ts";
import type { EmulatedService, Operation } from "./service.ts";
import { addTo } from "./service.ts";

type AnyCommand = new (input: never) => object;
type Sender = { send(command: object): Promise<unknown> };

interface RegionServer {
  worker: Worker;
  client: ddb.DynamoDBClient;
  document: doc.DynamoDBDocumentClient;
  endpoint: string;
}

const ATTRIBUTE_TYPES = new Set(["S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL"]);

function isAttributeValue(value: unknown): boolean {
  if (!value || typeof value !== "object" || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && ATTRIBUTE_TYPES.has(keys[0] ?? "");
}

/** The value maps of an input: items, keys and expression values, wherever the operation carries them. */
function valueMaps(input: Record<string, unknown>): unknown[] {
  const maps: unknown[] = [];
  const visit = (node: unknown, depth: number): void => {
    if (!node || typeof node !== "object" || depth > 6) return;
    if (Array.isArray(node)) {
      for (const item of node) visit(item, depth + 1);
      return;
    }
    for (const [key, value] of Object.entries(node)) {
      // An SDK input may carry a field set to undefined (`ExclusiveStartKey` on a first page).
      if (value === undefined) continue;
      if (
        key === "Item" ||
        key === "Key" ||
        key === "ExpressionAttributeValues" ||
        key === "ExclusiveStartKey"
      ) {
        maps.push(value);
      } else if (key === "Keys" && Array.isArray(value)) maps.push(...value);
      else if (key === "Parameters" && Array.isArray(value))
        maps.push(Object.fromEntries(value.map((v, i) => [i, v])));
      else visit(value, depth + 1);
    }
  };
  visit(input, 0);
  return maps;
}

/** Whether the input came from the document client (native values) rather than the raw client. */
export function isDocumentInput(input: Record<string, unknown>): boolean {
  return valueMaps(input).some(
    (map) => !map || typeof map !== "object" || !Object.values(map).every((v) => isAttributeValue(v)),
  );
}

const DOCUMENT_COMMANDS: Record<string, AnyCommand> = {
  GetItem: doc.GetCommand as unknown as AnyCommand,
  PutItem: doc.PutCommand as unknown as AnyCommand,
  UpdateItem: doc.UpdateCommand as unknown as AnyCommand,
  DeleteItem: doc.DeleteCommand as unknown as AnyCommand,
  Query: doc.QueryCommand as unknown as AnyCommand,
  Scan: doc.ScanCommand as unknown as AnyCommand,
  BatchGetItem: doc.BatchGetCommand as unknown as AnyCommand,
  BatchWriteItem: doc.BatchWriteCommand as unknown as AnyCommand,
  TransactGetItems: doc.TransactGetCommand as unknown as AnyCommand,
  TransactWriteItems: doc.TransactWriteCommand as unknown as AnyCommand,
};

const RAW_OPERATIONS = [
  "CreateTable",
  "DeleteTable",
  "DescribeTable",
  "ListTables",
  "UpdateTable",
  "UpdateTimeToLive",
  "DescribeTimeToLive",
  "TagResource",
  "UntagResource",
  "ListTagsOfResource",
  ...Object.keys(DOCUMENT_COMMANDS),
];

/** Operations after which dynalite moves the table through a transitional status on a timer. */
const TABLE_CHANGES = new Set(["CreateTable", "DeleteTable", "UpdateTable"]);

export class DynamoDb implements EmulatedService {
  readonly name = "DynamoDB";
  private readonly ctx: CloudContext;
  private readonly dataDir: string | undefined;
  private readonly servers = new Map<string, Promise<RegionServer>>();
  /** Table names per region, kept for the synchronous `describe()`. */
  private readonly tableNames = new Map<string, Set<string>>();
  readonly operations: Record<string, Operation> = {};

  /** Wall-clock milliseconds dynalite keeps a table CREATING, DELETING or UPDATING (0 but in tests). */
  private readonly tableStatusMs: number;

  constructor(ctx: CloudContext, dataDir?: string, { tableStatusMs = 0 }: { tableStatusMs?: number } = {}) {
    this.ctx = ctx;
    this.dataDir = dataDir;
    this.tableStatusMs = tableStatusMs;
    for (const operation of RAW_OPERATIONS) {
      this.operations[operation] = ((input: Record<string, unknown>, region: string) =>
        this.forward(operation, input, region)) as Operation;
    }
  }

  /** The region's dynalite endpoint (`http://127.0.0.1:port`), started on first use. */
  async endpoint(region: string): Promise<string> {
    return (await this.server(region)).endpoint;
  }

  /** Creates a table unless it exists (for the runtime's own tables). */
  async ensureTable(region: string, input: ddb.CreateTableCommandInput): Promise<void> {
    const { client } = await this.server(region);
    try {
      await client.send(new ddb.DescribeTableCommand({ TableName: input.TableName }));
    } catch (error) {
      if ((error as Error).name !== "ResourceNotFoundException") throw error;
      await client.send(new ddb.CreateTableCommand({ BillingMode: "PAY_PER_REQUEST", ...input }));
      await this.settled(client, String(input.TableName));
      this.tableNames.get(region)?.add(String(input.TableName));
    }
  }

  private server(region: string): Promise<RegionServer> {
    let started = this.servers.get(region);
    if (!started) {
      started = this.ctx.track(
        this.start(region).then(async (running) => {
          // Tables persisted under the data directory from an earlier run.
          const listed = await running.client.send(new ddb.ListTablesCommand({}));
          this.tableNames.set(region, new Set(listed.TableNames ?? []));
          return running;
        }),
      );
      this.servers.set(region, started);
    }
    return started;
  }

  private start(region: string): Promise<RegionServer> {
    const worker = new Worker(new URL("./dynalite-worker.ts", import.meta.url), {
      // The thread's name in `top -H` and /proc (15 characters are kept): whose CPU is whose.
      name: `ddb ${region}`,
      workerData: {
        path: this.dataDir ? join(this.dataDir, "dynamodb", region) : undefined,
        createTableMs: this.tableStatusMs,
        deleteTableMs: this.tableStatusMs,
        updateTableMs: this.tableStatusMs,
      },
    });
    // The server thread keeps nothing alive on its own: the client's sockets do while a call is out.
    worker.unref();
    return new Promise((resolve, reject) => {
      worker.once("error", reject);
      worker.once("exit", (code) =>
        reject(new Error(`the dynalite thread exited (code ${code}) before it listened`)),
      );
      worker.once("message", (message: { port?: number; error?: string }) => {
        if (message.port === undefined) {
          reject(new Error(`dynalite could not listen: ${message.error}`));
          return;
        }
        const endpoint = `http://127.0.0.1:${message.port}`;
        const client = new ddb.DynamoDBClient({
          region,
          endpoint,
          credentials: { accessKeyId: "local", secretAccessKey: "local" },
          maxAttempts: 1,
          // A fresh connection per request: a kept-alive socket that dynalite's server closes after
          // its idle timeout would otherwise fail the next call with ECONNRESET (seen under load).
          requestHandler: { httpAgent: new Agent({ keepAlive: false }) },
        });
        // No logger: its middleware would walk every response (a Scan of the whole registry) for nothing.
        client.middlewareStack.remove("loggerMiddleware");
        resolve({
          worker,
          client,
          endpoint,
          // Lenient on input (the caller's own translate options are not visible here), AWS's defaults on output.
          document: doc.DynamoDBDocumentClient.from(client, {
            marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: true },
          }),
        });
      });
    });
  }

  private async forward(operation: string, input: Record<string, unknown>, region: string): Promise<unknown> {
    const { client, document } = await this.server(region);
    const documentCommand = DOCUMENT_COMMANDS[operation];
    const useDocument = documentCommand !== undefined && isDocumentInput(input);
    const Command = useDocument
      ? documentCommand
      : (ddb as unknown as Record<string, AnyCommand>)[`${operation}Command`];
    if (!Command) throw new Error(`DynamoDB ${operation} has no command`);
    const command = new Command(input as never);
    const sender = (useDocument ? document : client) as unknown as Sender;
    const output = (await sender.send(command)) as Record<string, unknown>;
    if (TABLE_CHANGES.has(operation)) await this.settled(client, String(input.TableName));
    const names = this.tableNames.get(region) ?? new Set<string>();
    this.tableNames.set(region, names);
    if (operation === "CreateTable") names.add(String(input.TableName));
    if (operation === "DeleteTable") names.delete(String(input.TableName));
    const { $metadata: _metadata, ...rest } = output;
    return rest;
  }

  /**
   * Waits out dynalite's table status change. It answers CreateTable with CREATING and flips the status
   * on a timer (0 ms here) and a second store write, and until then refuses item calls with
   * ResourceNotFoundException: on a loaded machine a put right after a create on LevelDB lost that race
   * (CI, and 4 of 12 runs of the persistence test with six at once). On AWS the change takes seconds and
   * callers wait for it; here it is meant to be instant, so the call that made it returns after it.
   */
  private async settled(client: ddb.DynamoDBClient, tableName: string): Promise<void> {
    const deadline = Date.now() + this.tableStatusMs + 10_000;
    while (Date.now() < deadline) {
      let status: string | undefined;
      try {
        const described = await client.send(new ddb.DescribeTableCommand({ TableName: tableName }));
        status = described.Table?.TableStatus;
      } catch (error) {
        if ((error as Error).name === "ResourceNotFoundException") return;
        throw error;
      }
      if (status === "ACTIVE") return;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    throw new Error(`DynamoDB table ${tableName} did not settle after a status change`);
  }

  describe(): Record<string, Record<string, unknown[]>> {
    const out = {};
    for (const [region, names] of this.tableNames)
      for (const name of names) addTo(out, region, "tables", { name });
    return out;
  }

  /** Table names per started region (async: dynalite answers over HTTP). */
  async tables(): Promise<Record<string, string[]>> {
    const out: Record<string, string[]> = {};
    for (const [region, started] of this.servers) {
      const { client } = await started;
      out[region] = (await client.send(new ddb.ListTablesCommand({}))).TableNames ?? [];
    }
    return out;
  }

  async close(): Promise<void> {
    for (const started of this.servers.values()) {
      const running = await started.catch(() => undefined);
      if (!running) continue;
      // The server first: it stops accepting and lets the requests it serves finish; destroying
      // the client first would abort them while dynalite goes on to write into a closing store.
      const { worker } = running;
      await new Promise<void>((resolve) => {
        worker.on("message", (message: { closed?: boolean }) => {
          if (message.closed) resolve();
        });
        worker.once("exit", () => resolve());
        worker.postMessage({ close: true });
      });
      await worker.terminate();
      running.client.destroy();
    }
    this.servers.clear();
  }
}
