/**
 * Multi-Region secrets in the local cloud, as Secrets Manager documents them: ReplicateSecretToRegions
 * makes a replica (same name and suffix) carrying the primary's versions and tags, writes go to the
 * primary only, a replicated primary cannot be deleted, RemoveRegionsFromReplication deletes the
 * replica, and a replica keeps answering while the primary's region is down.
 */
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RemoveRegionsFromReplicationCommand,
  ReplicateSecretToRegionsCommand,
  SecretsManagerClient,
  TagResourceCommand,
} from "@aws-sdk/client-secrets-manager";
import { afterEach, describe, expect, it } from "vitest";
import { createAwsClient } from "../../../functions/shared/aws-clients.ts";
import type { LocalCloud } from "../../../local/cloud/cloud.ts";
import { startCloud, stopCloud } from "./support.ts";

let cloud: LocalCloud | undefined;
afterEach(async () => {
  if (cloud) await stopCloud(cloud);
  cloud = undefined;
});

const east = () => createAwsClient(SecretsManagerClient, { region: "us-east-1" });
const west = () => createAwsClient(SecretsManagerClient, { region: "us-west-2" });
const NAME = "cplane/tenants/acme/db";

async function replicated(): Promise<string> {
  cloud = startCloud().cloud;
  const { ARN } = await east().send(
    new CreateSecretCommand({
      Name: NAME,
      SecretString: '{"password":"one"}',
      Tags: [{ Key: "cplane:tenant", Value: "acme" }],
    }),
  );
  const answer = await east().send(
    new ReplicateSecretToRegionsCommand({ SecretId: NAME, AddReplicaRegions: [{ Region: "us-west-2" }] }),
  );
  expect(answer).toMatchObject({ ARN, ReplicationStatus: [{ Region: "us-west-2", Status: "InSync" }] });
  return ARN ?? "";
}

describe("Secrets Manager replication", () => {
  it("makes a replica with the primary's name, suffix, value and tags, and follows the primary's writes", async () => {
    // Prepare
    const arn = await replicated();

    // Act
    await east().send(new PutSecretValueCommand({ SecretId: NAME, SecretString: '{"password":"two"}' }));
    await east().send(new TagResourceCommand({ SecretId: NAME, Tags: [{ Key: "owner", Value: "ops" }] }));

    // Assess
    const replica = await west().send(new DescribeSecretCommand({ SecretId: NAME }));
    expect(replica.ARN).toBe(arn.replace(":us-east-1:", ":us-west-2:"));
    expect(replica.PrimaryRegion).toBe("us-east-1");
    expect(replica.Tags).toEqual([
      { Key: "cplane:tenant", Value: "acme" },
      { Key: "owner", Value: "ops" },
    ]);
    const value = await west().send(new GetSecretValueCommand({ SecretId: NAME }));
    expect(value.SecretString).toBe('{"password":"two"}');
    const previous = await west().send(
      new GetSecretValueCommand({ SecretId: NAME, VersionStage: "AWSPREVIOUS" }),
    );
    expect(previous.SecretString).toBe('{"password":"one"}');
    const primary = await east().send(new DescribeSecretCommand({ SecretId: NAME }));
    expect(primary).toMatchObject({
      PrimaryRegion: "us-east-1",
      ReplicationStatus: [{ Region: "us-west-2", Status: "InSync" }],
    });
  });

  it("refuses writes to the replica and the deletion of a replicated primary, changing nothing", async () => {
    await replicated();
    await expect(
      west().send(new PutSecretValueCommand({ SecretId: NAME, SecretString: '{"password":"x"}' })),
    ).rejects.toMatchObject({
      name: "InvalidRequestException",
      message: expect.stringContaining("replica secret"),
    });
    await expect(
      east().send(new DeleteSecretCommand({ SecretId: NAME, ForceDeleteWithoutRecovery: true })),
    ).rejects.toMatchObject({
      name: "InvalidRequestException",
      message: expect.stringContaining("us-west-2"),
    });
    expect((await west().send(new GetSecretValueCommand({ SecretId: NAME }))).SecretString).toBe(
      '{"password":"one"}',
    );
    expect((await east().send(new DescribeSecretCommand({ SecretId: NAME }))).DeletedDate).toBeUndefined();
  });

  it("refuses a replica over another secret of that name there, and a region the secret is in", async () => {
    cloud = startCloud().cloud;
    await east().send(new CreateSecretCommand({ Name: NAME, SecretString: "a" }));
    await west().send(new CreateSecretCommand({ Name: NAME, SecretString: "theirs" }));
    await expect(
      east().send(
        new ReplicateSecretToRegionsCommand({ SecretId: NAME, AddReplicaRegions: [{ Region: "us-west-2" }] }),
      ),
    ).rejects.toMatchObject({ name: "InvalidRequestException" });
    expect((await west().send(new GetSecretValueCommand({ SecretId: NAME }))).SecretString).toBe("theirs");
    await expect(
      east().send(
        new ReplicateSecretToRegionsCommand({ SecretId: NAME, AddReplicaRegions: [{ Region: "us-east-1" }] }),
      ),
    ).rejects.toMatchObject({ name: "InvalidParameterException" });
  });

  it("deletes the replica on RemoveRegionsFromReplication; the primary can then be deleted", async () => {
    await replicated();
    const answer = await east().send(
      new RemoveRegionsFromReplicationCommand({ SecretId: NAME, RemoveReplicaRegions: ["us-west-2"] }),
    );
    expect(answer.ReplicationStatus).toEqual([]);
    await expect(west().send(new DescribeSecretCommand({ SecretId: NAME }))).rejects.toMatchObject({
      name: "ResourceNotFoundException",
    });
    await east().send(new DeleteSecretCommand({ SecretId: NAME, RecoveryWindowInDays: 7 }));
    expect((await east().send(new DescribeSecretCommand({ SecretId: NAME }))).DeletedDate).toBeDefined();
  });

  it("keeps the replica readable while the primary's region is down", async () => {
    await replicated();
    cloud?.faults.regionDown("us-east-1");
    await expect(east().send(new GetSecretValueCommand({ SecretId: NAME }))).rejects.toMatchObject({
      name: "TimeoutError",
    });
    expect((await west().send(new GetSecretValueCommand({ SecretId: NAME }))).SecretString).toBe(
      '{"password":"one"}',
    );
  });
});
