/**
 * The run reports, for the CLI and the console: read from the registry table in the local cloud by
 * the same library the record-report step writes with (functions/reports/lib/store.ts).
 *
 *   GET /_cplane/reports[?workflow=W&limit=N&next=T]   newest first; one workflow pages with `next`
 *   GET /_cplane/reports/<execution ARN or name>         the whole report
 */
import {
  AmbiguousReportError,
  InvalidPagingTokenError,
  ReportNotFoundError,
} from "../../functions/reports/lib/errors.ts";
import { getReport, listRecentReports, listReports } from "../../functions/reports/lib/store.ts";
import { workflowCatalog } from "../../workflows/catalog.ts";
import { RequestError } from "./aws-json.ts";
import { type Route, sendJson } from "./http.ts";

function limitOf(value: string | null): number {
  const limit = Number(value ?? "20");
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new RequestError(400, "BadRequest", "limit must be a whole number from 1 to 1000");
  }
  return limit;
}

export function reportRoutes(): Route[] {
  return [
    {
      method: "GET",
      path: "/_cplane/reports",
      async handle(request, response) {
        const query = new URL(request.url ?? "/", "http://localhost").searchParams;
        const workflow = query.get("workflow");
        const limit = limitOf(query.get("limit"));
        if (workflow === null) {
          sendJson(response, 200, { reports: await listRecentReports([...workflowCatalog.keys()], limit) });
          return;
        }
        // Reports outlive workflows: a name the catalog no longer has is read all the same.
        if (!/^[a-z][a-z0-9-]{0,63}$/.test(workflow)) {
          throw new RequestError(400, "BadRequest", `"${workflow}" is not a workflow name`);
        }
        const next = query.get("next") ?? undefined;
        try {
          sendJson(response, 200, await listReports({ workflow, limit, nextToken: next }));
        } catch (error) {
          if (error instanceof InvalidPagingTokenError)
            throw new RequestError(400, "BadRequest", error.message);
          throw error;
        }
      },
    },
    {
      method: "GET",
      path: /^\/_cplane\/reports\/(?<execution>[^/]+)$/,
      async handle(_, response, params) {
        try {
          sendJson(response, 200, await getReport(decodeURIComponent(params.execution ?? "")));
        } catch (error) {
          if (error instanceof ReportNotFoundError) throw new RequestError(404, "NotFound", error.message);
          if (error instanceof AmbiguousReportError) throw new RequestError(409, "Conflict", error.message);
          throw error;
        }
      },
    },
  ];
}
