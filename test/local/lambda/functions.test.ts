import { describe, expect, it } from "vitest";
import type { FunctionId, FunctionSpec } from "../../../functions/shared/catalog.ts";
import { createClock } from "../../../local/clock/clock.ts";
import {
  ConflictingEnvironmentError,
  createLocalFunctions,
  ResourceNotFoundException,
} from "../../../local/lambda/functions.ts";

function spec(id: FunctionId, handler: string, extra: Partial<FunctionSpec> = {}): FunctionSpec {
  return { id, handler, description: id, timeoutSeconds: 5, memoryMB: 256, permissions: [], ...extra };
}

const catalog = new Map<FunctionId, FunctionSpec>([
  ["test/echo", spec("test/echo", "test/fixtures/functions/echo.ts")],
  ["test/fail", spec("test/fail", "test/fixtures/functions/fail.ts")],
  ["test/hang", spec("test/hang", "test/fixtures/functions/hang.ts", { timeoutSeconds: 1 })],
  ["test/pause", spec("test/pause", "test/fixtures/functions/pause-twice.ts", { timeoutSeconds: 1 })],
]);

function functions() {
  return createLocalFunctions({
    catalog,
    clock: createClock({ mode: { kind: "instant" } }),
    region: "us-east-1",
    account: "000000000000",
    environment: () => ({ GREETING: "hello" }),
  });
}

describe("local functions", () => {
  it("runs a handler by placeholder, id or ARN with a context and its environment", async () => {
    const local = functions();
    for (const name of ["cplane:function:test/echo", "test/echo", local.arnOf("test/echo")]) {
      const result = await local.invoke(name, { tenant: "acme" });
      expect(result).toEqual({
        event: { tenant: "acme", mutated: true },
        functionName: "cplane-test-echo",
        remainingMs: expect.any(Number),
        greeting: "hello",
      });
    }
  });

  it("tells the handler how much of its timeout is left, in wall time", async () => {
    const result = (await functions().invoke("test/echo", {})) as { remainingMs: number };
    expect(result.remainingMs).toBeLessThanOrEqual(5_000);
    expect(result.remainingMs).toBeGreaterThan(4_000);
  });

  it("gives the handler a copy, so the caller's payload is untouched", async () => {
    const payload = { tenant: "acme" };
    await functions().invoke("test/echo", payload);
    expect(payload).toEqual({ tenant: "acme" });
  });

  it("rethrows the handler's named error", async () => {
    await expect(functions().invoke("test/fail", {})).rejects.toMatchObject({
      name: "ClusterBusyError",
      message: "cluster tenant-acme is modifying",
    });
  });

  it("does not charge a handler for the time the shared thread was blocked by others", async () => {
    const local = functions();
    await local.invoke("test/pause", { pauseMs: 1 }); // loads the module first

    const invoked = local.invoke("test/pause", { pauseMs: 100 });
    // Someone else holds the thread for longer than the handler's 1 s timeout (as fifty tenant
    // databases starting at once do), while the handler has one wait behind it and one to go.
    await new Promise<void>((resolve) =>
      setTimeout(() => {
        const until = performance.now() + 1_500;
        while (performance.now() < until) {
          // busy
        }
        resolve();
      }, 20),
    );
    const { remainingMs } = (await invoked) as { remainingMs: number };

    // Charged about 200 ms of its own waiting, not the 1.7 s that passed.
    expect(remainingMs).toBeGreaterThan(500);
    expect(remainingMs).toBeLessThan(950);
  });

  it("stops a handler at its timeout with Lambda's Sandbox.Timedout", async () => {
    const local = createLocalFunctions({
      catalog,
      clock: createClock({ mode: { kind: "scaled", factor: 1_000 } }),
      region: "us-east-1",
      account: "000000000000",
      environment: () => ({ GREETING: "hello" }),
    });
    await expect(local.invoke("test/hang", {})).rejects.toMatchObject({
      name: "Sandbox.Timedout",
      message: "Task timed out after 1.00 seconds",
    });
  });

  it("answers an unknown function with Lambda's ResourceNotFoundException", async () => {
    await expect(functions().invoke("cplane:function:test/missing", {})).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });

  it("refuses two functions that need different values for one variable", () => {
    expect(() =>
      createLocalFunctions({
        catalog,
        clock: createClock({ mode: { kind: "instant" } }),
        region: "us-east-1",
        account: "000000000000",
        environment: (s) => ({ TABLE: s.id }),
      }),
    ).toThrow(ConflictingEnvironmentError);
  });
});
