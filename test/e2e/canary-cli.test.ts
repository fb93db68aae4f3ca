/**
 * The README's canary walkthrough through the real CLI and server: a release made bad with
 * `cplane traffic set` is rolled back by `cplane run canary-promotion --follow`, `cplane traffic list`
 * shows api back on stable, and `cplane canary abort` says so by name when no canary runs.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Runtime } from "../../local/runtime.ts";
import type { LocalServer } from "../../local/server/http.ts";
import { serve } from "../../local/start.ts";
import { runCli } from "../support/cli.ts";
import { canaryRuntime } from "./canary/support.ts";

let runtime: Runtime;
let server: LocalServer;

beforeAll(async () => {
  runtime = await canaryRuntime();
  server = await serve(runtime, 0);
}, 120_000);
afterAll(async () => {
  await server?.close();
  await runtime?.close();
});

const cplane = (...args: string[]) => runCli(server.url, ...args);

describe("the canary walkthrough on the CLI", () => {
  it("rolls back a release set to fail 5 % of requests, and lists api's traffic back on stable", async () => {
    // Prepare
    const set = await cplane(
      "traffic",
      "set",
      "--service",
      "api",
      "--version",
      "1.5.0",
      "--error-rate",
      "0.05",
      "--p99",
      "800ms",
    );
    expect(set.code, set.stderr).toBe(0);

    // Act
    const run = await cplane(
      "run",
      "canary-promotion",
      "--input",
      '{"service":"api","image":"cplane/api:1.5.0","bakeMinutes":10}',
      "--follow",
    );
    const list = await cplane("traffic", "list", "--json");

    // Assess
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('"outcome":"rolled-back"');
    expect(run.stdout).toContain('"gate":"error-rate"');
    const services = JSON.parse(list.stdout) as Record<
      string,
      {
        services: {
          service: string;
          releases?: Record<string, { errorRate: number; latencyP99Ms: number }>;
          versions: Record<string, { lastMinute?: { share: number } }>;
        }[];
      }
    >;
    const api = services[runtime.region]?.services.find((s) => s.service === "shop/api");
    expect(api?.releases?.["1.5.0"]).toMatchObject({ errorRate: 0.05, latencyP99Ms: 800 });
    expect(api?.versions.stable?.lastMinute?.share).toBe(1);
  }, 180_000);

  it("refuses a command for a service with no running canary, by name", async () => {
    // Act
    const abort = await cplane("canary", "abort", "api", "--reason", "testing");

    // Assess
    expect(abort.code).toBe(2);
    expect(abort.stderr).toContain("NoRunningCanaryError");
  }, 60_000);

  it("refuses a traffic setting out of range before anything changes", async () => {
    // Act
    const bad = await cplane(
      "traffic",
      "set",
      "--service",
      "api",
      "--version",
      "canary",
      "--error-rate",
      "5",
    );

    // Assess
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--error-rate takes a rate between 0 and 1");
  }, 60_000);
});
