/**
 * The AWS JSON protocols (1.0 for Step Functions, 1.1 for EventBridge) on a plain Node HTTP server:
 * `POST /` with `X-Amz-Target: <prefix>.<Operation>` and a JSON body; errors as `{ __type, message }`
 * with a 4xx status for the caller's mistakes and 5xx for ours, which is what the AWS SDK and CLI parse.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

/** One operation: takes the parsed request body, returns the response body. */
export type Operation = (input: Record<string, unknown>) => Promise<unknown> | unknown;

export interface AwsJsonService {
  /** `AWSStepFunctions` (JSON 1.0) or `AWSEvents` (JSON 1.1). */
  readonly targetPrefix: string;
  readonly contentType: "application/x-amz-json-1.0" | "application/x-amz-json-1.1";
  readonly operations: Readonly<Record<string, Operation>>;
  /** Whether an error is one the service defines (a 400); anything else is an internal error (a 500). */
  isClientError(error: Error): boolean;
}

/** Largest request body accepted (Step Functions accepts 256 KiB payloads; JSON escaping adds some). */
export const MAX_BODY_BYTES = 1024 * 1024;

export class RequestError extends Error {
  readonly status: number;
  readonly type: string;

  constructor(status: number, type: string, message: string) {
    super(message);
    this.name = type;
    this.status = status;
    this.type = type;
  }
}

export async function readBody(request: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit)
      throw new RequestError(413, "RequestEntityTooLargeException", `request body exceeds ${limit} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/** Dates become epoch seconds, as the AWS JSON protocols send timestamps. */
export function toWire(value: unknown): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (Array.isArray(value)) return value.map(toWire);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) if (item !== undefined) out[key] = toWire(item);
    return out;
  }
  return value;
}

function send(response: ServerResponse, status: number, contentType: string, body: unknown): void {
  const text = JSON.stringify(body ?? {});
  response.writeHead(status, {
    "content-type": contentType,
    "content-length": Buffer.byteLength(text),
    "x-amzn-requestid": crypto.randomUUID(),
  });
  response.end(text);
}

/**
 * Answers one AWS JSON request for whichever service's prefix the target names. Returns false when
 * the request is not an AWS JSON call at all (no `X-Amz-Target`), so other routes can take it.
 */
export async function handleAwsJson(
  services: readonly AwsJsonService[],
  request: IncomingMessage,
  response: ServerResponse,
): Promise<boolean> {
  const target = request.headers["x-amz-target"];
  if (typeof target !== "string") return false;
  const [prefix, operationName] = target.split(".", 2);
  const service = services.find((s) => s.targetPrefix === prefix);
  const contentType = service?.contentType ?? "application/x-amz-json-1.1";
  try {
    if (request.method !== "POST")
      throw new RequestError(405, "MethodNotAllowed", "AWS JSON calls are POST requests");
    const operation = service && operationName ? service.operations[operationName] : undefined;
    if (!operation) throw new RequestError(400, "UnknownOperationException", `unknown operation ${target}`);
    const raw = (await readBody(request)).toString("utf8");
    let input: unknown;
    try {
      input = raw.trim() === "" ? {} : JSON.parse(raw);
    } catch {
      throw new RequestError(400, "SerializationException", "request body is not valid JSON");
    }
    if (input === null || typeof input !== "object" || Array.isArray(input)) {
      throw new RequestError(400, "SerializationException", "request body must be a JSON object");
    }
    const output = await operation(input as Record<string, unknown>);
    send(response, 200, contentType, toWire(output));
  } catch (error) {
    if (error instanceof RequestError) {
      send(response, error.status, contentType, { __type: error.type, message: error.message });
    } else if (error instanceof Error && service?.isClientError(error)) {
      send(response, 400, contentType, { __type: error.name, message: error.message });
    } else {
      const message = error instanceof Error ? error.message : String(error);
      send(response, 500, contentType, { __type: "InternalServerError", message });
    }
  }
  return true;
}

export interface FieldRules {
  readonly required?: readonly string[];
  readonly strings?: readonly string[];
  readonly numbers?: readonly string[];
  readonly booleans?: readonly string[];
  readonly arrays?: readonly string[];
}

/**
 * Checks an operation's input before anything runs, as AWS does: a missing required member is a
 * ValidationException, a member of the wrong JSON type a SerializationException.
 */
export function checkFields(input: Record<string, unknown>, rules: FieldRules): void {
  const missing = (rules.required ?? []).filter((name) => input[name] === undefined || input[name] === null);
  if (missing.length > 0) {
    throw new RequestError(
      400,
      "ValidationException",
      `${missing.length} validation error${missing.length > 1 ? "s" : ""} detected: ${missing
        .map((name) => `Value null at '${name}' failed to satisfy constraint: Member must not be null`)
        .join("; ")}`,
    );
  }
  const wrong = (names: readonly string[] | undefined, ok: (value: unknown) => boolean, type: string) => {
    for (const name of names ?? []) {
      if (input[name] !== undefined && input[name] !== null && !ok(input[name])) {
        throw new RequestError(400, "SerializationException", `'${name}' must be a ${type}`);
      }
    }
  };
  wrong(rules.strings, (v) => typeof v === "string", "string");
  wrong(rules.numbers, (v) => typeof v === "number" && Number.isFinite(v), "number");
  wrong(rules.booleans, (v) => typeof v === "boolean", "boolean");
  wrong(rules.arrays, Array.isArray, "list");
}
