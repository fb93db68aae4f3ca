/**
 * Secrets Manager: secrets with versions and staging labels, deletion with a recovery window on the
 * clock, the RDS-managed master secrets (`rds!cluster-...`), and multi-Region secrets: a primary's
 * replicas (same name and suffix in another region) carry its versions and tags, refuse writes, and
 * keep answering when the primary's region is down. STS `GetCallerIdentity` lives here too.
 */
import { randomUUID } from "node:crypto";
import type {
  CreateSecretCommandInput,
  DeleteSecretCommandInput,
  DescribeSecretCommandInput,
  GetSecretValueCommandInput,
  ListSecretsCommandInput,
  PutSecretValueCommandInput,
  RemoveRegionsFromReplicationCommandInput,
  ReplicateSecretToRegionsCommandInput,
  RestoreSecretCommandInput,
  StopReplicationToReplicaCommandInput,
  TagResourceCommandInput,
  UntagResourceCommandInput,
  UpdateSecretCommandInput,
} from "@aws-sdk/client-secrets-manager";
import { type JsonText, SavedText } from "./changes.ts";
import type { CloudContext, Json } from "./context.ts";
import { randomId } from "./context.ts";
import { fail } from "./errors.ts";
import type { EmulatedService } from "./service.ts";
import { addTo, fromJson } from "./service.ts";

interface Version {
  id: string;
  secretString?: string;
  secretBinary?: Uint8Array;
  stages: string[];
  created: Date;
}

export interface Secret {
  region: string;
  arn: string;
  name: string;
  description?: string;
  kmsKeyId?: string;
  tags: { Key: string; Value: string }[];
  versions: Version[];
  created: Date;
  lastChanged: Date;
  deletedDate?: Date;
  owningService?: string;
  /** On a primary: the regions it is replicated to. */
  replicaRegions?: string[];
  /** On a replica: the primary's region. */
  primaryRegion?: string;
}

const REPLICA_REFUSED =
  "Operation not permitted on a replica secret. Call must be made in primary secret's region.";

export class SecretsManager implements EmulatedService {
  readonly name = "SecretsManager";
  readonly pureReads: ReadonlySet<string> = new Set(["DescribeSecret", "ListSecrets", "GetSecretValue"]);
  private readonly ctx: CloudContext;
  private secrets: Secret[] = [];

  constructor(ctx: CloudContext) {
    this.ctx = ctx;
    ctx.jobs.on("secrets.purge", (args) => {
      const arn = String(args);
      const secret = this.secrets.find((s) => s.arn === arn);
      if (secret?.deletedDate && secret.deletedDate.getTime() <= ctx.clock.now()) {
        this.secrets = this.secrets.filter((s) => s !== secret);
      }
    });
  }

  /** Looks a secret up by name or ARN (a partial ARN without the random suffix works, as on AWS). */
  find(region: string, id: string): Secret | undefined {
    return this.secrets.find(
      (s) => s.region === region && (s.name === id || s.arn === id || s.arn.slice(0, -7) === id),
    );
  }

  /** Creates a secret on behalf of a service (RDS-managed master passwords). */
  createManaged(region: string, name: string, value: string, tags: { Key: string; Value: string }[]): Secret {
    return this.create(region, { Name: name, SecretString: value, Tags: tags }, "rds");
  }

  forceDelete(arn: string): void {
    this.secrets = this.secrets.filter((s) => s.arn !== arn);
  }

  private create(region: string, input: CreateSecretCommandInput, owningService?: string): Secret {
    const name = input.Name ?? fail("InvalidParameterException", "Name is required.");
    const existing = this.find(region, name);
    if (existing?.deletedDate) {
      fail(
        "InvalidRequestException",
        `You can't create this secret because a secret with this name is already scheduled for deletion.`,
      );
    }
    if (existing)
      fail("ResourceExistsException", `The operation failed because the secret ${name} already exists.`);
    const now = this.ctx.clock.date();
    const versions: Version[] = [];
    if (input.SecretString !== undefined || input.SecretBinary !== undefined) {
      versions.push({
        id: input.ClientRequestToken ?? randomUUID(),
        secretString: input.SecretString,
        secretBinary: input.SecretBinary,
        stages: ["AWSCURRENT"],
        created: now,
      });
    }
    const secret: Secret = {
      region,
      arn: `arn:aws:secretsmanager:${region}:${this.ctx.account}:secret:${name}-${randomId(6, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")}`,
      name,
      description: input.Description,
      kmsKeyId: input.KmsKeyId,
      tags: (input.Tags ?? []).map((t) => ({ Key: t.Key ?? "", Value: t.Value ?? "" })),
      versions,
      created: now,
      lastChanged: now,
      owningService,
    };
    this.secrets.push(secret);
    return secret;
  }

  private live(region: string, id: string | undefined): Secret {
    const secret = id ? this.find(region, id) : undefined;
    if (!secret) fail("ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
    if (secret.deletedDate) {
      fail(
        "InvalidRequestException",
        `You can't perform this operation on the secret because it was marked for deletion.`,
      );
    }
    return secret;
  }

  /** A secret that may be changed here: live, and not a replica (writes go to the primary's region). */
  private writable(region: string, id: string | undefined): Secret {
    const secret = this.live(region, id);
    if (secret.primaryRegion) fail("InvalidRequestException", REPLICA_REFUSED);
    return secret;
  }

  /** The primary's replicas, brought up to its versions, tags and description (replication is immediate here). */
  private replicate(primary: Secret): void {
    for (const region of primary.replicaRegions ?? []) {
      const replica = this.secrets.find((s) => s.region === region && s.name === primary.name);
      if (!replica || replica.primaryRegion !== primary.region) continue;
      replica.versions = structuredClone(primary.versions);
      replica.tags = primary.tags.map((t) => ({ ...t }));
      replica.description = primary.description;
      replica.lastChanged = primary.lastChanged;
    }
  }

  private replicationStatus(secret: Secret) {
    return (secret.replicaRegions ?? []).map((region) => ({
      Region: region,
      KmsKeyId: "alias/aws/secretsmanager",
      Status: "InSync",
      StatusMessage: "Replication succeeded",
    }));
  }

  private stagesMap(secret: Secret): Record<string, string[]> {
    return Object.fromEntries(secret.versions.map((v) => [v.id, [...v.stages]]));
  }

  readonly operations = {
    CreateSecret: (input: CreateSecretCommandInput, region: string) => {
      const secret = this.create(region, input);
      return { ARN: secret.arn, Name: secret.name, VersionId: secret.versions[0]?.id };
    },
    GetSecretValue: (input: GetSecretValueCommandInput, region: string) => {
      const secret = this.live(region, input.SecretId);
      const stage = input.VersionStage ?? (input.VersionId ? undefined : "AWSCURRENT");
      const version = secret.versions.find(
        (v) =>
          (input.VersionId === undefined || v.id === input.VersionId) && (!stage || v.stages.includes(stage)),
      );
      if (!version) {
        fail(
          "ResourceNotFoundException",
          `Secrets Manager can't find the specified secret value for ${input.VersionId ? `VersionId: ${input.VersionId}` : `staging label: ${stage}`}`,
        );
      }
      return {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: version.id,
        SecretString: version.secretString,
        SecretBinary: version.secretBinary,
        VersionStages: [...version.stages],
        CreatedDate: version.created,
      };
    },
    PutSecretValue: (input: PutSecretValueCommandInput, region: string) => {
      const secret = this.writable(region, input.SecretId);
      const id = input.ClientRequestToken ?? randomUUID();
      const same = secret.versions.find((v) => v.id === id);
      if (same) {
        if (same.secretString !== input.SecretString) {
          fail(
            "ResourceExistsException",
            "You can't modify an existing version, you can only create a new version.",
          );
        }
        return { ARN: secret.arn, Name: secret.name, VersionId: id, VersionStages: [...same.stages] };
      }
      const stages = input.VersionStages ?? ["AWSCURRENT"];
      for (const version of secret.versions) {
        if (stages.includes("AWSCURRENT")) {
          version.stages = version.stages.filter((s) => s !== "AWSPREVIOUS");
          if (version.stages.includes("AWSCURRENT")) version.stages = ["AWSPREVIOUS"];
        }
        version.stages = version.stages.filter((s) => s === "AWSPREVIOUS" || !stages.includes(s));
      }
      secret.versions = secret.versions.filter((v) => v.stages.length > 0);
      const now = this.ctx.clock.date();
      secret.versions.push({
        id,
        secretString: input.SecretString,
        secretBinary: input.SecretBinary,
        stages: [...stages],
        created: now,
      });
      secret.lastChanged = now;
      this.replicate(secret);
      return { ARN: secret.arn, Name: secret.name, VersionId: id, VersionStages: [...stages] };
    },
    UpdateSecret: (input: UpdateSecretCommandInput, region: string) => {
      const secret = this.writable(region, input.SecretId);
      if (input.Description !== undefined) secret.description = input.Description;
      if (input.KmsKeyId !== undefined) secret.kmsKeyId = input.KmsKeyId;
      this.replicate(secret);
      if (input.SecretString !== undefined || input.SecretBinary !== undefined) {
        return this.operations.PutSecretValue(
          {
            SecretId: secret.arn,
            SecretString: input.SecretString,
            SecretBinary: input.SecretBinary,
            ClientRequestToken: input.ClientRequestToken,
          },
          region,
        );
      }
      return { ARN: secret.arn, Name: secret.name };
    },
    DescribeSecret: (input: DescribeSecretCommandInput, region: string) => {
      const secret = input.SecretId ? this.find(region, input.SecretId) : undefined;
      if (!secret) fail("ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
      return this.describeOne(secret);
    },
    ListSecrets: (input: ListSecretsCommandInput, region: string) => {
      const filters = input.Filters ?? [];
      const list = this.secrets.filter(
        (s) =>
          s.region === region &&
          (input.IncludePlannedDeletion || !s.deletedDate) &&
          filters.every((f) => {
            const values = f.Values ?? [];
            if (f.Key === "name") return values.some((v) => s.name.startsWith(v));
            if (f.Key === "tag-key") return values.some((v) => s.tags.some((t) => t.Key === v));
            if (f.Key === "tag-value") return values.some((v) => s.tags.some((t) => t.Value === v));
            if (f.Key === "description") return values.some((v) => (s.description ?? "").includes(v));
            return true;
          }),
      );
      // Pages in name order; the token names the last secret returned, so a secret made meanwhile
      // does not shift the next page.
      const max = input.MaxResults ?? 100;
      if (!Number.isInteger(max) || max < 1 || max > 100)
        fail("InvalidParameterException", "MaxResults must be between 1 and 100.");
      const after = input.NextToken ? tokenName(input.NextToken) : undefined;
      const sorted = list
        .filter((s) => after === undefined || s.name > after)
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const page = sorted.slice(0, max);
      const last = page.at(-1);
      return {
        SecretList: page.map((s) => this.listEntry(s)),
        ...(sorted.length > max && last ? { NextToken: Buffer.from(last.name).toString("base64url") } : {}),
      };
    },
    DeleteSecret: (input: DeleteSecretCommandInput, region: string) => {
      const secret = input.SecretId ? this.find(region, input.SecretId) : undefined;
      if (!secret) fail("ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
      if (secret.primaryRegion) fail("InvalidRequestException", REPLICA_REFUSED);
      if ((secret.replicaRegions ?? []).length > 0) {
        fail(
          "InvalidRequestException",
          `You can't delete secret ${secret.name} while it is replicated to ${secret.replicaRegions?.join(", ")}. Remove the replica Regions first.`,
        );
      }
      if (input.ForceDeleteWithoutRecovery && input.RecoveryWindowInDays !== undefined) {
        fail(
          "InvalidParameterException",
          "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
        );
      }
      const now = this.ctx.clock.now();
      if (input.ForceDeleteWithoutRecovery) {
        this.forceDelete(secret.arn);
        return { ARN: secret.arn, Name: secret.name, DeletionDate: new Date(now) };
      }
      const days = input.RecoveryWindowInDays ?? 30;
      if (days < 7 || days > 30) {
        fail(
          "InvalidParameterException",
          "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).",
        );
      }
      if (secret.deletedDate) {
        fail(
          "InvalidRequestException",
          "You can't perform this operation on the secret because it was already scheduled for deletion.",
        );
      }
      secret.deletedDate = new Date(now + days * 86_400_000);
      this.ctx.jobs.schedule("secrets.purge", days * 86_400_000, secret.arn);
      return { ARN: secret.arn, Name: secret.name, DeletionDate: secret.deletedDate };
    },
    ReplicateSecretToRegions: (input: ReplicateSecretToRegionsCommandInput, region: string) => {
      const primary = this.writable(region, input.SecretId);
      const asked = input.AddReplicaRegions ?? [];
      if (asked.length === 0)
        fail("InvalidParameterException", "AddReplicaRegions must contain at least one Region.");
      for (const { Region } of asked) {
        if (!Region || Region === region)
          fail(
            "InvalidParameterException",
            `You can't replicate a secret to the Region it is in (${Region ?? ""}).`,
          );
        if (primary.replicaRegions?.includes(Region)) continue;
        const taken = this.secrets.find((s) => s.region === Region && s.name === primary.name);
        if (taken && !input.ForceOverwriteReplicaSecret) {
          fail(
            "InvalidRequestException",
            `Replication to ${Region} failed: a secret named ${primary.name} already exists there. Use ForceOverwriteReplicaSecret to overwrite it.`,
          );
        }
        if (taken) this.forceDelete(taken.arn);
        this.secrets.push({
          ...structuredClone(primary),
          region: Region,
          arn: primary.arn.replace(`:secretsmanager:${region}:`, `:secretsmanager:${Region}:`),
          replicaRegions: undefined,
          primaryRegion: region,
          created: this.ctx.clock.date(),
        });
        primary.replicaRegions = [...(primary.replicaRegions ?? []), Region];
      }
      this.replicate(primary);
      return { ARN: primary.arn, ReplicationStatus: this.replicationStatus(primary) };
    },
    RemoveRegionsFromReplication: (input: RemoveRegionsFromReplicationCommandInput, region: string) => {
      const primary = this.writable(region, input.SecretId);
      const regions = input.RemoveReplicaRegions ?? [];
      if (regions.length === 0)
        fail("InvalidParameterException", "RemoveReplicaRegions must contain at least one Region.");
      for (const Region of regions) {
        if (!primary.replicaRegions?.includes(Region))
          fail("InvalidParameterException", `The secret ${primary.name} is not replicated to ${Region}.`);
      }
      // The replicas are deleted (StopReplicationToReplica would keep one as a standalone secret).
      this.secrets = this.secrets.filter(
        (s) => !(s.name === primary.name && s.primaryRegion === region && regions.includes(s.region)),
      );
      primary.replicaRegions = primary.replicaRegions?.filter((r) => !regions.includes(r));
      return { ARN: primary.arn, ReplicationStatus: this.replicationStatus(primary) };
    },
    StopReplicationToReplica: (input: StopReplicationToReplicaCommandInput, region: string) => {
      // Called in the replica's region, which may be the only one answering: the primary's region
      // is not asked (its record of the replica goes, as AWS's own bookkeeping would).
      const replica = this.live(region, input.SecretId);
      if (!replica.primaryRegion)
        fail("InvalidRequestException", `${replica.name} in ${region} is not a replica secret.`);
      const primary = this.secrets.find((s) => s.region === replica.primaryRegion && s.name === replica.name);
      if (primary) primary.replicaRegions = primary.replicaRegions?.filter((r) => r !== region);
      replica.primaryRegion = undefined;
      return { ARN: replica.arn };
    },
    RestoreSecret: (input: RestoreSecretCommandInput, region: string) => {
      const secret = input.SecretId ? this.find(region, input.SecretId) : undefined;
      if (!secret) fail("ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
      secret.deletedDate = undefined;
      this.ctx.jobs.cancelWhere("secrets.purge", (a) => a === secret.arn);
      return { ARN: secret.arn, Name: secret.name };
    },
    TagResource: (input: TagResourceCommandInput, region: string) => {
      const secret = this.writable(region, input.SecretId);
      for (const tag of input.Tags ?? []) {
        secret.tags = secret.tags.filter((t) => t.Key !== tag.Key);
        secret.tags.push({ Key: tag.Key ?? "", Value: tag.Value ?? "" });
      }
      this.replicate(secret);
      return {};
    },
    UntagResource: (input: UntagResourceCommandInput, region: string) => {
      const secret = this.writable(region, input.SecretId);
      secret.tags = secret.tags.filter((t) => !(input.TagKeys ?? []).includes(t.Key));
      this.replicate(secret);
      return {};
    },
  };

  /** ListSecrets' entry (SecretListEntry): DescribeSecret's metadata without the replication status. */
  private listEntry(secret: Secret) {
    const { VersionIdsToStages, ReplicationStatus: _replication, ...rest } = this.describeOne(secret);
    return { ...rest, SecretVersionsToStages: VersionIdsToStages };
  }

  private describeOne(secret: Secret) {
    return {
      ARN: secret.arn,
      Name: secret.name,
      Description: secret.description,
      KmsKeyId: secret.kmsKeyId,
      Tags: secret.tags.map((t) => ({ ...t })),
      VersionIdsToStages: this.stagesMap(secret),
      CreatedDate: secret.created,
      LastChangedDate: secret.lastChanged,
      DeletedDate: secret.deletedDate,
      OwningService: secret.owningService,
      PrimaryRegion: secret.primaryRegion ?? secret.region,
      ...(secret.replicaRegions?.length ? { ReplicationStatus: this.replicationStatus(secret) } : {}),
    };
  }

  describe(): Record<string, Record<string, unknown[]>> {
    const out: Record<string, Record<string, unknown[]>> = {};
    for (const s of this.secrets) {
      addTo(out, s.region, "secrets", {
        name: s.name,
        arn: s.arn,
        versions: s.versions.length,
        ...(s.primaryRegion ? { replicaOf: s.primaryRegion } : {}),
        ...(s.replicaRegions?.length ? { replicas: s.replicaRegions } : {}),
        ...(s.deletedDate ? { deletionDate: s.deletedDate.toISOString() } : {}),
      });
    }
    return out;
  }

  /**
   * The text of the last save, serialized again only once a path that may change secrets ran since:
   * a Secrets Manager call, an RDS call or job (managed master secrets), a `secrets.` job (changes.ts).
   */
  private readonly saved = new SavedText();

  save(): JsonText {
    return this.saved.take(this.ctx.changes?.token(this.name), () => this.secrets);
  }

  load(state: Json): void {
    this.secrets = fromJson<Secret[]>(state).map((s) => ({
      ...s,
      versions: s.versions.map((v) => ({
        ...v,
        secretBinary: v.secretBinary ? decodeBytes(v.secretBinary) : undefined,
      })),
    }));
  }
}

/** Reads bytes saved by `toJsonText` (`{ $bytes }`). */
export function decodeBytes(value: unknown): Uint8Array | undefined {
  if (value instanceof Uint8Array) return value;
  if (value && typeof value === "object" && "$bytes" in value && typeof value.$bytes === "string") {
    return new Uint8Array(Buffer.from(value.$bytes, "base64"));
  }
  return undefined;
}

export class Sts implements EmulatedService {
  readonly name = "STS";
  private readonly ctx: CloudContext;
  constructor(ctx: CloudContext) {
    this.ctx = ctx;
  }
  readonly operations = {
    GetCallerIdentity: () => ({
      UserId: "AROALOCALCLOUD000000:cplane-local",
      Account: this.ctx.account,
      Arn: `arn:aws:sts::${this.ctx.account}:assumed-role/cplane-local/cplane-local`,
    }),
  };
  describe(): Record<string, Record<string, unknown[]>> {
    return { global: { identity: [this.operations.GetCallerIdentity()] } };
  }
}

function tokenName(token: string): string {
  const name = Buffer.from(token, "base64url").toString();
  if (!name) fail("InvalidNextTokenException", "The NextToken value is invalid.");
  return name;
}
