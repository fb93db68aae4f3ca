/**
 * Fuzzes both AWS JSON protocols (Step Functions 1.0, EventBridge 1.1) against the real local runtime
 * and server, with requests generated from AWS's models of every served operation and bent out of
 * shape (wrong types, nulls, values out of range, deep JSON, built-in names as targets, bodies that
 * are not JSON objects, other content types). For every request: no 5xx; every 4xx is AWS-shaped
 * (`__type` and `message`) and changed nothing; afterwards the runtime checkpoints and stops cleanly.
 * A fixed seed and number of runs keep it a bounded, repeatable CI test.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createClock } from "../../../local/clock/clock.ts";
import { createRuntime, type Runtime } from "../../../local/runtime.ts";
import type { LocalServer } from "../../../local/server/http.ts";
import { loadModel, type ServiceModel } from "../../../local/server/model.ts";
import { serve } from "../../../local/start.ts";

const RUNS = 300;
const SEED = 18;

let runtime: Runtime;
let server: LocalServer;
let fuzzArn: string;

beforeAll(async () => {
  runtime = await createRuntime({
    clock: createClock({ mode: { kind: "manual" } }),
    dataDir: mkdtempSync(join(tmpdir(), "cplane-fuzz-")),
    checkpoints: { quietMs: 10, maxDelayMs: 50 },
  });
  // Executions the fuzzer starts run this machine, which ends at once; the workflows stay untouched.
  fuzzArn = runtime.engine.createStateMachine({
    name: "fuzz-pass",
    definition: { StartAt: "P", States: { P: { Type: "Pass", End: true } } },
  }).stateMachineArn;
  runtime.bus.putRule({ Name: "fuzz-rule", EventBusName: "cplane", EventPattern: '{"source":["fuzz"]}' });
  server = await serve(runtime, 0);
});
afterAll(async () => {
  await server?.close();
  await runtime?.close();
});

const deepText = (levels: number) => `${"[".repeat(levels)}1${"]".repeat(levels)}`;
const JSON_MEMBERS = new Set(["input", "output", "Detail", "EventPattern", "Event", "Input"]);
const garbage = fc.oneof(
  fc.constant(null),
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(-1, 0, 1.5, 2 ** 53, "", "__proto__", "constructor", true, [], {}),
  fc.integer({ min: 10, max: 3_000 }).map((n) => JSON.parse(deepText(n)) as unknown),
);

function stringFor(model: ServiceModel, member: string): fc.Arbitrary<unknown> {
  if (JSON_MEMBERS.has(member)) {
    return fc.oneof(
      fc.json({ maxDepth: 3 }),
      fc.constantFrom('{"source":["fuzz"]}', "{}", "{not json", "[]"),
      fc.integer({ min: 900, max: 12_000 }).map(deepText),
      fc.integer({ min: 900, max: 12_000 }).map((n) => `${'{"a":'.repeat(n)}1${"}".repeat(n)}`),
    );
  }
  const mostly = (usual: string, ...others: string[]) =>
    fc.oneof(
      { weight: 3, arbitrary: fc.constant(usual) },
      { weight: 1, arbitrary: fc.constantFrom(...others) },
    );
  if (/Arn$/i.test(member)) {
    return mostly(
      member === "Arn" ? "arn:aws:sqs:us-east-1:000000000000:q" : fuzzArn,
      `${fuzzArn.replace(":stateMachine:", ":execution:")}:nope`,
      "arn:bogus",
      "not-an-arn",
    );
  }
  if (member === "Name" || member === "Rule") return mostly("fuzz-rule", "fuzz-other", "bad name!", "");
  if (member === "EventBusName") return mostly("cplane", "default", "nope", "");
  return fc.string({ maxLength: model.targetPrefix === "AWSEvents" ? 20 : 90 });
}

/** A value for a shape: usually well-formed, sometimes not (at every level). */
function valueFor(
  model: ServiceModel,
  shapeName: string,
  member: string,
  depth: number,
): fc.Arbitrary<unknown> {
  const shape = model.shapes[shapeName];
  if (!shape) throw new Error(`no shape ${shapeName}`);
  let good: fc.Arbitrary<unknown>;
  switch (shape.type) {
    case "structure": {
      const members = Object.entries(shape.members ?? {});
      good =
        depth > 3
          ? fc.constant({})
          : fc.record(
              Object.fromEntries(members.map(([name, ref]) => [name, valueFor(model, ref, name, depth + 1)])),
              { requiredKeys: (shape.required ?? []).filter((name) => name in (shape.members ?? {})) },
            );
      break;
    }
    case "list":
      good = fc.array(valueFor(model, shape.member as string, member, depth + 1), { maxLength: 3 });
      break;
    case "map":
      good = fc.dictionary(
        fc.string({ maxLength: 6 }),
        valueFor(model, shape.value as string, member, depth + 1),
        {
          maxKeys: 2,
        },
      );
      break;
    case "string":
      good = shape.enum ? fc.constantFrom(...shape.enum) : stringFor(model, member);
      break;
    case "integer":
    case "long":
      good = fc.integer({ min: (shape.min ?? -5) - 2, max: Math.min(shape.max ?? 1_000, 100_000) + 2 });
      break;
    case "boolean":
      good = fc.boolean();
      break;
    default:
      good = fc.integer({ min: 0, max: 2_000_000_000 });
  }
  return fc.oneof({ weight: 15, arbitrary: good }, { weight: 1, arbitrary: garbage });
}

interface Request {
  readonly target: string;
  readonly contentType: string;
  readonly body: string;
}

function modelled(model: ServiceModel, contentType: string): fc.Arbitrary<Request> {
  return fc.constantFrom(...Object.keys(model.operations)).chain((operation) => {
    const shape = model.operations[operation];
    const body = shape ? valueFor(model, shape, "", 0) : fc.constant({});
    return body.map((value) => ({
      target: `${model.targetPrefix}.${operation}`,
      contentType,
      body: JSON.stringify(value) ?? "null",
    }));
  });
}

const sfnModel = loadModel("sfn.json");
const eventsModel = loadModel("events.json");
const requests: fc.Arbitrary<Request> = fc.oneof(
  { weight: 5, arbitrary: modelled(sfnModel, "application/x-amz-json-1.0") },
  { weight: 5, arbitrary: modelled(eventsModel, "application/x-amz-json-1.1") },
  {
    weight: 1,
    arbitrary: fc.record({
      target: fc.oneof(
        fc
          .constantFrom("AWSStepFunctions", "AWSEvents")
          .chain((prefix) =>
            fc
              .oneof(
                fc.constantFrom("hasOwnProperty", "valueOf", "__proto__", "constructor", "isPrototypeOf"),
                fc.constantFrom("ListStateMachines.Extra", "ListEventBuses.", ".", ""),
                fc.string({ maxLength: 12 }),
              )
              .map((name) => `${prefix}.${name}`),
          ),
        fc.string({ maxLength: 30 }),
      ),
      contentType: fc.constantFrom("application/x-amz-json-1.0", "application/x-amz-json-1.1", "text/plain"),
      body: fc.oneof(
        fc.string({ maxLength: 40 }),
        fc.constantFrom("null", "[]", "1", '"x"', "{}"),
        fc.json(),
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      target: fc.constantFrom(
        "AWSStepFunctions.ListExecutions",
        "AWSEvents.ListRules",
        "AWSEvents.PutEvents",
      ),
      contentType: fc.constantFrom("application/x-amz-json-1.1", "application/json", ""),
      body: fc.oneof(fc.constantFrom("{", "[]", "null"), fc.integer({ min: 1, max: 20_000 }).map(deepText)),
    }),
  },
);

/** What a refused request must leave as it was. */
function snapshot(): string {
  const rules = ["default", "cplane"].flatMap((bus) => {
    const out: unknown[] = [];
    let NextToken: string | undefined;
    do {
      const page = runtime.bus.listRules({ EventBusName: bus, Limit: 100, NextToken });
      for (const rule of page.Rules) {
        out.push({
          rule,
          targets: runtime.bus.listTargetsByRule({ Rule: rule.Name, EventBusName: bus }).Targets,
        });
      }
      NextToken = page.NextToken;
    } while (NextToken);
    return out;
  });
  return JSON.stringify({
    executions: runtime.engine.executionStamps(),
    rules,
    events: runtime.bus.events().length,
    tasks: runtime.engine.listPendingTasks().length,
  });
}

/** Lets what an earlier request set going finish, so that the snapshot moves only by this request. */
async function settle(): Promise<void> {
  for (const e of runtime.engine.executionStamps())
    if (e.running) await runtime.engine.waitForExecution(e.arn);
  await runtime.bus.drain();
}

it("answers every generated request of both protocols with no 5xx, AWS-shaped 4xx that change nothing", async () => {
  const statuses = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(requests, async (request) => {
      await settle();
      const before = snapshot();
      const response = await fetch(server.url, {
        method: "POST",
        headers: { "x-amz-target": request.target, "content-type": request.contentType },
        body: request.body,
      });
      const body = (await response.json()) as Record<string, unknown>;
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      expect(response.status, JSON.stringify(body)).toBeLessThan(500);
      if (response.status >= 400) {
        expect(typeof body.__type, JSON.stringify(body)).toBe("string");
        expect(typeof body.message, JSON.stringify(body)).toBe("string");
        await settle();
        expect(snapshot()).toBe(before);
      }
    }),
    { seed: SEED, numRuns: RUNS },
  );
  // The generator reaches both outcomes: requests the services accept and requests they refuse.
  expect(statuses.get(200)).toBeGreaterThan(RUNS / 10);
  expect(statuses.get(400)).toBeGreaterThan(RUNS / 10);

  await runtime.checkpoints?.flush();
  expect(runtime.checkpoints?.status.lastError).toBeUndefined();
  await runtime.close();
  runtime = undefined as unknown as Runtime;
}, 60_000);
