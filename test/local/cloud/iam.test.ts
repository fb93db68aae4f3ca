import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreatePolicyCommand,
  CreateRoleCommand,
  DeletePolicyCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListRolePoliciesCommand,
  NoSuchEntityException,
  PutRolePolicyCommand,
} from "@aws-sdk/client-iam";
import { afterEach, describe, expect, it } from "vitest";
import { createAwsClient } from "../../../functions/shared/aws-clients.ts";
import type { LocalCloud } from "../../../local/cloud/cloud.ts";
import { startCloud, stopCloud } from "./support.ts";

let cloud: LocalCloud | undefined;
const dirs: string[] = [];
afterEach(async () => {
  if (cloud) await stopCloud(cloud);
  cloud = undefined;
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

const iam = (region = "us-east-1") => createAwsClient(IAMClient, { region });
const TRUST = JSON.stringify({
  Version: "2012-10-17",
  Statement: [
    { Effect: "Allow", Principal: { Service: "pods.eks.amazonaws.com" }, Action: "sts:AssumeRole" },
  ],
});
const DESCRIBE = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: "eks:DescribeCluster", Resource: "*" }],
});
const BOUNDARY = "arn:aws:iam::123456789012:policy/operator-boundary";

describe("IAM", () => {
  it("creates roles once, under an existing boundary only, and answers GetRole as AWS does", async () => {
    cloud = startCloud().cloud;
    await expect(
      iam().send(
        new CreateRoleCommand({
          RoleName: "ops",
          AssumeRolePolicyDocument: TRUST,
          PermissionsBoundary: BOUNDARY,
        }),
      ),
    ).rejects.toBeInstanceOf(NoSuchEntityException);
    await iam().send(new CreatePolicyCommand({ PolicyName: "operator-boundary", PolicyDocument: DESCRIBE }));

    const { Role } = await iam().send(
      new CreateRoleCommand({
        RoleName: "ops",
        AssumeRolePolicyDocument: TRUST,
        PermissionsBoundary: BOUNDARY,
        Tags: [{ Key: "cplane:tenant", Value: "acme" }],
      }),
    );

    expect(Role).toMatchObject({
      Arn: "arn:aws:iam::123456789012:role/ops",
      RoleId: expect.stringMatching(/^AROA[A-Z2-7]{17}$/),
      MaxSessionDuration: 3600,
    });
    // Role names are unique without regard to case.
    await expect(
      iam().send(new CreateRoleCommand({ RoleName: "OPS", AssumeRolePolicyDocument: TRUST })),
    ).rejects.toMatchObject({ name: "EntityAlreadyExistsException" });
    // Global: another region sees the same role.
    expect((await iam("us-west-2").send(new GetRoleCommand({ RoleName: "ops" }))).Role).toMatchObject({
      PermissionsBoundary: { PermissionsBoundaryType: "Policy", PermissionsBoundaryArn: BOUNDARY },
      Tags: [{ Key: "cplane:tenant", Value: "acme" }],
    });
  });

  it("refuses names longer than 64 characters and documents that are not JSON", async () => {
    cloud = startCloud().cloud;
    await expect(
      iam().send(new CreateRoleCommand({ RoleName: "r".repeat(65), AssumeRolePolicyDocument: TRUST })),
    ).rejects.toMatchObject({ name: "ValidationError" });
    await expect(
      iam().send(new CreateRoleCommand({ RoleName: "r", AssumeRolePolicyDocument: "{not json" })),
    ).rejects.toMatchObject({ name: "MalformedPolicyDocumentException" });
  });

  it("keeps inline policies, and deletes a role only once they are gone", async () => {
    cloud = startCloud().cloud;
    await iam().send(new CreateRoleCommand({ RoleName: "ops", AssumeRolePolicyDocument: TRUST }));
    await iam().send(
      new PutRolePolicyCommand({ RoleName: "ops", PolicyName: "describe", PolicyDocument: DESCRIBE }),
    );

    expect((await iam().send(new ListRolePoliciesCommand({ RoleName: "ops" }))).PolicyNames).toEqual([
      "describe",
    ]);
    const policy = await iam().send(new GetRolePolicyCommand({ RoleName: "ops", PolicyName: "describe" }));
    // URL-encoded, as IAM returns it.
    expect(policy.PolicyDocument).toBe(encodeURIComponent(DESCRIBE));
    expect(JSON.parse(decodeURIComponent(policy.PolicyDocument ?? ""))).toEqual(JSON.parse(DESCRIBE));
    await expect(iam().send(new DeleteRoleCommand({ RoleName: "ops" }))).rejects.toMatchObject({
      name: "DeleteConflictException",
    });
    await iam().send(new DeleteRolePolicyCommand({ RoleName: "ops", PolicyName: "describe" }));
    await iam().send(new DeleteRoleCommand({ RoleName: "ops" }));
    await expect(iam().send(new GetRoleCommand({ RoleName: "ops" }))).rejects.toMatchObject({
      name: "NoSuchEntityException",
      $metadata: { httpStatusCode: 404 },
    });
  });

  it("does not delete a boundary that roles are created under", async () => {
    cloud = startCloud().cloud;
    await iam().send(new CreatePolicyCommand({ PolicyName: "operator-boundary", PolicyDocument: DESCRIBE }));
    await iam().send(
      new CreateRoleCommand({
        RoleName: "ops",
        AssumeRolePolicyDocument: TRUST,
        PermissionsBoundary: BOUNDARY,
      }),
    );
    await expect(iam().send(new DeletePolicyCommand({ PolicyArn: BOUNDARY }))).rejects.toMatchObject({
      name: "DeleteConflictException",
    });
  });

  it("stays up when a region is down, and keeps its roles across a save and load", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "cplane-iam-"));
    dirs.push(dataDir);
    const first = startCloud({ dataDir }).cloud;
    await iam().send(new CreateRoleCommand({ RoleName: "ops", AssumeRolePolicyDocument: TRUST }));
    first.faults.regionDown("us-east-1");
    await iam().send(
      new PutRolePolicyCommand({ RoleName: "ops", PolicyName: "describe", PolicyDocument: DESCRIBE }),
    );
    await first.save();
    await stopCloud(first);

    cloud = startCloud({ dataDir }).cloud;
    expect(await cloud.load()).toBe(true);

    expect((await iam().send(new ListRolePoliciesCommand({ RoleName: "ops" }))).PolicyNames).toEqual([
      "describe",
    ]);
  });
});
