/**
 * Offboarding: schedule the tenant's application secret for deletion with a recovery window, after
 * checking it is the tenant's. Already scheduled or gone: nothing to do.
 */
import { DeleteSecretCommand, DescribeSecretCommand } from "@aws-sdk/client-secrets-manager";
import { optionalEnv } from "../shared/env.ts";
import { defineStep } from "../shared/handler.ts";
import { secrets } from "./lib/app-user.ts";
import { assertOwnedBy } from "./lib/database.ts";
import { isAwsError } from "./lib/errors.ts";
import { TenantRef } from "./lib/inputs.ts";
import { tenantNames } from "./lib/slug.ts";

export const RetireSecretInput = TenantRef;

export interface RetireSecretResult {
  readonly secretName: string;
  readonly deletionDate: string | null;
  readonly recoveryWindowDays: number;
}

export const handler = defineStep(RetireSecretInput, async (input): Promise<RetireSecretResult> => {
  const secretName = tenantNames(input.slug).secretName;
  const recoveryWindowDays = Number(optionalEnv("SECRET_RECOVERY_WINDOW_DAYS", "30"));
  let described: Awaited<ReturnType<typeof describeSecret>>;
  try {
    described = await describeSecret(secretName);
  } catch (error) {
    if (isAwsError(error, "ResourceNotFoundException"))
      return { secretName, deletionDate: null, recoveryWindowDays };
    throw error;
  }
  assertOwnedBy(`secret ${secretName}`, described.Tags, input);
  if (described.DeletedDate) {
    return { secretName, deletionDate: described.DeletedDate.toISOString(), recoveryWindowDays };
  }
  const { DeletionDate } = await secrets.send(
    new DeleteSecretCommand({ SecretId: secretName, RecoveryWindowInDays: recoveryWindowDays }),
  );
  return { secretName, deletionDate: DeletionDate?.toISOString() ?? null, recoveryWindowDays };
});

function describeSecret(secretName: string) {
  return secrets.send(new DescribeSecretCommand({ SecretId: secretName }));
}
