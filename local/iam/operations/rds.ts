/**
 * RDS and the RDS Data API. Identifiers become ARNs of the caller's region; a Describe without an
 * identifier is authorized on the resource type's `*` (as RDS does for list calls); the Data API reads the
 * cluster's secret with the caller's rights, so it needs `secretsmanager:GetSecretValue` on it too.
 */
import {
  hasTags,
  type Lookup,
  type MappedRequest,
  type OperationMapping,
  request,
  requestTags,
  str,
} from "./types.ts";

const base = (l: Lookup, region = l.region) => `arn:aws:rds:${region}:${l.account}`;
const arnOr = (id: unknown, l: Lookup, type: string) => {
  const text = str(id);
  return text.startsWith("arn:") ? text : `${base(l)}:${type}:${text || "*"}`;
};
const cluster = (id: unknown, l: Lookup) => arnOr(id, l, "cluster");
const instance = (id: unknown, l: Lookup) => arnOr(id, l, "db");
const snapshot = (id: unknown, l: Lookup) => arnOr(id, l, "cluster-snapshot");
const global = (id: unknown, l: Lookup) => {
  const text = str(id);
  return text.startsWith("arn:") ? text : `arn:aws:rds::${l.account}:global-cluster:${text || "*"}`;
};

/** Creating with tags: the action with the request tags, and `rds:AddTagsToResource` on what is made. */
function created(action: string, arn: string, tags: unknown, also: MappedRequest[] = []): MappedRequest[] {
  // The request's tags are in the context of every resource the call is authorized on (the cluster an
  // instance joins, the snapshot a restore reads), not only of what it makes.
  const withTags = also.map((r) => request(r.action, r.resource, { ...requestTags(tags), ...r.context }));
  const out = [request(action, arn, requestTags(tags)), ...withTags];
  if (hasTags(tags)) out.push(request("rds:AddTagsToResource", arn, requestTags(tags)));
  return out;
}

const one =
  (action: string, arn: (input: Record<string, unknown>, l: Lookup) => string): OperationMapping =>
  (input, l) => [request(action, arn(input, l))];

export const rdsMappings: Record<string, OperationMapping> = {
  CreateDBCluster: (input, l) => {
    const arn = cluster(input.DBClusterIdentifier, l);
    const also: MappedRequest[] = [];
    if (input.DBSubnetGroupName)
      also.push(request("rds:CreateDBCluster", `${base(l)}:subgrp:${str(input.DBSubnetGroupName)}`));
    if (input.GlobalClusterIdentifier)
      also.push(request("rds:CreateDBCluster", global(input.GlobalClusterIdentifier, l)));
    // ManageMasterUserPassword: RDS creates (and tags) the master secret with the caller's rights.
    if (input.ManageMasterUserPassword) {
      const secret = `arn:aws:secretsmanager:${l.region}:${l.account}:secret:rds!cluster-${str(input.DBClusterIdentifier)}`;
      also.push(
        request("secretsmanager:CreateSecret", secret),
        request("secretsmanager:TagResource", secret),
      );
    }
    return created("rds:CreateDBCluster", arn, input.Tags, also);
  },
  DescribeDBClusters: one("rds:DescribeDBClusters", (i, l) => cluster(i.DBClusterIdentifier, l)),
  ModifyDBCluster: one("rds:ModifyDBCluster", (i, l) => cluster(i.DBClusterIdentifier, l)),
  StopDBCluster: one("rds:StopDBCluster", (i, l) => cluster(i.DBClusterIdentifier, l)),
  StartDBCluster: one("rds:StartDBCluster", (i, l) => cluster(i.DBClusterIdentifier, l)),
  DeleteDBCluster: (input, l) => {
    const out = [request("rds:DeleteDBCluster", cluster(input.DBClusterIdentifier, l))];
    if (input.FinalDBSnapshotIdentifier && !input.SkipFinalSnapshot) {
      out.push(request("rds:CreateDBClusterSnapshot", snapshot(input.FinalDBSnapshotIdentifier, l)));
    }
    return out;
  },
  CreateDBInstance: (input, l) =>
    created("rds:CreateDBInstance", instance(input.DBInstanceIdentifier, l), input.Tags, [
      request("rds:CreateDBInstance", cluster(input.DBClusterIdentifier, l)),
    ]),
  DescribeDBInstances: one("rds:DescribeDBInstances", (i, l) => instance(i.DBInstanceIdentifier, l)),
  DeleteDBInstance: one("rds:DeleteDBInstance", (i, l) => instance(i.DBInstanceIdentifier, l)),
  CreateDBClusterSnapshot: (input, l) =>
    created("rds:CreateDBClusterSnapshot", snapshot(input.DBClusterSnapshotIdentifier, l), input.Tags, [
      request("rds:CreateDBClusterSnapshot", cluster(input.DBClusterIdentifier, l)),
    ]),
  DescribeDBClusterSnapshots: (input, l) =>
    input.DBClusterSnapshotIdentifier || !input.DBClusterIdentifier
      ? [request("rds:DescribeDBClusterSnapshots", snapshot(input.DBClusterSnapshotIdentifier, l))]
      : [request("rds:DescribeDBClusterSnapshots", cluster(input.DBClusterIdentifier, l))],
  DeleteDBClusterSnapshot: one("rds:DeleteDBClusterSnapshot", (i, l) =>
    snapshot(i.DBClusterSnapshotIdentifier, l),
  ),
  CopyDBClusterSnapshot: (input, l) =>
    created("rds:CopyDBClusterSnapshot", snapshot(input.TargetDBClusterSnapshotIdentifier, l), input.Tags, [
      request("rds:CopyDBClusterSnapshot", snapshot(input.SourceDBClusterSnapshotIdentifier, l)),
    ]),
  RestoreDBClusterFromSnapshot: (input, l) =>
    created("rds:RestoreDBClusterFromSnapshot", cluster(input.DBClusterIdentifier, l), input.Tags, [
      request("rds:RestoreDBClusterFromSnapshot", snapshot(input.SnapshotIdentifier, l)),
    ]),
  RestoreDBClusterToPointInTime: (input, l) =>
    created("rds:RestoreDBClusterToPointInTime", cluster(input.DBClusterIdentifier, l), input.Tags, [
      request("rds:RestoreDBClusterToPointInTime", cluster(input.SourceDBClusterIdentifier, l)),
    ]),
  CreateGlobalCluster: (input, l) =>
    created(
      "rds:CreateGlobalCluster",
      global(input.GlobalClusterIdentifier, l),
      input.Tags,
      input.SourceDBClusterIdentifier
        ? [request("rds:CreateGlobalCluster", cluster(input.SourceDBClusterIdentifier, l))]
        : [],
    ),
  DescribeGlobalClusters: one("rds:DescribeGlobalClusters", (i, l) => global(i.GlobalClusterIdentifier, l)),
  RemoveFromGlobalCluster: (input, l) => [
    request("rds:RemoveFromGlobalCluster", global(input.GlobalClusterIdentifier, l)),
    request("rds:RemoveFromGlobalCluster", cluster(input.DbClusterIdentifier, l)),
  ],
  DeleteGlobalCluster: one("rds:DeleteGlobalCluster", (i, l) => global(i.GlobalClusterIdentifier, l)),
  SwitchoverGlobalCluster: (input, l) => [
    request("rds:SwitchoverGlobalCluster", global(input.GlobalClusterIdentifier, l)),
    request("rds:SwitchoverGlobalCluster", cluster(input.TargetDbClusterIdentifier, l)),
  ],
  FailoverGlobalCluster: (input, l) => [
    request("rds:FailoverGlobalCluster", global(input.GlobalClusterIdentifier, l)),
    request("rds:FailoverGlobalCluster", cluster(input.TargetDbClusterIdentifier, l)),
  ],
  AddTagsToResource: (input) => [
    request("rds:AddTagsToResource", str(input.ResourceName), requestTags(input.Tags)),
  ],
  RemoveTagsFromResource: (input) => [
    request("rds:RemoveTagsFromResource", str(input.ResourceName), {
      "aws:TagKeys": (input.TagKeys as string[] | undefined) ?? [],
    }),
  ],
  ListTagsForResource: one("rds:ListTagsForResource", (i) => str(i.ResourceName)),
};

/** The Data API: the action on the cluster, and reading the secret it connects with. */
const dataApi =
  (action: string): OperationMapping =>
  (input, l) => {
    const out = [request(`rds-data:${action}`, str(input.resourceArn))];
    const secret = str(input.secretArn);
    if (secret) out.push(request("secretsmanager:GetSecretValue", l.secretArn(secret) ?? secret));
    return out;
  };

export const rdsDataMappings: Record<string, OperationMapping> = {
  ExecuteStatement: dataApi("ExecuteStatement"),
  // BatchExecuteStatement is authorized as rds-data:BatchExecuteStatement (Service Authorization Reference).
  BatchExecuteStatement: dataApi("BatchExecuteStatement"),
  BeginTransaction: dataApi("BeginTransaction"),
  CommitTransaction: dataApi("CommitTransaction"),
  RollbackTransaction: dataApi("RollbackTransaction"),
};
