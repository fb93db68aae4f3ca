/**
 * The local runtime's one HTTP listener: AWS JSON calls (Step Functions, EventBridge) by their
 * `X-Amz-Target`, and plain routes for what AWS serves elsewhere (the Git webhook's function URL,
 * the runtime's own admin API for the CLI).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type AwsJsonService, handleAwsJson, RequestError } from "./aws-json.ts";

export interface Route {
  readonly method: "GET" | "POST" | "PUT" | "DELETE";
  /** Exact path, or a pattern whose named groups become `params`. */
  readonly path: string | RegExp;
  handle(
    request: IncomingMessage,
    response: ServerResponse,
    params: Record<string, string>,
  ): Promise<void> | void;
}

export interface LocalServer {
  readonly server: Server;
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, null, 2);
  response.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  response.end(text);
}

export async function listen(options: {
  host?: string;
  port?: number;
  services: readonly AwsJsonService[];
  routes: readonly Route[];
}): Promise<LocalServer> {
  const host = options.host ?? "127.0.0.1";
  const server = createServer((request, response) => {
    void dispatch(request, response).catch((error: unknown) => {
      if (!response.headersSent && error instanceof RequestError) {
        sendJson(response, error.status, { error: error.type, message: error.message });
      } else if (!response.headersSent) {
        sendJson(response, 500, {
          error: "InternalServerError",
          message: error instanceof Error ? error.message : String(error),
        });
      } else {
        response.destroy();
      }
    });
  });

  async function dispatch(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (await handleAwsJson(options.services, request, response)) return;
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
    for (const route of options.routes) {
      if (route.method !== request.method) continue;
      if (typeof route.path === "string") {
        if (route.path === path) return route.handle(request, response, {});
        continue;
      }
      const match = route.path.exec(path);
      if (match) return route.handle(request, response, { ...match.groups });
    }
    sendJson(response, 404, { error: "NotFound", message: `no route for ${request.method} ${path}` });
  }

  // Clients (the SDK, the CLI's --follow) keep connections alive between calls; a server that
  // closes idle sockets sooner than they reuse them answers their next request with ECONNRESET.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    port,
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
