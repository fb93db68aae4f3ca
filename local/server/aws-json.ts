/**
 * The AWS JSON protocols (1.0 for Step Functions, 1.1 for EventBridge) on a plain Node HTTP server:
 * `POST /` with `X-Amz-Target: <prefix>.<Operation>` and a JSON body; errors as `{ __type, message }`
 * with a 4xx status for the caller's mistakes and 5xx for ours, which is what the AWS SDK and CLI parse.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { RequestError } from "./errors.ts";
import { type ServiceModel, validateRequest } from "./model.ts";

export { RequestError };

/** One operation: takes the parsed request body, returns the response body. */
export type Operation = (input: Record<string, unknown>) => Promise<unknown> | unknown;

export interface AwsJsonService {
  /** `AWSStepFunctions` (JSON 1.0) or `AWSEvents` (JSON 1.1). */
  readonly targetPrefix: string;
  readonly contentType: "application/x-amz-json-1.0" | "application/x-amz-json-1.1";
  readonly operations: Readonly<Record<string, Operation>>;
  /**
   * AWS's model of the service's inputs: when given, every request is validated against its
   * operation's input shape before the operation runs, and the operation receives only modelled members.
   */
  readonly model?: ServiceModel;
  /** Whether an error is one the service defines (a 400); anything else is an internal error (a 500). */
  isClientError(error: Error): boolean;
}

/** Largest request body accepted (Step Functions accepts 256 KiB payloads; JSON escaping adds some). */
export const MAX_BODY_BYTES = 1024 * 1024;

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

const JSON_CONTENT_TYPE = /^application\/x-amz-json-1\.[01]\s*(;.*)?$/i;
const TARGET = /^([A-Za-z][\w]*)\.([A-Za-z][A-Za-z0-9]*)$/;

/**
 * The service and operation a target names, if any. The operation is looked up among the service's
 * own operations only: `hasOwnProperty`, `constructor` or `__proto__` name no operation, and a target
 * with anything after the operation's name (`X.ListStateMachines.Extra`) names none either.
 */
function resolveTarget(services: readonly AwsJsonService[], target: string) {
  const match = TARGET.exec(target);
  const service = match ? services.find((s) => s.targetPrefix === match[1]) : undefined;
  const name = match?.[2] ?? "";
  const operation = service && Object.hasOwn(service.operations, name) ? service.operations[name] : undefined;
  return { service, operation, name };
}

/**
 * Runs one operation of a service on a request body, the one way every caller reaches our services
 * (the HTTP server and handlers' in-process SDK clients alike): only the service's own operations
 * (`UnknownOperationException` otherwise), the body an object (`SerializationException`), validated
 * against AWS's model of the operation's input and cut to its modelled members before it runs.
 */
export async function callOperation(service: AwsJsonService, name: string, input: unknown): Promise<unknown> {
  const operation = Object.hasOwn(service.operations, name) ? service.operations[name] : undefined;
  if (!operation)
    throw new RequestError(
      400,
      "UnknownOperationException",
      `unknown operation ${service.targetPrefix}.${name}`,
    );
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    throw new RequestError(400, "SerializationException", "request body must be a JSON object");
  }
  const body = service.model ? validateRequest(service.model, name, input as Record<string, unknown>) : input;
  return operation(body as Record<string, unknown>);
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
  const { service, operation, name } = resolveTarget(services, target);
  const contentType = service?.contentType ?? "application/x-amz-json-1.1";
  try {
    if (request.method !== "POST")
      throw new RequestError(405, "MethodNotAllowed", "AWS JSON calls are POST requests");
    if (!service || !operation)
      throw new RequestError(400, "UnknownOperationException", `unknown operation ${target}`);
    // The AWS front end routes JSON protocol calls by target and content type together: a body of
    // another type is no call it knows (the SDKs and the CLI always send application/x-amz-json-1.x).
    if (!JSON_CONTENT_TYPE.test(request.headers["content-type"] ?? "")) {
      throw new RequestError(
        400,
        "UnknownOperationException",
        `${target} takes content-type ${service.contentType}, not '${request.headers["content-type"] ?? ""}'`,
      );
    }
    const raw = (await readBody(request)).toString("utf8");
    let input: unknown;
    try {
      input = raw.trim() === "" ? {} : JSON.parse(raw);
    } catch {
      throw new RequestError(400, "SerializationException", "request body is not valid JSON");
    }
    const output = await callOperation(service, name, input);
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
