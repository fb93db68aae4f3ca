/**
 * Admin routes for canaries and the simulated traffic they are judged on: a person's command to a
 * running canary (`cplane canary abort|promote|pause|resume <service>`, through the same step the
 * alarm rule runs, `canary/signal`), and the traffic scenario (`cplane traffic list|set`) that makes a
 * release behave well or badly.
 */
import { z } from "zod";
import type { Runtime } from "../runtime.ts";
import { RequestError, readBody } from "./aws-json.ts";
import { type Route, sendJson } from "./http.ts";

async function body(request: Parameters<Route["handle"]>[0]): Promise<unknown> {
  const text = (await readBody(request)).toString("utf8");
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new RequestError(400, "BadRequest", "body must be a JSON object");
  }
}

const CommandBody = z.strictObject({
  reason: z.string().min(1).optional(),
  as: z.string().min(1).optional(),
});

/** How a version (`stable`, `canary`) or a release (an image tag) behaves; rates 0..1, latency in ms. */
export const TrafficSetting = z.strictObject({
  service: z.string().min(1),
  version: z.string().min(1),
  errorRate: z.number().min(0).max(1).optional(),
  latencyP99Ms: z.number().positive().optional(),
  latencyP50Ms: z.number().positive().optional(),
  businessSuccessRate: z.number().min(0).max(1).optional(),
  requestsPerMinute: z.number().min(0).optional(),
});

function refuse(issues: z.core.$ZodIssue[]): never {
  throw new RequestError(
    400,
    "BadRequest",
    issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`).join("; "),
  );
}

export function canaryRoutes(runtime: Runtime): Route[] {
  return [
    {
      method: "POST",
      path: /^\/_cplane\/canary\/(?<service>[a-z][a-z0-9-]*)\/(?<command>abort|promote|pause|resume)$/,
      async handle(request, response, params) {
        const parsed = CommandBody.safeParse(await body(request));
        if (!parsed.success) refuse(parsed.error.issues);
        try {
          const result = await runtime.functions.invoke("canary/signal", {
            service: params.service,
            command: params.command,
            requestedBy: parsed.data.as ?? "cplane",
            ...(parsed.data.reason ? { reason: parsed.data.reason } : {}),
          });
          sendJson(response, 200, result);
        } catch (error) {
          const name = (error as { name?: string }).name ?? "";
          if (name === "NoRunningCanaryError") throw new RequestError(404, name, (error as Error).message);
          if (name === "InvalidInputError") throw new RequestError(400, name, (error as Error).message);
          throw error;
        }
      },
    },
    {
      method: "GET",
      path: "/_cplane/traffic",
      handle: (_, response) => sendJson(response, 200, { services: runtime.cloud.traffic.describe() }),
    },
    {
      method: "POST",
      path: "/_cplane/traffic",
      async handle(request, response) {
        const parsed = TrafficSetting.safeParse(await body(request));
        if (!parsed.success) refuse(parsed.error.issues);
        const { service, version, ...behaviour } = parsed.data;
        const where = runtime.cloud.traffic.list().filter((s) => s.service === service);
        if (where.length === 0) {
          const known = [...new Set(runtime.cloud.traffic.list().map((s) => s.service))];
          throw new RequestError(
            404,
            "NotFound",
            `no simulated service ${service} (known: ${known.join(", ")})`,
          );
        }
        for (const w of where) runtime.cloud.traffic.setBehaviour(w, version, behaviour);
        sendJson(response, 200, { service, version, behaviour, regions: where.map((w) => w.region) });
      },
    },
  ];
}
