/**
 * Every state machine of the control plane, by name. stacks/ deploys each definition with ARNs
 * substituted; the local runtime loads the same definitions into its engine.
 */
import { backupSnapshots } from "./backup-snapshots.ts";
import { backupSweeper } from "./backup-sweeper.ts";
import { backupVerification } from "./backup-verification.ts";
import { canaryPromotion } from "./canary-promotion.ts";
import { drReadiness, drSnapshotCopies } from "./dr-upkeep.ts";
import { operationCleanup } from "./operation-cleanup.ts";
import { regionalFailover } from "./regional-failover.ts";
import { tenantOffboarding } from "./tenant-offboarding.ts";
import { tenantOnboarding } from "./tenant-onboarding.ts";
import { defineWorkflowCatalog } from "./workflow.ts";

export const workflowCatalog = defineWorkflowCatalog([
  tenantOnboarding,
  tenantOffboarding,
  operationCleanup,
  backupVerification,
  backupSnapshots,
  backupSweeper,
  regionalFailover,
  drReadiness,
  drSnapshotCopies,
  canaryPromotion,
]);
