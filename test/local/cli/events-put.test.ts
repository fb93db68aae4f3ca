/**
 * `cplane events put` checks each event's detail against its registered contract before sending
 * anything, and `cplane run` checks a workflow's input against the same contracts: a request the
 * first step would refuse is refused before anything starts, with the reasons, exit 2.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { InvalidEventError, putEvents } from "../../../local/cli/commands/events.ts";
import { resolveTarget, UsageError } from "../../../local/cli/target.ts";

const exec = promisify(execFile);
const BIN = join(import.meta.dirname, "../../../local/cli/bin.ts");
const eventbridge = mockClient(EventBridgeClient);
const target = resolveTarget({ endpoint: "http://127.0.0.1:1" }, {});

const requested = (detail: Record<string, unknown>) =>
  JSON.stringify({ source: "cplane.tenants", "detail-type": "Tenant Requested", detail });
const acme = { name: "Acme Corp", tier: "premium", adminEmail: "ops@acme.example" };

beforeEach(() => {
  eventbridge.reset();
  eventbridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: "e-1" }] });
  vi.spyOn(process.stdout, "write").mockImplementation(() => true);
});
afterEach(() => vi.restoreAllMocks());

/** Runs the real CLI; nothing listens on the endpoint, so only what is refused before sending can pass. */
async function cli(...args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    await exec(process.execPath, [BIN, ...args, "--endpoint", "http://127.0.0.1:1"], { env: process.env });
    return { code: 0, stderr: "" };
  } catch (error) {
    const failed = error as { code: number; stderr: string };
    return { code: failed.code, stderr: failed.stderr };
  }
}

describe("cplane events put", () => {
  it("sends a sample its contract accepts", async () => {
    const code = await putEvents(target, ["tenant-requested"], {});

    expect(code).toBe(0);
    const entry = eventbridge.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0];
    expect(entry).toMatchObject({
      Source: "cplane.tenants",
      DetailType: "Tenant Requested",
      EventBusName: "cplane",
    });
  });

  it("refuses a detail its contract refuses, with every reason, and sends nothing", async () => {
    const bad = requested({ ...acme, slug: "Bad_Slug!", region: "mars-1" });

    const outcome = putEvents(target, ["tenant-requested", bad], {});

    await expect(outcome).rejects.toBeInstanceOf(InvalidEventError);
    await expect(outcome).rejects.toBeInstanceOf(UsageError);
    await expect(outcome).rejects.toThrow(/refused 1 of 2 events; nothing was sent/);
    await expect(outcome).rejects.toThrow(/event 2 \(cplane.tenants \/ Tenant Requested\)/);
    await expect(outcome).rejects.toThrow(/detail\.region: must be an AWS region/);
    await expect(outcome).rejects.toThrow(/detail\.slug: lowercase letters, digits and single hyphens/);
    expect(eventbridge.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it("refuses an event no contract is registered for", async () => {
    const unknown = JSON.stringify({
      source: "cplane.tenants",
      "detail-type": "Tenant Requestd",
      detail: acme,
    });

    await expect(putEvents(target, [unknown], {})).rejects.toThrow(
      /no contract is registered for "Tenant Requestd"/,
    );
    expect(eventbridge.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it("sends an invalid detail anyway without validation, as EventBridge would accept it", async () => {
    const bad = requested({ ...acme, name: "!!!" });

    const code = await putEvents(target, [bad], { validate: false });

    expect(code).toBe(0);
    const entry = eventbridge.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0];
    expect(JSON.parse(entry?.Detail ?? "{}")).toMatchObject({ name: "!!!" });
  });

  it("exits 2 with the reasons from the command line", async () => {
    const { code, stderr } = await cli("events", "put", requested({ ...acme, name: "!!!" }));

    expect(code).toBe(2);
    expect(stderr).toMatch(/detail\.name: needs at least one latin letter/);
  });
});

describe("cplane run checks the input with the first step's rules", () => {
  it.each([
    [{ slug: "Bad_Slug!" }, /slug: lowercase letters, digits and single hyphens/],
    [{ name: "!!!" }, /name: needs at least one latin letter/],
    [{ region: "mars-1" }, /region: must be an AWS region/],
  ])("refuses %o before starting anything, exit 2", async (change, reason) => {
    const input = JSON.stringify({ ...acme, ...change });

    const { code, stderr } = await cli("run", "tenant-onboarding", "--input", input);

    expect(code).toBe(2);
    expect(stderr).toMatch(/input for tenant-onboarding is invalid; nothing was started/);
    expect(stderr).toMatch(reason);
  });
});
