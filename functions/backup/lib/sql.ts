/** Running the verification's SQL through the Data API, as JSON records. */
import { ExecuteStatementCommand, type SqlParameter } from "@aws-sdk/client-rds-data";
import { isThrottling, TransientError } from "../../shared/errors.ts";
import { ScratchNotReadyError } from "./errors.ts";
import { dataIn, isAwsError } from "./rds.ts";

export interface Database {
  readonly region: string;
  readonly resourceArn: string;
  readonly secretArn: string;
}

/** The tenant schema lives in the `app` database (functions/tenant/lib/database.ts). */
const DATABASE = "app";

export async function query(
  db: Database,
  sql: string,
  parameters: SqlParameter[] = [],
): Promise<Record<string, unknown>[]> {
  try {
    const out = await dataIn(db.region).send(
      new ExecuteStatementCommand({
        resourceArn: db.resourceArn,
        secretArn: db.secretArn,
        database: DATABASE,
        sql,
        ...(parameters.length > 0 ? { parameters } : {}),
        formatRecordsAs: "JSON",
      }),
    );
    return JSON.parse(out.formattedRecords ?? "[]") as Record<string, unknown>[];
  } catch (error) {
    if (isAwsError(error, "DatabaseUnavailableException", "DatabaseResumingException"))
      throw new ScratchNotReadyError(`${db.resourceArn} does not accept Data API calls yet`, {
        cause: error,
      });
    if (isThrottling(error)) throw new TransientError("the Data API is throttling", { cause: error });
    throw error;
  }
}

/** The one value of a one-row, one-column answer. */
export async function scalar(db: Database, sql: string, parameters: SqlParameter[] = []): Promise<unknown> {
  const rows = await query(db, sql, parameters);
  const first = rows[0];
  return first ? Object.values(first)[0] : undefined;
}

export const timestampParam = (name: string, iso: string): SqlParameter => ({
  name,
  value: { stringValue: iso.replace("T", " ").replace("Z", "") },
  typeHint: "TIMESTAMP",
});

export const text = (name: string, value: string): SqlParameter => ({ name, value: { stringValue: value } });
