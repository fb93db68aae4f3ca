/**
 * The console's server glue: `/` is the page, `/console/*` its static files (plain ES modules and CSS
 * read from local/console/assets, plus the graph layout library from node_modules), and
 * `/console/catalog.json` what no AWS API returns (workflow descriptions, input schemas, samples).
 * Everything else the page shows it reads from the APIs the SDK and the CLI use. The routes are not
 * public: the listener's Host check and its JSON-only POST rule apply to the page's calls as to any.
 */
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { workflowCatalog } from "../../workflows/catalog.ts";
import { RequestError, readBody } from "../server/aws-json.ts";
import { type Route, sendJson } from "../server/http.ts";
import { consoleCatalog } from "./catalog.ts";

const ASSETS = fileURLToPath(new URL("./assets/", import.meta.url));

const TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
};

interface Asset {
  readonly type: string;
  readonly body: Buffer;
  readonly gzip: Buffer;
}

function asset(type: string, body: Buffer): Asset {
  return { type, body, gzip: gzipSync(body, { level: 9 }) };
}

/** Every file the console serves, by URL path; nothing outside this map is read. */
export function consoleAssets(): Map<string, Asset> {
  const files = new Map<string, Asset>();
  const walk = (dir: string, prefix: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(dir, entry.name), `${prefix}${entry.name}/`);
      else if (TYPES[extname(entry.name)])
        files.set(
          `${prefix}${entry.name}`,
          asset(TYPES[extname(entry.name)] as string, readFileSync(join(dir, entry.name))),
        );
    }
  };
  walk(ASSETS, "/console/");
  // The package exports no subpath: its browser build sits beside its package.json.
  const dagre = dirname(createRequire(import.meta.url).resolve("@dagrejs/dagre/package.json"));
  files.set(
    "/console/vendor/dagre.js",
    asset(TYPES[".js"] as string, readFileSync(join(dagre, "dist", "dagre.min.js"))),
  );
  return files;
}

/** The page may load only its own files and call only its own origin; no other site may frame it. */
const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

function send(
  request: Parameters<Route["handle"]>[0],
  response: Parameters<Route["handle"]>[1],
  file: Asset,
  cache: string,
): void {
  const gzip = /\bgzip\b/.test(String(request.headers["accept-encoding"] ?? ""));
  const body = gzip ? file.gzip : file.body;
  response.writeHead(200, {
    ...SECURITY_HEADERS,
    "content-type": file.type,
    "content-length": body.length,
    "cache-control": cache,
    vary: "accept-encoding",
    ...(gzip ? { "content-encoding": "gzip" } : {}),
  });
  response.end(body);
}

export interface ConsoleOptions {
  /** The runtime's regions, primary first: no AWS API lists the regions a deployment spans. */
  readonly regions: readonly string[];
}

export function consoleRoutes(options: ConsoleOptions): Route[] {
  const files = consoleAssets();
  const index = files.get("/console/index.html");
  if (!index) throw new Error(`the console's index.html is missing from ${ASSETS}`);
  let catalog: Asset | undefined;
  return [
    { method: "GET", path: "/", handle: (request, response) => send(request, response, index, "no-cache") },
    {
      method: "GET",
      path: "/console/catalog.json",
      handle(request, response) {
        catalog ??= asset(
          TYPES[".json"] as string,
          Buffer.from(JSON.stringify({ ...consoleCatalog(), regions: options.regions })),
        );
        send(request, response, catalog, "no-cache");
      },
    },
    {
      // The contract check `cplane run` makes in-process, for the start form: JSON Schema cannot
      // say everything a contract does (a refinement such as "slug or tenantId"). Changes nothing.
      method: "POST",
      path: "/console/validate",
      async handle(request, response) {
        let body: { workflow?: unknown; input?: unknown };
        try {
          body = JSON.parse((await readBody(request)).toString("utf8")) as typeof body;
        } catch {
          throw new RequestError(400, "BadRequest", "body must be JSON: { workflow, input }");
        }
        const spec = workflowCatalog.get(String(body?.workflow));
        if (!spec) throw new RequestError(404, "NotFound", `no workflow ${String(body?.workflow)}`);
        const parsed = spec.input.safeParse(body.input);
        sendJson(response, 200, {
          issues: parsed.success
            ? []
            : parsed.error.issues.map((i) => ({ path: i.path.join(".") || "(input)", message: i.message })),
        });
      },
    },
    {
      method: "GET",
      path: /^\/console\/[a-z0-9/_-]+\.(?:js|css|html)$/,
      handle(request, response) {
        const path = new URL(request.url ?? "/", "http://localhost").pathname;
        const file = files.get(path);
        if (!file) {
          response.writeHead(404, { "content-type": "text/plain" });
          response.end(`no console file ${path}`);
          return;
        }
        send(request, response, file, "no-cache");
      },
    },
  ];
}
