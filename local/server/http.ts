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
  /**
   * Reachable under any Host name (a function URL behind a tunnel, authenticated by the handler
   * itself). Every other route answers only requests addressed to this loopback listener.
   */
  readonly public?: boolean;
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

/** Domain errors a plain route may throw, and the status each answers with. */
const ROUTE_ERRORS: Readonly<Record<string, number>> = {
  ResourceNotFoundException: 404,
  ValidationException: 400,
  InvalidClockOptionError: 400,
  URIError: 400,
  // A local-cloud fault naming a snapshot the cloud does not hold (`cplane fault corrupt-snapshot`).
  DBClusterSnapshotNotFoundFault: 404,
};

export async function listen(options: {
  host?: string;
  port?: number;
  services: readonly AwsJsonService[];
  routes: readonly Route[];
}): Promise<LocalServer> {
  const host = options.host ?? "127.0.0.1";
  const server = createServer((request, response) => {
    void dispatch(request, response).catch((error: unknown) => {
      const named = error instanceof Error ? ROUTE_ERRORS[error.name] : undefined;
      if (!response.headersSent && error instanceof RequestError) {
        sendJson(response, error.status, { error: error.type, message: error.message });
      } else if (!response.headersSent && named && error instanceof Error) {
        sendJson(response, named, { error: error.name, message: error.message });
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

  /**
   * A web page the user visits can send requests to 127.0.0.1 (and, by DNS rebinding, read the
   * answers): only requests addressed to this listener by a loopback name are served.
   */
  const loopbackHost = (request: IncomingMessage): boolean => {
    const host = request.headers.host ?? "";
    const port = (server.address() as AddressInfo | null)?.port;
    return [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`].includes(host);
  };

  async function dispatch(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
    const publicRoute = options.routes.find(
      (r) => r.public && r.method === request.method && r.path === path,
    );
    if (!publicRoute && !loopbackHost(request)) {
      sendJson(response, 403, {
        error: "Forbidden",
        message: "requests must be addressed to 127.0.0.1 or localhost",
      });
      return;
    }
    if (await handleAwsJson(options.services, request, response)) return;
    // A browser may POST text/plain across origins without asking first; application/json it may not.
    if (
      request.method === "POST" &&
      !publicRoute &&
      !(request.headers["content-type"] ?? "").startsWith("application/json")
    ) {
      sendJson(response, 415, {
        error: "UnsupportedMediaType",
        message: "POST requests take content-type: application/json",
      });
      return;
    }
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
