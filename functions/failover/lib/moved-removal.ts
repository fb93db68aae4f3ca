/**
 * Offboarding's DR step for a tenant a failover moved to the paired region (it writes there: its global
 * database failed over, or it was restored from its copy), the home region up or down. Refused, before
 * anything changes, when the region it runs in does not answer (its final snapshot cannot be taken) or
 * when its global database writes somewhere else than the registry says (a failover not recorded yet).
 * Then: the home region is cleared (lib/region-clearing.ts) or, not answering, recorded as a leftover;
 * the global database goes once the writer is its last member, or the writer is recorded as held (AWS
 * detaches a writer last, and its home member can only be detached at home); the DR snapshots and
 * copies where it runs go, and its namespace there. The writer itself stays for offboarding to snapshot
 * and (unless held) delete, as at home.
 */

import { RemoveFromGlobalClusterCommand } from "@aws-sdk/client-rds";
import type { Leftover } from "../../../events/tenants.ts";
import { TAG_TENANT, tagValue } from "../../tenant/lib/database.ts";
import { clusterSettings } from "../../tenant/lib/namespace.ts";
import { rdsIn, regionOfArn } from "./aws.ts";
import { type DrOwner, deleteDrSnapshots, findClusterIn, findGlobal } from "./dr-setup.ts";
import { removeNamespaceIn } from "./dr-space.ts";
import { DrResourceBusyError, RegionUnreachableError, WriterElsewhereError } from "./errors.ts";
import { drNames } from "./names.ts";
import { clearRegion, deleteEmptyGlobal, isUnreachable, type KubernetesIn } from "./region-clearing.ts";

export interface MovedRemoval {
  readonly done: boolean;
  readonly removed: readonly string[];
  readonly leftovers: readonly Leftover[];
  /** The writer stays a global member until its home member is detached: not deleted by offboarding. */
  readonly writerHeld: boolean;
}

export async function removeMovedDr(
  owner: DrOwner,
  serving: string,
  home: string,
  keepAfter: string,
  kubernetesIn: KubernetesIn,
): Promise<MovedRemoval> {
  const names = drNames(owner.slug);
  const writer = await findClusterIn(serving, names.clusterIdentifier).catch((error: unknown) => {
    if (!isUnreachable(error)) throw error;
    throw new RegionUnreachableError(
      `tenant ${owner.slug} runs in ${serving}, which does not answer: its final snapshot cannot be taken; offboard it once ${serving} answers`,
      { cause: error },
    );
  });
  if (writer && tagValue(writer.TagList, TAG_TENANT) !== owner.slug)
    throw new WriterElsewhereError(
      `DB cluster ${names.clusterIdentifier} in ${serving} is not tagged for ${owner.slug}; refusing to touch it`,
    );
  const globalId = writer?.GlobalClusterIdentifier;
  const global = globalId ? await findGlobal(serving, globalId) : undefined;
  if (global) {
    const writing = global.GlobalClusterMembers?.find((m) => m.IsWriter)?.DBClusterArn;
    if (global.FailoverState || global.Status !== "available")
      throw new DrResourceBusyError(
        `global database ${globalId} is ${global.Status} (a switchover or failover)`,
      );
    if (writing && regionOfArn(writing) !== serving)
      throw new WriterElsewhereError(
        `global database ${globalId} writes in ${regionOfArn(writing)}, but tenant ${owner.slug} is recorded in ${serving}: offboard it once the failover that moved it is recorded`,
      );
  }

  const removed: string[] = [];
  const waiting: string[] = [];
  const leftovers: Leftover[] = [];
  try {
    const cleared = await clearRegion(owner, home, keepAfter, kubernetesIn);
    removed.push(...cleared.removed);
    waiting.push(...cleared.waiting);
  } catch (error) {
    if (!isUnreachable(error)) throw error;
    leftovers.push({
      region: home,
      // The namespace and the secret there are recorded by their own steps.
      resource: `DB cluster ${names.clusterIdentifier} (a member of its global database, or the one restored from), its DR snapshots`,
      reason: `${home} did not answer`,
    });
  }

  let writerHeld = false;
  const after = globalId ? await findGlobal(serving, globalId) : undefined;
  if (after && writer?.DBClusterArn) {
    const others = (after.GlobalClusterMembers ?? []).filter((m) => m.DBClusterArn !== writer.DBClusterArn);
    if (others.length === 0) {
      await rdsIn(serving).send(
        new RemoveFromGlobalClusterCommand({
          GlobalClusterIdentifier: globalId,
          DbClusterIdentifier: writer.DBClusterArn,
        }),
      );
      removed.push(`global-member:${writer.DBClusterArn}`);
      if (await deleteEmptyGlobal(serving, globalId ?? "")) removed.push(`global-cluster:${globalId}`);
      else waiting.push(`global database ${globalId} losing its last member`);
    } else if (leftovers.length > 0) {
      writerHeld = true;
      leftovers.push({
        region: serving,
        resource: `DB cluster ${names.clusterIdentifier} and global database ${globalId}`,
        reason: `AWS detaches a global database's writer only once its other members are, and the member in ${others.map((m) => regionOfArn(m.DBClusterArn ?? "")).join(", ")} can only be detached there; the final snapshot is taken, the cluster deleted when that region answers`,
      });
    } else waiting.push(`the members of ${globalId} in ${home} leaving first`);
  } else if (!globalId && (await deleteEmptyGlobal(serving, names.globalClusterIdentifier)))
    removed.push(`global-cluster:${names.globalClusterIdentifier}`);

  const snapshots = await deleteDrSnapshots(serving, owner.slug);
  removed.push(...snapshots.removed);
  waiting.push(...snapshots.waiting);
  const settings = clusterSettings();
  const kubernetes = await kubernetesIn(serving);
  removed.push(...(await removeNamespaceIn(kubernetes, settings.clusterName, owner, serving)));
  return { done: waiting.length === 0, removed, leftovers, writerHeld };
}
