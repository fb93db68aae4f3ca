/**
 * `cplane clock speed` against a running runtime: the speed changes without a restart, simulated time
 * goes on from where it was, and a speed it cannot read is refused before anything changes.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { cli } from "../../../local/cli/main.ts";
import { createClock } from "../../../local/clock/clock.ts";
import { createRuntime, type Runtime } from "../../../local/runtime.ts";
import type { LocalServer } from "../../../local/server/http.ts";
import { serve } from "../../../local/start.ts";

let runtime: Runtime;
let server: LocalServer;
let out = "";
let err = "";

beforeAll(async () => {
  runtime = await createRuntime({ clock: createClock({ mode: { kind: "manual" } }) });
  server = await serve(runtime, 0);
}, 120_000);
afterAll(async () => {
  await server?.close();
  await runtime?.close();
});
beforeEach(() => {
  out = "";
  err = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    err += String(chunk);
    return true;
  });
});
afterEach(() => vi.restoreAllMocks());

const cplane = (args: string[]) => cli([...args, "--endpoint", server.url]);

describe("cplane clock speed", () => {
  it("changes the running clock's speed, keeping simulated time where it was", async () => {
    const before = runtime.clock.now();
    expect(await cplane(["clock", "speed", "600"])).toBe(0);
    expect(runtime.clock.mode).toEqual({ kind: "scaled", factor: 600 });
    expect(out).toMatch(/^clock speed now 600x; simulated time \d{4}-/);
    const printed = Date.parse(out.replace(/^.*simulated time /, "").trim());
    expect(printed).toBeGreaterThanOrEqual(before - 1000);
    out = "";
    expect(await cplane(["clock"])).toBe(0);
    expect(out).toContain("(600x)");

    expect(await cplane(["clock", "speed", "manual"])).toBe(0);
    const stopped = runtime.clock.now();
    expect(stopped).toBeGreaterThanOrEqual(before);
    expect(runtime.clock.mode).toEqual({ kind: "manual" });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(runtime.clock.now()).toBe(stopped);
  });

  it.each([["fast"], ["0"], ["60y"]])(
    "refuses %j with the speeds it takes, and keeps the speed",
    async (speed) => {
      expect(await cplane(["clock", "speed", speed])).toBe(2);
      expect(err).toMatch(/clock speed must be real, instant, manual or a positive factor/);
      expect(runtime.clock.mode).toEqual({ kind: "manual" });
    },
  );

  it("refuses a missing speed and an unknown clock action", async () => {
    expect(await cplane(["clock", "speed"])).toBe(2);
    expect(err).toMatch(/usage: cplane clock speed/);
    err = "";
    expect(await cplane(["clock", "faster"])).toBe(2);
    expect(err).toMatch(/unknown clock action faster/);
  });

  it("is refused by the API with the reason when the body names no readable speed", async () => {
    for (const body of [{}, { speed: "sometimes" }, { speed: 0 }]) {
      const response = await fetch(`${server.url}/_cplane/clock/speed`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { message: string }).message).toMatch(/speed/);
    }
    expect(runtime.clock.mode).toEqual({ kind: "manual" });
  });
});
