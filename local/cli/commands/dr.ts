/**
 * `cplane dr status [--refresh] [--json]`: the last DR readiness (every 30 minutes by the `dr-readiness`
 * schedule): overall, per subject (platform, secondary EKS, each tenant) with the reason, and, when
 * production runs away from the stage's own region, the planned switchback to offer. `--refresh`
 * assesses it now (locally). On a stage, read from its registry table with your credentials.
 */
import type { Readiness } from "../../../functions/failover/lib/readiness.ts";
import { printJson, printTable } from "../io.ts";
import { admin, type Target, UsageError } from "../target.ts";

async function deployedReadiness(target: Target): Promise<Readiness | undefined> {
  if (target.kind !== "aws") return undefined;
  const { DynamoDBClient } = await import("@aws-sdk/client-dynamodb");
  const { readReadiness } = await import("../../../functions/failover/lib/store.ts");
  return readReadiness({
    client: new DynamoDBClient({ region: target.region }),
    tableName: target.tenantTable,
  });
}

export async function dr(
  target: Target,
  action: string,
  options: { json?: boolean; refresh?: boolean },
): Promise<number> {
  if (action !== "status") throw new UsageError("usage: cplane dr status [--refresh] [--json]");
  if (options.refresh && target.kind === "aws")
    throw new UsageError(
      "--refresh works against the local runtime only; on a stage, readiness runs every 30 minutes",
    );
  const { readiness, home } =
    target.kind === "aws"
      ? { readiness: (await deployedReadiness(target)) ?? null, home: target.region }
      : await admin<{ readiness: Readiness | null; home: string }>(
          target,
          "GET",
          `/dr${options.refresh ? "?refresh=1" : ""}`,
        );
  if (options.json) {
    printJson(readiness);
    return 0;
  }
  if (!readiness) {
    console.log("no DR readiness yet: it runs every 30 minutes (cplane dr status --refresh assesses it now)");
    return 0;
  }
  console.log(
    `DR readiness ${readiness.overall.toUpperCase()} at ${readiness.checkedAt}: primary ${readiness.primaryRegion}, secondary ${readiness.secondaryRegion}`,
  );
  printTable([
    ["SUBJECT", "KIND", "STATUS", "DETAIL"],
    ...readiness.subjects.map((s) => [s.subject, s.kind, s.status, s.reason]),
  ]);
  if (readiness.primaryRegion !== home && readiness.overall !== "red") {
    console.log(
      `production runs in ${readiness.primaryRegion}, not ${home}; when ready, switch back (planned, no data loss):\n` +
        `  cplane run regional-failover --input '{"trigger":"manual","mode":"switchover","reason":"switch back to ${home}"}' --follow`,
    );
  }
  return 0;
}
