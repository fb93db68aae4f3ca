/**
 * The tenant's operator role: the IAM role whose EKS access entry is scoped to the tenant's namespace.
 * An access entry can only name an existing principal, so onboarding creates the role first, under the
 * deployment's permissions boundary (which allows nothing beyond describing the tenant cluster), and
 * offboarding removes it after the access entry. Who may assume it is decided by identity policies in
 * the account (an SSO permission set, say): the trust policy delegates to the account.
 */
import { createHash } from "node:crypto";
import {
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  GetRoleCommand,
  IAMClient,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
  type Role,
} from "@aws-sdk/client-iam";
import { createAwsClient } from "../../shared/aws-clients.ts";
import { InvalidConfigurationError } from "../../shared/errors.ts";
import { assertOwnedBy, type Owner, TAG_EXECUTION, TAG_TENANT, TAG_TENANT_ID, tagValue } from "./database.ts";
import { isAwsError } from "./errors.ts";

export const iam = createAwsClient(IAMClient);

/** IAM role names are at most 64 characters (IAM User Guide, IAM object quotas). */
const ROLE_NAME_MAX = 64;
const SUFFIX = "-operators";
/** Room a long slug keeps before its hash: enough to tell tenants apart by eye. */
const MIN_SEGMENT = 12;
export const OPERATOR_POLICY_NAME = "describe-tenant-cluster";

export interface OperatorRoleSettings {
  /** `arn:<partition>:iam::<account>:role/<app>-<stage>-tenant-`: the role name is this plus a segment. */
  readonly operatorRoleArnPrefix: string;
  /** The managed policy every operator role is created under. */
  readonly operatorBoundaryArn: string;
  /** The tenant EKS cluster the role may describe (for `aws eks update-kubeconfig`). */
  readonly clusterArn: string;
  /** The paired region's tenant cluster, where the tenant's DR space is: the role may describe it too. */
  readonly drClusterArn?: string;
}

export interface RoleOwner extends Owner {
  readonly executionArn: string;
}

/**
 * The operator role's ARN for a slug. A slug that does not fit in the 64-character role name is cut and
 * ends with `--` and 8 hex digits of its SHA-256, so that two long slugs with a common start stay apart,
 * and no slug names another's role: a slug never holds `--` (slug.ts).
 */
export function operatorRoleArn(settings: OperatorRoleSettings, slug: string): string {
  const { prefix, namePrefix } = splitPrefix(settings.operatorRoleArnPrefix);
  const room = ROLE_NAME_MAX - namePrefix.length - SUFFIX.length;
  if (room < MIN_SEGMENT) {
    throw new InvalidConfigurationError(
      `operator role prefix "${namePrefix}" leaves ${room} characters for the tenant in a 64-character role name; ` +
        `shorten the app or stage name (at least ${MIN_SEGMENT} are needed)`,
    );
  }
  const hash = createHash("sha256").update(slug).digest("hex").slice(0, 8);
  const segment = slug.length <= room ? slug : `${slug.slice(0, room - 10).replace(/-+$/, "")}--${hash}`;
  return `${prefix}${segment}${SUFFIX}`;
}

/** The operator role's ARN, or undefined when the deployment's names leave no room for one (it made none). */
export function operatorRoleArnIfAny(settings: OperatorRoleSettings, slug: string): string | undefined {
  try {
    return operatorRoleArn(settings, slug);
  } catch (error) {
    if (error instanceof InvalidConfigurationError) return undefined;
    throw error;
  }
}

function splitPrefix(arnPrefix: string): {
  prefix: string;
  namePrefix: string;
  account: string;
  partition: string;
} {
  const match = /^arn:([\w-]+):iam::(\d{12}):role\/((?:[\w+=,.@-]+\/)*)([\w+=,.@-]*)$/.exec(arnPrefix);
  if (!match) {
    throw new InvalidConfigurationError(
      `TENANT_OPERATOR_ROLE_ARN_PREFIX "${arnPrefix}" is not an IAM role ARN prefix (arn:<partition>:iam::<account>:role/<name-prefix>)`,
    );
  }
  const [, partition = "", account = "", , namePrefix = ""] = match;
  return { prefix: arnPrefix, namePrefix, account, partition };
}

const roleName = (arn: string) => arn.slice(arn.lastIndexOf("/") + 1);

async function getRole(name: string): Promise<Role | undefined> {
  try {
    return (await iam.send(new GetRoleCommand({ RoleName: name }))).Role;
  } catch (error) {
    if (isAwsError(error, "NoSuchEntityException", "NoSuchEntity")) return undefined;
    throw error;
  }
}

export interface OperatorRole {
  readonly arn: string;
  /** True when this execution created the role (now or in an earlier attempt of the same step). */
  readonly created: boolean;
  /** True when this call created it: IAM may not have propagated it yet, and an access entry left for
   * an earlier role of the same ARN does not authenticate this one. */
  readonly fresh: boolean;
}

/** Creates the operator role under the boundary unless this tenant already has it; refuses another's. */
export async function ensureOperatorRole(
  settings: OperatorRoleSettings,
  owner: RoleOwner,
): Promise<OperatorRole> {
  const arn = operatorRoleArn(settings, owner.slug);
  const name = roleName(arn);
  const { account, partition } = splitPrefix(settings.operatorRoleArnPrefix);
  let role = await getRole(name);
  let fresh = false;
  if (role) assertOwnedBy(`IAM role ${name}`, role.Tags, owner);
  else {
    try {
      role = (
        await iam.send(
          new CreateRoleCommand({
            RoleName: name,
            Description: `Operators of tenant ${owner.slug}: EKS access scoped to its namespace`,
            PermissionsBoundary: settings.operatorBoundaryArn,
            MaxSessionDuration: 3600,
            AssumeRolePolicyDocument: JSON.stringify({
              Version: "2012-10-17",
              Statement: [
                {
                  Effect: "Allow",
                  Principal: { AWS: `arn:${partition}:iam::${account}:root` },
                  Action: "sts:AssumeRole",
                },
              ],
            }),
            Tags: [
              { Key: TAG_TENANT, Value: owner.slug },
              { Key: TAG_TENANT_ID, Value: owner.tenantId },
              { Key: TAG_EXECUTION, Value: owner.executionArn },
            ],
          }),
        )
      ).Role;
      fresh = true;
    } catch (error) {
      // A concurrent attempt made it between our read and our create: take what is there, if ours.
      if (!isAwsError(error, "EntityAlreadyExistsException", "EntityAlreadyExists")) throw error;
      role = await getRole(name);
      if (!role) throw error;
      assertOwnedBy(`IAM role ${name}`, role.Tags, owner);
    }
  }
  // Always put: a repeat converges on the current cluster ARN.
  await iam.send(
    new PutRolePolicyCommand({
      RoleName: name,
      PolicyName: OPERATOR_POLICY_NAME,
      PolicyDocument: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Action: "eks:DescribeCluster",
            Resource: settings.drClusterArn
              ? [settings.clusterArn, settings.drClusterArn]
              : settings.clusterArn,
          },
        ],
      }),
    }),
  );
  return { arn, created: tagValue(role?.Tags, TAG_EXECUTION) === owner.executionArn, fresh };
}

export type RoleOwnership =
  | { readonly state: "missing" }
  | { readonly state: "ours"; readonly createdBy: string | undefined }
  | { readonly state: "another tenant's" };

/** Whether the role under the tenant's operator role name exists, and whether it is this tenant's. */
export async function operatorRoleOwnership(
  settings: OperatorRoleSettings,
  owner: Owner,
): Promise<RoleOwnership> {
  const role = await getRole(roleName(operatorRoleArn(settings, owner.slug)));
  if (!role) return { state: "missing" };
  const ours =
    tagValue(role.Tags, TAG_TENANT) === owner.slug && tagValue(role.Tags, TAG_TENANT_ID) === owner.tenantId;
  return ours
    ? { state: "ours", createdBy: tagValue(role.Tags, TAG_EXECUTION) }
    : { state: "another tenant's" };
}

/** Deletes the tenant's operator role and its inline policies. False when there was none. */
export async function removeOperatorRole(settings: OperatorRoleSettings, owner: Owner): Promise<boolean> {
  const name = roleName(operatorRoleArn(settings, owner.slug));
  const role = await getRole(name);
  if (!role) return false;
  assertOwnedBy(`IAM role ${name}`, role.Tags, owner);
  const policies = (await iam.send(new ListRolePoliciesCommand({ RoleName: name }))).PolicyNames ?? [];
  for (const policy of policies) {
    await iam.send(new DeleteRolePolicyCommand({ RoleName: name, PolicyName: policy }));
  }
  try {
    await iam.send(new DeleteRoleCommand({ RoleName: name }));
  } catch (error) {
    if (!isAwsError(error, "NoSuchEntityException", "NoSuchEntity")) throw error;
  }
  return true;
}
