/**
 * What the runtime answered survives a crash at any moment: StartExecution and PutEvents arrive from
 * several clients at once, the runtime is killed (SIGKILL) at a random point, and the next start has
 * every execution and event it acknowledged, none twice, and every Tenant Requested event it
 * acknowledged has started exactly one onboarding. Repeated on one data directory, so that each start
 * also recovers from the crash before. The points are drawn from a seeded generator
 * (CPLANE_CRASH_SEED to replay a failure).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { type ChildRuntime, startChildRuntime } from "../support/child-runtime.ts";

const SEED = Number(process.env.CPLANE_CRASH_SEED ?? 1806);
/** Kills per run: each costs a start of the runtime (several seconds on a busy machine). */
const ROUNDS = Number(process.env.CPLANE_CRASH_ROUNDS ?? 2);
const CLIENTS = 6;
const ACCOUNT = "000000000000";
const ONBOARDING = `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:cplane-local-tenant-onboarding`;
const OFFBOARDING = `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:cplane-local-tenant-offboarding`;

const dirs: string[] = [];
const children: ChildRuntime[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) await child.stop("SIGKILL");
});
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** mulberry32: a small seeded generator, so that a failing run can be replayed. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

class RequestFailedError extends Error {
  override name = "RequestFailedError";
}

async function aws<T>(url: string, target: string, body: unknown): Promise<T> {
  const sfn = target.startsWith("AWSStepFunctions.");
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "x-amz-target": target,
      "content-type": sfn ? "application/x-amz-json-1.0" : "application/x-amz-json-1.1",
    },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new RequestFailedError(`${target} answered ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

interface Acknowledged {
  readonly executions: Set<string>;
  readonly events: Set<string>;
  /** Tenant name of each acknowledged Tenant Requested event. */
  readonly tenants: Set<string>;
}

/**
 * Clients sending a mix of starts and events until the runtime dies; what was answered is recorded.
 * `crash` is called once `answers` requests have been answered, while the other clients' requests are
 * in flight: a point in the load that does not depend on how fast this machine is today.
 */
async function load(
  url: string,
  round: number,
  random: () => number,
  acked: Acknowledged,
  crash: { readonly answers: number; readonly kill: () => void },
): Promise<void> {
  let tenant = 0;
  let answered = 0;
  const answer = () => {
    if (++answered === crash.answers) crash.kill();
  };
  const client = async (id: number) => {
    for (let n = 0; ; n++) {
      const draw = random();
      try {
        if (draw < 0.45) {
          const { executionArn } = await aws<{ executionArn: string }>(
            url,
            "AWSStepFunctions.StartExecution",
            {
              stateMachineArn: OFFBOARDING,
              name: `crash-${round}-${id}-${n}`,
              input: JSON.stringify({ tenantId: `nobody-${round}-${id}-${n}` }),
            },
          );
          acked.executions.add(executionArn);
          answer();
        } else if (draw < 0.95) {
          const count = 1 + Math.floor(random() * 3);
          const entries = Array.from({ length: count }, (_, k) => ({
            Source: "crash.test",
            DetailType: "Noted",
            Detail: JSON.stringify({ round, client: id, n, k }),
            EventBusName: "cplane",
          }));
          const out = await aws<{ Entries: { EventId?: string }[] }>(url, "AWSEvents.PutEvents", {
            Entries: entries,
          });
          for (const entry of out.Entries) if (entry.EventId) acked.events.add(entry.EventId);
          answer();
        } else {
          const name = `Crash ${round} ${id} ${tenant++}`;
          const out = await aws<{ Entries: { EventId?: string }[] }>(url, "AWSEvents.PutEvents", {
            Entries: [
              {
                Source: "cplane.tenants",
                DetailType: "Tenant Requested",
                Detail: JSON.stringify({ name, tier: "basic", adminEmail: "ops@crash.example" }),
                EventBusName: "cplane",
              },
            ],
          });
          const eventId = out.Entries[0]?.EventId;
          if (eventId) {
            acked.events.add(eventId);
            acked.tenants.add(name);
          }
          answer();
        }
      } catch {
        // The runtime is gone (or going): this request was not acknowledged.
        return;
      }
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, (_, id) => client(id)));
}

async function executionsOf(url: string, stateMachineArn: string): Promise<string[]> {
  const arns: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await aws<{ executions: { executionArn: string }[]; nextToken?: string }>(
      url,
      "AWSStepFunctions.ListExecutions",
      { stateMachineArn, maxResults: 1000, ...(nextToken ? { nextToken } : {}) },
    );
    arns.push(...page.executions.map((e) => e.executionArn));
    nextToken = page.nextToken;
  } while (nextToken);
  return arns;
}

/** Everything acknowledged exists, once; each acknowledged tenant request started one onboarding. */
async function assertKept(url: string, acked: Acknowledged, context: string): Promise<void> {
  const executions = await executionsOf(url, OFFBOARDING);
  expect(new Set(executions).size, `${context}: an execution listed twice`).toBe(executions.length);
  const present = new Set(executions);
  const lostExecutions = [...acked.executions].filter((arn) => !present.has(arn));
  expect(lostExecutions, `${context}: acknowledged executions lost`).toEqual([]);

  const { events, total } = (await (await fetch(`${url}/_cplane/events?limit=100000`)).json()) as {
    events: { event: { id: string } }[];
    total: number;
  };
  expect(events).toHaveLength(total);
  const ids = events.map((e) => e.event.id);
  expect(new Set(ids).size, `${context}: an event logged twice`).toBe(ids.length);
  const logged = new Set(ids);
  const lostEvents = [...acked.events].filter((id) => !logged.has(id));
  expect(lostEvents, `${context}: acknowledged events lost`).toEqual([]);

  // Executions first, then the registry: a handler writes a tenant's row before its execution moves on.
  const onboardings = new Map<string, number>();
  const statusOf = new Map<string, string>();
  for (const arn of await executionsOf(url, ONBOARDING)) {
    const { input, status } = await aws<{ input: string; status: string }>(
      url,
      "AWSStepFunctions.DescribeExecution",
      { executionArn: arn },
    );
    const name = (JSON.parse(input) as { name: string }).name;
    onboardings.set(name, (onboardings.get(name) ?? 0) + 1);
    statusOf.set(name, status);
  }
  const twice = [...onboardings].filter(([, count]) => count > 1);
  expect(twice, `${context}: tenant requests delivered twice`).toEqual([]);
  const missing = [...acked.tenants].filter((name) => !onboardings.has(name));
  expect(missing, `${context}: acknowledged tenant requests never delivered`).toEqual([]);
  await assertRegistryAgrees(url, statusOf, context);
}

interface TenantRow {
  readonly name: string;
  readonly status: string;
  readonly failure?: { readonly error: string; readonly cause: string };
}

/**
 * Every tenant's registry row agrees with its onboarding execution (issue 18: a crash must not leave a
 * tenant that no execution drives): `onboarding` is driven by a RUNNING execution; `active` by one that
 * succeeded (or is finishing); `failed` carries its reason, and no execution still runs it to success.
 */
async function assertRegistryAgrees(
  url: string,
  statusOf: Map<string, string>,
  context: string,
): Promise<void> {
  const { tenants } = (await (await fetch(`${url}/_cplane/tenants`)).json()) as { tenants: TenantRow[] };
  const disagreements: string[] = [];
  for (const tenant of tenants) {
    const execution = statusOf.get(tenant.name) ?? "no execution";
    const agrees =
      tenant.status === "onboarding"
        ? execution === "RUNNING"
        : tenant.status === "active"
          ? execution === "SUCCEEDED" || execution === "RUNNING"
          : tenant.status === "failed"
            ? tenant.failure !== undefined && tenant.failure.cause !== "" && execution !== "SUCCEEDED"
            : true;
    if (!agrees)
      disagreements.push(`${tenant.name}: ${tenant.status} in the registry, execution ${execution}`);
  }
  expect(disagreements, `${context}: registry rows that disagree with their executions`).toEqual([]);
}

describe("a crash under load", () => {
  it(`loses no acknowledged start or event and duplicates none (seed ${SEED})`, async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), "cplane-crash-load-"));
    dirs.push(dir);
    const random = generator(SEED);
    const acked: Acknowledged = { executions: new Set(), events: new Set(), tenants: new Set() };
    const kills: number[] = [];

    for (let round = 1; round <= ROUNDS; round++) {
      const child = await startChildRuntime({ dataDir: dir, speed: "manual" });
      children.push(child);
      await assertKept(
        child.url,
        acked,
        `after crash ${round - 1} (seed ${SEED}, killed after ${kills.join(", ")} answers)`,
      );

      // Act: load, and a kill at a random point of it
      const answers = 20 + Math.floor(random() * 60);
      kills.push(answers);
      await load(child.url, round, random, acked, { answers, kill: () => void child.stop("SIGKILL") });
      expect(await child.exited).toMatchObject({ signal: "SIGKILL" });
      children.splice(children.indexOf(child), 1);
    }

    // Assess: the last start has everything; a clean stop after it is clean
    const last = await startChildRuntime({ dataDir: dir, speed: "manual" });
    children.push(last);
    await assertKept(
      last.url,
      acked,
      `after crash ${ROUNDS} (seed ${SEED}, killed after ${kills.join(", ")} answers)`,
    );
    expect(acked.executions.size + acked.events.size).toBeGreaterThanOrEqual(
      kills.reduce((a, b) => a + b, 0),
    );
    expect(acked.executions.size).toBeGreaterThan(5);
    expect(acked.events.size).toBeGreaterThan(5);
    expect(acked.tenants.size).toBeGreaterThan(0);
    expect(await last.stop("SIGTERM")).toEqual({ code: 0, signal: null });
  }, 120_000);
});
