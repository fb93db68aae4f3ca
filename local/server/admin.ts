/**
 * Routes for what AWS serves outside the Step Functions and EventBridge APIs: the Git webhook (a
 * Lambda function URL on AWS) and the runtime's own admin API under /_cplane (clock, schedules,
 * pending tasks, the local cloud, faults, reset, tenants), which the CLI calls.
 */
import type { IncomingMessage } from "node:http";
import { workflowSchedules } from "../../events/schedules.ts";
import { functionCatalog } from "../../functions/catalog.ts";
import { readReadiness } from "../../functions/failover/lib/store.ts";
import { decide, listApprovals } from "../../functions/ops/lib/approvals.ts";
import { ControlPlaneError } from "../../functions/shared/errors.ts";
import { listTenants, tenantSummary } from "../../functions/tenant/lib/registry.ts";
import { formatClockMode, parseClockMode } from "../clock/clock.ts";
import { FaultSpecSchema } from "../cloud/faults.ts";
import { BUS_NAME, type Runtime, TENANT_TABLE } from "../runtime.ts";
import { RequestError, readBody } from "./aws-json.ts";
import { canaryRoutes } from "./canary.ts";
import { type Route, sendJson } from "./http.ts";
import { reportRoutes } from "./reports.ts";

/** The Lambda function URL event (payload format 2.0) for a request, as AWS builds it. */
export function functionUrlEvent(request: IncomingMessage, body: Buffer) {
  const url = new URL(request.url ?? "/", "http://localhost");
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[key.toLowerCase()] = Array.isArray(value) ? value.join(",") : value;
  }
  const text = body.toString("utf8");
  const binary = !Buffer.from(text, "utf8").equals(body);
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ""),
    headers,
    requestContext: {
      http: {
        method: request.method ?? "POST",
        path: url.pathname,
        protocol: "HTTP/1.1",
        sourceIp: "127.0.0.1",
        userAgent: headers["user-agent"] ?? "",
      },
      requestId: crypto.randomUUID(),
      timeEpoch: Date.now(),
    },
    body: binary ? body.toString("base64") : text,
    isBase64Encoded: binary,
  };
}

async function jsonBody(request: IncomingMessage): Promise<Record<string, unknown>> {
  const text = (await readBody(request)).toString("utf8");
  if (text.trim() === "") return {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new RequestError(400, "BadRequest", "body must be a JSON object");
}

function functionUrlRoute(runtime: Runtime, id: string, path: string): Route {
  return {
    method: "POST",
    path,
    public: true,
    async handle(request, response) {
      // Lambda function URLs take payloads up to 6 MB; the handler applies its own, smaller limit.
      const body = await readBody(request, 6 * 1024 * 1024);
      const result = (await runtime.functions.invoke(id, functionUrlEvent(request, body))) as {
        statusCode?: number;
        headers?: Record<string, string>;
        body?: string;
      };
      response.writeHead(result.statusCode ?? 200, { "content-type": "application/json", ...result.headers });
      response.end(result.body ?? "");
    },
  };
}

export function adminRoutes(runtime: Runtime, extra: readonly Route[] = []): Route[] {
  return [
    // Functions with a function URL on AWS are served at their local path.
    ...[...functionCatalog.values()].flatMap((spec) =>
      spec.url ? [functionUrlRoute(runtime, spec.id, spec.url.localPath)] : [],
    ),
    {
      method: "GET",
      path: "/_cplane/clock",
      handle: (_, response) =>
        sendJson(response, 200, { now: runtime.clock.date().toISOString(), mode: describeMode(runtime) }),
    },
    {
      method: "POST",
      path: "/_cplane/clock/advance",
      async handle(request, response) {
        const { ms } = await jsonBody(request);
        if (typeof ms !== "number" || !(ms >= 0))
          throw new RequestError(400, "BadRequest", "ms must be a non-negative number");
        await runtime.clock.advance(ms);
        sendJson(response, 200, { now: runtime.clock.date().toISOString() });
      },
    },
    {
      method: "POST",
      path: "/_cplane/clock/speed",
      // `real`, `instant`, `manual` or a factor, as `--speed` takes at start; time goes on from where it is.
      async handle(request, response) {
        const { speed } = await jsonBody(request);
        if (typeof speed !== "string" && typeof speed !== "number")
          throw new RequestError(
            400,
            "BadRequest",
            "speed is required: real, instant, manual or a factor such as 60",
          );
        runtime.clock.setMode(parseClockMode(String(speed)));
        sendJson(response, 200, { now: runtime.clock.date().toISOString(), mode: describeMode(runtime) });
      },
    },
    {
      method: "GET",
      path: "/_cplane/events",
      handle(request, response) {
        const url = new URL(request.url ?? "/", "http://localhost");
        const bus = url.searchParams.get("bus") ?? undefined;
        const limitText = url.searchParams.get("limit") ?? "50";
        const limit = Number(limitText);
        if (!Number.isInteger(limit) || limit < 1) {
          throw new RequestError(400, "BadRequest", `limit must be a positive integer; got ${limitText}`);
        }
        const events = runtime.bus.events({ busName: bus });
        const { count, maxAgeMs } = runtime.bus.eventLog.retention;
        // The newest `limit`, and how many there are: a listing says what it leaves out.
        sendJson(response, 200, {
          events: events.slice(-limit),
          total: events.length,
          retention: { count, maxAgeMs },
        });
      },
    },
    {
      method: "GET",
      path: "/_cplane/tasks",
      handle: (_, response) => sendJson(response, 200, { tasks: runtime.engine.listPendingTasks() }),
    },
    {
      method: "GET",
      path: "/_cplane/approvals",
      async handle(_, response) {
        sendJson(response, 200, { approvals: await listApprovals({ table: TENANT_TABLE }) });
      },
    },
    {
      method: "POST",
      path: /^\/_cplane\/approvals\/(?<id>apr-[0-9a-f]{12})\/decision$/,
      async handle(request, response, params) {
        const body = await jsonBody(request);
        if (
          typeof body.approved !== "boolean" ||
          typeof body.decidedBy !== "string" ||
          typeof body.reason !== "string"
        )
          throw new RequestError(
            400,
            "BadRequest",
            "give approved (boolean), decidedBy and reason (strings)",
          );
        try {
          const decided = await decide(
            {
              approvalId: params.id ?? "",
              approved: body.approved,
              decidedBy: body.decidedBy,
              reason: body.reason,
              now: runtime.clock.now(),
            },
            { table: TENANT_TABLE, busName: BUS_NAME },
          );
          sendJson(response, 200, decided);
        } catch (error) {
          // Unknown, decided or expired: the approval's own named error, as a conflict.
          if (error instanceof ControlPlaneError)
            throw new RequestError(
              error.name === "ApprovalNotFoundError" ? 404 : 409,
              error.name,
              error.message,
            );
          throw error;
        }
      },
    },
    {
      method: "GET",
      path: "/_cplane/rules",
      handle: (_, response) => sendJson(response, 200, { rules: runtime.rules }),
    },
    {
      method: "GET",
      path: "/_cplane/schedules",
      // With Scheduler's counters (AWS/Scheduler, the default group), where AWS shows failed runs.
      handle: (_, response) =>
        sendJson(response, 200, { schedules: listSchedules(runtime), metrics: runtime.scheduler.metrics() }),
    },
    {
      method: "POST",
      path: /^\/_cplane\/schedules\/(?<name>[^/]+)\/trigger$/,
      async handle(_, response, params) {
        const name = decodeURIComponent(params.name ?? "");
        const status = runtime.schedules.find((s) => s.schedule === name);
        if (!status) {
          const known = runtime.schedules.map((s) => s.schedule).join(", ") || "none";
          throw new RequestError(
            404,
            "ResourceNotFoundException",
            `no schedule ${name}; schedules: ${known}`,
          );
        }
        if (!status.loaded) {
          throw new RequestError(
            409,
            "ConflictException",
            `schedule ${name} is not loaded (${status.reason}): it has nothing to start`,
          );
        }
        const { executionId, firstAttempt } = runtime.scheduler.runNow({ Name: name });
        // The answer says whether the start was made: a start the schedule's role may not make is a
        // failed invocation (retried, then dead-lettered), not an execution.
        const attempt = await firstAttempt;
        sendJson(response, 200, {
          schedule: name,
          workflow: status.workflow,
          executionId,
          // A schedule run names its execution with its execution id.
          executionArn: executionArnOf(runtime, status.workflow, executionId),
          started: attempt.ok,
          ...(attempt.error ? { error: attempt.error } : {}),
        });
      },
    },
    {
      method: "GET",
      path: "/_cplane/schedules/runs",
      // What each schedule started, newest first (one entry per run, its last attempt): which
      // execution a schedule started, and which schedule started an execution (`?execution=NAME`).
      handle(request, response) {
        const url = new URL(request.url ?? "/", "http://localhost");
        const execution = url.searchParams.get("execution");
        const limitText = url.searchParams.get("limit") ?? "100";
        const limit = Number(limitText);
        if (!Number.isInteger(limit) || limit < 1) {
          throw new RequestError(400, "BadRequest", `limit must be a positive integer; got ${limitText}`);
        }
        sendJson(response, 200, { runs: scheduleRuns(runtime, execution, limit) });
      },
    },
    {
      method: "GET",
      path: "/_cplane/tenants",
      async handle(_, response) {
        const tenants = await listTenants();
        sendJson(response, 200, { tenants: tenants.map(tenantSummary) });
      },
    },
    {
      method: "GET",
      path: "/_cplane/dr",
      // The last DR readiness the schedule stored; `?refresh=1` assesses it now (the schedule's own step).
      async handle(request, response) {
        if (new URL(request.url ?? "/", "http://local").searchParams.get("refresh") === "1") {
          await runtime.functions.invoke(runtime.functions.arnOf("failover/check-readiness"), {
            executionArn: "cplane dr status --refresh",
          });
        }
        sendJson(response, 200, { readiness: (await readReadiness()) ?? null, home: runtime.region });
      },
    },
    {
      method: "GET",
      path: "/_cplane/cloud",
      handle: (_, response) => sendJson(response, 200, runtime.cloud.describe()),
    },
    {
      method: "GET",
      path: "/_cplane/checkpoint",
      handle: (_, response) =>
        sendJson(response, 200, {
          enabled: runtime.checkpoints !== undefined,
          ...(runtime.dataDir ? { dataDir: runtime.dataDir } : {}),
          ...(runtime.checkpoints
            ? { timing: runtime.checkpoints.timing, ...runtime.checkpoints.status }
            : {}),
          ...(runtime.recoveredFrom ? { recoveredFrom: runtime.recoveredFrom } : {}),
        }),
    },
    {
      method: "GET",
      path: "/_cplane/faults",
      handle: (_, response) => sendJson(response, 200, { faults: runtime.cloud.faults.list() }),
    },
    {
      method: "POST",
      path: "/_cplane/faults",
      async handle(request, response) {
        const body = await jsonBody(request);
        const parsed = FaultSpecSchema.safeParse(body);
        const known = (field: string, values: readonly string[]) => {
          const value = body[field];
          if (typeof value === "string" && !values.includes(value)) {
            throw new RequestError(400, "BadRequest", `${field} ${value} is not one of ${values.join(", ")}`);
          }
        };
        known("service", Object.keys(runtime.cloud.services));
        known("region", [runtime.region, runtime.secondaryRegion]);
        // A misspelt operation would make a fault that never fires: refused, with the nearest names.
        const service = typeof body.service === "string" ? runtime.cloud.services[body.service] : undefined;
        if (
          service &&
          typeof body.operation === "string" &&
          !Object.hasOwn(service.operations, body.operation)
        ) {
          const near = nearestNames(body.operation, Object.keys(service.operations));
          throw new RequestError(
            400,
            "BadRequest",
            `operation ${body.operation} is not one the local ${service.name} emulates${near.length > 0 ? `; did you mean ${near.join(", ")}?` : ""}`,
          );
        }
        if (!parsed.success) {
          throw new RequestError(
            400,
            "BadRequest",
            parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "),
          );
        }
        sendJson(response, 200, { id: runtime.cloud.faults.add(parsed.data) });
      },
    },
    {
      method: "POST",
      path: "/_cplane/faults/clear",
      handle(_, response) {
        runtime.cloud.faults.clear();
        sendJson(response, 200, {});
      },
    },
    {
      method: "POST",
      path: /^\/_cplane\/faults\/(?<action>region-down|region-up)$/,
      async handle(request, response, params) {
        const { region } = await jsonBody(request);
        if (typeof region !== "string") throw new RequestError(400, "BadRequest", "region is required");
        const regions = [runtime.region, runtime.secondaryRegion];
        if (!regions.includes(region)) {
          throw new RequestError(400, "BadRequest", `region ${region} is not one of ${regions.join(", ")}`);
        }
        if (params.action === "region-down") runtime.cloud.faults.regionDown(region);
        else runtime.cloud.faults.regionUp(region);
        sendJson(response, 200, { region, down: params.action === "region-down" });
      },
    },
    ...reportRoutes(),
    ...canaryRoutes(runtime),
    ...extra,
  ];
}

/**
 * Every schedule of events/schedules.ts: the loaded ones as the scheduler has them, with their next
 * run; the others as the catalog declares them, with the reason they are not loaded.
 */
function listSchedules(runtime: Runtime) {
  return runtime.schedules.map((status) => {
    if (status.loaded) {
      const schedule = runtime.scheduler.getSchedule({ Name: status.schedule });
      return {
        name: schedule.Name,
        expression: schedule.ScheduleExpression,
        timezone: schedule.ScheduleExpressionTimezone ?? "UTC",
        state: schedule.State,
        workflow: status.workflow,
        loaded: true,
        nextRun: runtime.scheduler.upcoming({ Name: schedule.Name }, 1)[0],
        ...lastRunOf(runtime, schedule.Name),
      };
    }
    const declared = workflowSchedules.find((s) => s.name === status.schedule);
    return {
      name: status.schedule,
      expression: declared?.scheduleExpression,
      timezone: declared?.timezone ?? "UTC",
      state: declared?.state,
      workflow: status.workflow,
      loaded: false,
      reason: status.reason,
    };
  });
}

/** The names at the smallest edit distance from `name` (at most 3 edits), for "did you mean". */
function nearestNames(name: string, names: readonly string[]): string[] {
  const distance = (a: string, b: string): number => {
    let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i++) {
      const row = [i];
      for (let j = 1; j <= b.length; j++) {
        const cost = a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1;
        row.push(Math.min((previous[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost));
      }
      previous = row;
    }
    return previous[b.length] ?? Number.POSITIVE_INFINITY;
  };
  const scored = names
    .map((candidate) => ({ candidate, d: distance(name, candidate) }))
    .filter((s) => s.d <= 3);
  const best = Math.min(...scored.map((s) => s.d));
  return scored.filter((s) => s.d === best).map((s) => s.candidate);
}

/** A schedule's last attempt, and whether it started its target (a failed one says why). */
function lastRunOf(runtime: Runtime, name: string) {
  const invocations = runtime.scheduler.invocations();
  for (let i = invocations.length - 1; i >= 0; i--) {
    const run = invocations[i];
    if (run?.scheduleName !== name) continue;
    return {
      lastRun: {
        invokedAt: run.invokedAt,
        attempt: run.attempt,
        ok: run.ok,
        ...(run.error ? { error: run.error } : {}),
      },
    };
  }
  return {};
}

function executionArnOf(runtime: Runtime, workflow: string, executionId: string): string {
  return `${runtime.stateMachineArn(workflow).replace(":stateMachine:", ":execution:")}:${executionId}`;
}

function scheduleRuns(runtime: Runtime, execution: string | null, limit: number) {
  const workflowOf = new Map(runtime.schedules.map((s) => [s.schedule, s.workflow]));
  const seen = new Set<string>();
  const runs = [];
  const invocations = runtime.scheduler.invocations();
  for (let i = invocations.length - 1; i >= 0 && runs.length < limit; i--) {
    const run = invocations[i];
    if (!run || seen.has(run.executionId) || (execution && run.executionId !== execution)) continue;
    seen.add(run.executionId);
    const workflow = workflowOf.get(run.scheduleName);
    runs.push({
      schedule: run.scheduleName,
      workflow,
      executionId: run.executionId,
      ...(workflow ? { executionArn: executionArnOf(runtime, workflow, run.executionId) } : {}),
      scheduledTime: run.scheduledTime,
      invokedAt: run.invokedAt,
      attempt: run.attempt,
      ok: run.ok,
      ...(run.error ? { error: run.error } : {}),
    });
  }
  return runs;
}

function describeMode(runtime: Runtime): string {
  return formatClockMode(runtime.clock.mode);
}
