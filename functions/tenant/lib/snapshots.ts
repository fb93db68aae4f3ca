/** Reading a final snapshot's status. */
import { DescribeDBClusterSnapshotsCommand } from "@aws-sdk/client-rds";
import { rdsAt } from "./database.ts";
import { isAwsError } from "./errors.ts";

export async function snapshotStatus(
  identifier: string,
  region?: string,
): Promise<{ status: string; arn: string } | undefined> {
  try {
    const { DBClusterSnapshots } = await rdsAt(region).send(
      new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: identifier }),
    );
    const snapshot = DBClusterSnapshots?.[0];
    return snapshot
      ? { status: snapshot.Status ?? "unknown", arn: snapshot.DBClusterSnapshotArn ?? "" }
      : undefined;
  } catch (error) {
    if (isAwsError(error, "DBClusterSnapshotNotFoundFault")) return undefined;
    throw error;
  }
}
