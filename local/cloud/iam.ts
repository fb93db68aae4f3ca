/**
 * IAM, for the roles the control plane makes and checks: roles with their trust policy, permissions
 * boundary, tags and inline policies, and customer managed policies (used here as boundaries). Global, as on AWS: one set of roles whatever the caller's region,
 * and a region outage does not take it down. Policies are stored as documents; local/iam evaluates those
 * of the role a handler runs as (`principal`) when the runtime authorizes its calls.
 */
import type {
  CreatePolicyCommandInput,
  CreateRoleCommandInput,
  DeletePolicyCommandInput,
  DeleteRoleCommandInput,
  DeleteRolePolicyCommandInput,
  GetPolicyCommandInput,
  GetRoleCommandInput,
  GetRolePolicyCommandInput,
  ListRolePoliciesCommandInput,
  PutRolePolicyCommandInput,
  TagRoleCommandInput,
} from "@aws-sdk/client-iam";
import { type JsonText, SavedText } from "./changes.ts";
import type { CloudContext, Json } from "./context.ts";
import { randomId } from "./context.ts";
import { fail } from "./errors.ts";
import type { EmulatedService } from "./service.ts";
import { fromJson } from "./service.ts";

interface Role {
  name: string;
  path: string;
  arn: string;
  roleId: string;
  trustPolicy: string;
  description?: string;
  maxSessionDuration: number;
  permissionsBoundary?: string;
  tags: { Key: string; Value: string }[];
  inlinePolicies: Record<string, string>;
  created: Date;
}

interface ManagedPolicy {
  name: string;
  path: string;
  arn: string;
  policyId: string;
  document: string;
  description?: string;
  tags: { Key: string; Value: string }[];
  created: Date;
}

// IAM's own limits, from the IAM User Guide's quotas page: role names up to 64 characters of
// [\w+=,.@-], paths up to 512 characters, inline policy documents up to 10,240 characters per role.
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const POLICY_NAME = /^[\w+=,.@-]{1,128}$/;
const PATH = /^\/([\x21-\x7e]{0,510}\/)?$/;
const INLINE_POLICY_QUOTA = 10_240;

/** Parses a policy document as IAM does: JSON with at least one statement. */
function checkDocument(document: string | undefined, what: string): string {
  if (!document) fail("ValidationError", `${what} is required.`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(document);
  } catch {
    fail("MalformedPolicyDocumentException", "This policy contains invalid Json");
  }
  const statements = (parsed as { Statement?: unknown })?.Statement;
  if (!statements || (Array.isArray(statements) && statements.length === 0))
    fail("MalformedPolicyDocumentException", "Syntax errors in policy.");
  return document;
}

export class Iam implements EmulatedService {
  readonly name = "IAM";
  readonly global = true;
  private readonly ctx: CloudContext;
  private roles: Role[] = [];
  private policies: ManagedPolicy[] = [];

  constructor(ctx: CloudContext) {
    this.ctx = ctx;
  }

  /**
   * A role as local IAM authorization reads it: ARN, tags, inline policy documents and the boundary's
   * document; undefined when there is none. Read on every authorized call, so it copies nothing.
   */
  principal(name: string):
    | {
        readonly arn: string;
        readonly tags: readonly { Key: string; Value: string }[];
        readonly inlinePolicies: Readonly<Record<string, string>>;
        readonly boundaryArn?: string;
        readonly boundaryDocument?: string;
      }
    | undefined {
    const role = this.roles.find((r) => r.name === name);
    if (!role) return undefined;
    const boundary = role.permissionsBoundary
      ? this.policies.find((p) => p.arn === role.permissionsBoundary)
      : undefined;
    return {
      arn: role.arn,
      tags: role.tags,
      inlinePolicies: role.inlinePolicies,
      boundaryArn: role.permissionsBoundary,
      boundaryDocument: boundary?.document,
    };
  }

  /** Whether a role ARN names a role of this account (ARNs of other accounts are not checked). */
  roleExists(arn: string): boolean {
    const match = /^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(arn);
    if (!match || match[1] !== this.ctx.account) return true;
    return this.roles.some((r) => r.arn === arn);
  }

  private policy(arn: string | undefined): ManagedPolicy {
    const policy = this.policies.find((p) => p.arn === arn);
    if (!policy)
      fail("NoSuchEntityException", `Policy ${arn} does not exist or is not attachable.`, { status: 404 });
    return policy;
  }

  private policyOut(policy: ManagedPolicy) {
    return {
      PolicyName: policy.name,
      PolicyId: policy.policyId,
      Arn: policy.arn,
      Path: policy.path,
      DefaultVersionId: "v1",
      AttachmentCount: 0,
      PermissionsBoundaryUsageCount: this.roles.filter((r) => r.permissionsBoundary === policy.arn).length,
      IsAttachable: true,
      Description: policy.description,
      CreateDate: policy.created,
      UpdateDate: policy.created,
      Tags: policy.tags.length > 0 ? policy.tags.map((t) => ({ ...t })) : undefined,
    };
  }

  private role(name: string | undefined): Role {
    const role = this.roles.find((r) => r.name === name);
    if (!role) fail("NoSuchEntityException", `The role with name ${name} cannot be found.`, { status: 404 });
    return role;
  }

  private out(role: Role) {
    return {
      Path: role.path,
      RoleName: role.name,
      RoleId: role.roleId,
      Arn: role.arn,
      CreateDate: role.created,
      // IAM returns policy documents URL-encoded (RFC 3986); the SDK passes them on as they come.
      AssumeRolePolicyDocument: encodeURIComponent(role.trustPolicy),
      Description: role.description,
      MaxSessionDuration: role.maxSessionDuration,
      PermissionsBoundary: role.permissionsBoundary
        ? { PermissionsBoundaryType: "Policy", PermissionsBoundaryArn: role.permissionsBoundary }
        : undefined,
      Tags: role.tags.length > 0 ? role.tags.map((t) => ({ ...t })) : undefined,
    };
  }

  readonly operations = {
    CreateRole: (input: CreateRoleCommandInput) => {
      const name = input.RoleName ?? fail("ValidationError", "RoleName is required.");
      if (!ROLE_NAME.test(name)) fail("ValidationError", `The specified value for roleName is invalid.`);
      const path = input.Path ?? "/";
      if (!PATH.test(path)) fail("ValidationError", "The specified value for path is invalid.");
      if (this.roles.some((r) => r.name.toLowerCase() === name.toLowerCase()))
        fail("EntityAlreadyExistsException", `Role with name ${name} already exists.`, { status: 409 });
      const trustPolicy = checkDocument(input.AssumeRolePolicyDocument, "AssumeRolePolicyDocument");
      if (input.PermissionsBoundary) {
        if (!/^arn:aws:iam::(\d{12}|aws):policy\//.test(input.PermissionsBoundary))
          fail("InvalidInputException", `ARN ${input.PermissionsBoundary} is not valid.`);
        // Only this account's policies are known here; AWS managed ones are taken as they come.
        if (input.PermissionsBoundary.startsWith(`arn:aws:iam::${this.ctx.account}:`))
          this.policy(input.PermissionsBoundary);
      }
      const role: Role = {
        name,
        path,
        arn: `arn:aws:iam::${this.ctx.account}:role${path}${name}`,
        roleId: `AROA${randomId(17, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")}`,
        trustPolicy,
        description: input.Description,
        maxSessionDuration: input.MaxSessionDuration ?? 3600,
        permissionsBoundary: input.PermissionsBoundary,
        tags: (input.Tags ?? []).map((t) => ({ Key: String(t.Key), Value: String(t.Value ?? "") })),
        inlinePolicies: {},
        created: this.ctx.clock.date(),
      };
      this.roles.push(role);
      return { Role: this.out(role) };
    },
    CreatePolicy: (input: CreatePolicyCommandInput) => {
      const name = input.PolicyName ?? fail("ValidationError", "PolicyName is required.");
      if (!POLICY_NAME.test(name)) fail("ValidationError", "The specified value for policyName is invalid.");
      const path = input.Path ?? "/";
      if (!PATH.test(path)) fail("ValidationError", "The specified value for path is invalid.");
      const arn = `arn:aws:iam::${this.ctx.account}:policy${path}${name}`;
      if (this.policies.some((p) => p.name === name && p.path === path))
        fail(
          "EntityAlreadyExistsException",
          `A policy called ${name} already exists. Duplicate names are not allowed.`,
          {
            status: 409,
          },
        );
      const policy: ManagedPolicy = {
        name,
        path,
        arn,
        policyId: `ANPA${randomId(17, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")}`,
        document: checkDocument(input.PolicyDocument, "PolicyDocument"),
        description: input.Description,
        tags: (input.Tags ?? []).map((t) => ({ Key: String(t.Key), Value: String(t.Value ?? "") })),
        created: this.ctx.clock.date(),
      };
      this.policies.push(policy);
      return { Policy: this.policyOut(policy) };
    },
    GetPolicy: (input: GetPolicyCommandInput) => ({ Policy: this.policyOut(this.policy(input.PolicyArn)) }),
    DeletePolicy: (input: DeletePolicyCommandInput) => {
      const policy = this.policy(input.PolicyArn);
      if (this.roles.some((r) => r.permissionsBoundary === policy.arn))
        fail("DeleteConflictException", "Cannot delete a policy attached to entities.", { status: 409 });
      this.policies = this.policies.filter((p) => p !== policy);
      return {};
    },
    GetRole: (input: GetRoleCommandInput) => ({ Role: this.out(this.role(input.RoleName)) }),
    DeleteRole: (input: DeleteRoleCommandInput) => {
      const role = this.role(input.RoleName);
      if (Object.keys(role.inlinePolicies).length > 0)
        fail("DeleteConflictException", "Cannot delete entity, must delete policies first.", { status: 409 });
      this.roles = this.roles.filter((r) => r !== role);
      return {};
    },
    TagRole: (input: TagRoleCommandInput) => {
      const role = this.role(input.RoleName);
      for (const tag of input.Tags ?? []) {
        role.tags = role.tags.filter((t) => t.Key !== tag.Key);
        role.tags.push({ Key: String(tag.Key), Value: String(tag.Value ?? "") });
      }
      return {};
    },
    PutRolePolicy: (input: PutRolePolicyCommandInput) => {
      const role = this.role(input.RoleName);
      const name = input.PolicyName ?? fail("ValidationError", "PolicyName is required.");
      if (!POLICY_NAME.test(name)) fail("ValidationError", "The specified value for policyName is invalid.");
      const document = checkDocument(input.PolicyDocument, "PolicyDocument");
      const others = Object.entries(role.inlinePolicies).filter(([key]) => key !== name);
      const size = others.reduce((sum, [, doc]) => sum + doc.replace(/\s/g, "").length, 0);
      if (size + document.replace(/\s/g, "").length > INLINE_POLICY_QUOTA)
        fail(
          "LimitExceededException",
          `Maximum policy size of ${INLINE_POLICY_QUOTA} bytes exceeded for role ${role.name}`,
        );
      role.inlinePolicies[name] = document;
      return {};
    },
    GetRolePolicy: (input: GetRolePolicyCommandInput) => {
      const role = this.role(input.RoleName);
      const document = role.inlinePolicies[String(input.PolicyName)];
      if (document === undefined)
        fail("NoSuchEntityException", `The role policy with name ${input.PolicyName} cannot be found.`, {
          status: 404,
        });
      return {
        RoleName: role.name,
        PolicyName: input.PolicyName,
        PolicyDocument: encodeURIComponent(document),
      };
    },
    ListRolePolicies: (input: ListRolePoliciesCommandInput) => ({
      PolicyNames: Object.keys(this.role(input.RoleName).inlinePolicies).sort(),
      IsTruncated: false,
    }),
    DeleteRolePolicy: (input: DeleteRolePolicyCommandInput) => {
      const role = this.role(input.RoleName);
      const name = String(input.PolicyName);
      if (!(name in role.inlinePolicies))
        fail("NoSuchEntityException", `The role policy with name ${name} cannot be found.`, { status: 404 });
      delete role.inlinePolicies[name];
      return {};
    },
  };

  describe() {
    return {
      global: {
        policies: this.policies.map((p) => ({ name: p.name, arn: p.arn })),
        roles: this.roles.map((r) => ({
          name: r.name,
          arn: r.arn,
          boundary: r.permissionsBoundary,
          policies: Object.keys(r.inlinePolicies).sort(),
          tags: Object.fromEntries(r.tags.map((t) => [t.Key, t.Value])),
        })),
      },
    };
  }

  /** The text of the last save, serialized again only once an IAM call ran since (changes.ts). */
  private readonly saved = new SavedText();

  save(): JsonText {
    return this.saved.take(this.ctx.changes?.token(this.name), () => ({
      roles: this.roles,
      policies: this.policies,
    }));
  }

  load(state: Json): void {
    const loaded = fromJson<{ roles: Role[]; policies?: ManagedPolicy[] }>(state);
    this.roles = loaded.roles;
    this.policies = loaded.policies ?? [];
  }
}
