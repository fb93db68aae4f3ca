/**
 * The console's server glue on a bare listener: the page and its files only to loopback Host names,
 * nothing outside the served files, compression, the security headers, and the catalog the start
 * form is built from (every sample passes its workflow's contract).
 */
import { request } from "node:http";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { consoleAssets, consoleRoutes } from "../../../local/console/routes.ts";
import { type LocalServer, listen } from "../../../local/server/http.ts";
import { workflowCatalog } from "../../../workflows/catalog.ts";

let server: LocalServer;

beforeAll(async () => {
  server = await listen({ services: [], routes: consoleRoutes({ regions: ["us-east-1", "us-west-2"] }) });
});
afterAll(async () => {
  await server?.close();
});

function post(path: string, body: string, contentType = "application/json") {
  return fetch(`${server.url}${path}`, { method: "POST", headers: { "content-type": contentType }, body });
}

function get(path: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }>(
    (resolve, reject) => {
      const req = request(
        {
          host: "127.0.0.1",
          port: server.port,
          path,
          headers: { host: `127.0.0.1:${server.port}`, ...headers },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
          );
        },
      );
      req.on("error", reject);
      req.end();
    },
  );
}

describe("the console's routes", () => {
  it("serves the page at / with a policy that allows only its own scripts and no framing", async () => {
    const page = await get("/");
    expect(page.status).toBe(200);
    expect(page.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(page.body.toString()).toContain('<script type="module" src="/console/app.js">');
    expect(page.headers["content-security-policy"]).toContain("script-src 'self'");
    expect(page.headers["content-security-policy"]).toContain("frame-ancestors 'none'");
  });

  it("refuses the page to a request addressed to another host name (DNS rebinding)", async () => {
    const page = await get("/", { host: `evil.example:${server.port}` });
    expect(page.status).toBe(403);
    const script = await get("/console/app.js", { host: "evil.example" });
    expect(script.status).toBe(403);
  });

  it("serves only its own files: a path out of the assets folder is not found", async () => {
    for (const path of [
      "/console/../routes.ts",
      "/console/%2e%2e/routes.ts",
      "/console/routes.js",
      "/console/catalog.ts",
    ]) {
      const res = await get(path);
      expect(res.status, path).toBe(404);
      expect(res.body.toString()).not.toContain("consoleRoutes");
    }
  });

  it("compresses what it ships when the browser accepts gzip", async () => {
    const plain = await get("/console/vendor/dagre.js");
    const zipped = await get("/console/vendor/dagre.js", { "accept-encoding": "gzip, deflate" });
    expect(zipped.headers["content-encoding"]).toBe("gzip");
    expect(gunzipSync(zipped.body).equals(plain.body)).toBe(true);
    expect(zipped.body.length).toBeLessThan(plain.body.length / 2);
  });

  it("ships ES modules and CSS only, with no build step: every import names a served file", () => {
    const files = consoleAssets();
    for (const [path, file] of files) {
      if (!path.endsWith(".js") || path.includes("/vendor/")) continue;
      for (const [, target] of file.body.toString().matchAll(/from "(\.\/[^"]+)"/g)) {
        expect(
          files.has(new URL(target ?? "", `http://x${path}`).pathname),
          `${path} imports ${target}`,
        ).toBe(true);
      }
    }
  });

  it("preloads every module of its own from the page, so that none waits for the one importing it", () => {
    const files = consoleAssets();
    const page = files.get("/console/index.html")?.body.toString() ?? "";
    const preloaded = [...page.matchAll(/rel="modulepreload" href="([^"]+)"/g)].map((m) => m[1]);
    const modules = [...files.keys()].filter((p) => p.endsWith(".js") && !p.includes("/vendor/"));
    expect(preloaded.sort()).toEqual(modules.sort());
  });

  it("describes every workflow with its input schema and a sample its contract accepts", async () => {
    const res = await get("/console/catalog.json");
    const catalog = JSON.parse(res.body.toString()) as {
      workflows: {
        name: string;
        description: string;
        inputSchema: { type?: string; oneOf?: unknown[]; anyOf?: unknown[] };
        sample: unknown;
      }[];
      samples: { name: string; event: { source: string } }[];
      regions: string[];
    };
    expect(catalog.workflows.map((w) => w.name).sort()).toEqual([...workflowCatalog.keys()].sort());
    for (const workflow of catalog.workflows) {
      const spec = workflowCatalog.get(workflow.name);
      expect(workflow.description).toBe(spec?.description);
      expect(spec?.input.safeParse(workflow.sample).success, workflow.name).toBe(true);
      expect(
        workflow.inputSchema.type ?? workflow.inputSchema.oneOf ?? workflow.inputSchema.anyOf,
        workflow.name,
      ).toBeDefined();
    }
    expect(catalog.samples.map((s) => s.name)).toContain("cplane.tenants.tenant-requested");
    expect(catalog.regions).toEqual(["us-east-1", "us-west-2"]);
  });

  it("checks an input against the workflow's contract, refinements included, and says why", async () => {
    const ok = await post(
      "/console/validate",
      JSON.stringify({ workflow: "tenant-offboarding", input: { slug: "acme" } }),
    );
    expect(await ok.json()).toEqual({ issues: [] });
    const refused = await post(
      "/console/validate",
      JSON.stringify({ workflow: "tenant-offboarding", input: {} }),
    );
    const { issues } = (await refused.json()) as { issues: { path: string; message: string }[] };
    expect(issues.length).toBeGreaterThan(0);
    expect(issues[0]?.message).toMatch(/slug|tenantId/);
    expect((await post("/console/validate", JSON.stringify({ workflow: "nope", input: {} }))).status).toBe(
      404,
    );
    // A form post from another site (text/plain needs no preflight) is refused before it is read.
    expect((await post("/console/validate", "{}", "text/plain")).status).toBe(415);
  });
});
