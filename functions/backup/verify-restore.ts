/**
 * Step 4, per tenant: the restored data, checked with real SQL through the Data API against the
 * tenant's own cluster as of the restore point (read only there): the schema's migration version
 * equals the tenant's ledger; key tables' row counts match the source's rows written by then within
 * ROW_COUNT_TOLERANCE_PERCENT; reference tables' checksums match exactly; the scratch cluster accepts a
 * write. Turns the scratch cluster's Data API on first (a restore does not carry it over).
 */
import { ModifyDBClusterCommand } from "@aws-sdk/client-rds";
import { z } from "zod";
import { defineStep } from "../shared/handler.ts";
import { ScratchNotOursError } from "./lib/errors.ts";
import { type CheckResult, Target } from "./lib/inputs.ts";
import { isOurScratch } from "./lib/names.ts";
import { KEY_TABLES, REFERENCE_TABLES, ROW_COUNT_TOLERANCE_PERCENT } from "./lib/policy.ts";
import { findCluster, rdsIn } from "./lib/rds.ts";
import { type Database, scalar, text, timestampParam } from "./lib/sql.ts";

export const VerifyRestoreInput = z.object({
  target: Target,
  scratch: z.object({ clusterIdentifier: z.string().min(1), clusterArn: z.string().min(1) }),
  source: z.object({ clusterArn: z.string().min(1), masterSecretArn: z.string().min(1) }),
  /** The restore point: the snapshot's time, or the point in time asked for. */
  asOf: z.iso.datetime({ offset: true }),
  executionArn: z.string().min(1),
});

export interface VerifyRestoreResult {
  readonly checks: readonly CheckResult[];
}

export const handler = defineStep(VerifyRestoreInput, async (input): Promise<VerifyRestoreResult> => {
  const { target, scratch } = input;
  const cluster = await findCluster(target.region, scratch.clusterIdentifier);
  if (!cluster || !isOurScratch(cluster.TagList, input.executionArn))
    throw new ScratchNotOursError(`DB cluster ${scratch.clusterIdentifier} is not this execution's scratch`);
  if (!cluster.HttpEndpointEnabled) {
    await rdsIn(target.region).send(
      new ModifyDBClusterCommand({
        DBClusterIdentifier: scratch.clusterIdentifier,
        EnableHttpEndpoint: true,
      }),
    );
  }
  // The restored cluster keeps the source's master user and password as of the snapshot.
  const restored: Database = {
    region: target.region,
    resourceArn: scratch.clusterArn,
    secretArn: input.source.masterSecretArn,
  };
  const source: Database = {
    region: target.region,
    resourceArn: input.source.clusterArn,
    secretArn: input.source.masterSecretArn,
  };
  const checks: CheckResult[] = [];

  // A table the restore lacks is a failed check with its values, not an error.
  const exists = async (db: Database, table: string) =>
    (await scalar(db, "SELECT to_regclass(:t) IS NOT NULL AS present", [text("t", table)])) === true;
  const whenPresent = async <T>(db: Database, table: string, read: () => Promise<T>): Promise<T | null> =>
    (await exists(db, table)) ? read() : null;

  const ledger = "cplane.schema_migrations";
  const versionSql = `SELECT coalesce(max(version), 'none') AS version FROM ${ledger}`;
  const restoredVersion = await whenPresent(restored, ledger, async () =>
    String(await scalar(restored, versionSql)),
  );
  const ledgerVersion = await whenPresent(source, ledger, async () =>
    String(await scalar(source, versionSql)),
  );
  checks.push({
    check: "schema-version",
    ok: restoredVersion !== null && restoredVersion === ledgerVersion,
    values: { restored: restoredVersion, ledger: ledgerVersion },
  });

  const asOf = [timestampParam("asOf", input.asOf)];
  for (const { table, writtenAt } of KEY_TABLES) {
    const restoredCount = await whenPresent(restored, table, async () =>
      Number(await scalar(restored, `SELECT count(*)::int AS n FROM ${table}`)),
    );
    const sourceCount = await whenPresent(source, table, async () =>
      Number(
        await scalar(source, `SELECT count(*)::int AS n FROM ${table} WHERE ${writtenAt} <= :asOf`, asOf),
      ),
    );
    const allowed = Math.floor(((sourceCount ?? 0) * ROW_COUNT_TOLERANCE_PERCENT) / 100);
    checks.push({
      check: "row-count",
      ok: restoredCount !== null && sourceCount !== null && Math.abs(restoredCount - sourceCount) <= allowed,
      values: {
        table,
        restored: restoredCount,
        source: sourceCount,
        tolerancePercent: ROW_COUNT_TOLERANCE_PERCENT,
      },
    });
  }

  for (const { table, row, order } of REFERENCE_TABLES) {
    const sql = `SELECT coalesce(md5(string_agg(${row}, ',' ORDER BY ${order})), 'empty') AS sum FROM ${table}`;
    const restoredSum = await whenPresent(restored, table, async () => String(await scalar(restored, sql)));
    const sourceSum = await whenPresent(source, table, async () => String(await scalar(source, sql)));
    checks.push({
      check: "checksum",
      ok: restoredSum !== null && restoredSum === sourceSum,
      values: { table, restored: restoredSum, source: sourceSum },
    });
  }

  await scalar(restored, "CREATE SCHEMA IF NOT EXISTS cplane");
  await scalar(
    restored,
    "CREATE TABLE IF NOT EXISTS cplane.restore_probe (run text PRIMARY KEY, at timestamptz NOT NULL)",
  );
  const written = await scalar(
    restored,
    "INSERT INTO cplane.restore_probe (run, at) VALUES (:run, now()) ON CONFLICT (run) DO UPDATE SET at = now() RETURNING run",
    [{ name: "run", value: { stringValue: input.executionArn } }],
  );
  checks.push({
    check: "write",
    ok: written === input.executionArn,
    values: { table: "cplane.restore_probe", accepted: written === input.executionArn },
  });
  return { checks };
});
