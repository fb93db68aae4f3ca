/** Shared test setup for the local cloud: an instant clock, a bound cloud, and polling on virtual time. */
import { CreateRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { bindLocalCloud, createAwsClient } from "../../../functions/shared/aws-clients.ts";
import type { Clock } from "../../../local/clock/clock.ts";
import { createClock } from "../../../local/clock/clock.ts";
import type { LocalCloud, LocalCloudOptions } from "../../../local/cloud/cloud.ts";
import { createLocalCloud } from "../../../local/cloud/cloud.ts";

export const START = Date.parse("2026-03-01T00:00:00Z");

export function startCloud(options: Partial<LocalCloudOptions> = {}): { cloud: LocalCloud; clock: Clock } {
  const clock = options.clock ?? createClock({ mode: { kind: "instant" }, start: START });
  const cloud = createLocalCloud({ ...options, clock });
  bindLocalCloud(cloud);
  return { cloud, clock };
}

export async function stopCloud(cloud: LocalCloud): Promise<void> {
  bindLocalCloud(undefined);
  await cloud.close();
  cloud.clock.dispose();
}

/** Polls `probe` every `everyMs` of virtual time until it returns true; fails after `withinMs`. */
export async function waitUntil(
  clock: Clock,
  probe: () => Promise<boolean> | boolean,
  { everyMs = 30_000, withinMs = 24 * 60 * 60_000 } = {},
): Promise<number> {
  const start = clock.now();
  for (;;) {
    if (await probe()) return clock.now() - start;
    if (clock.now() - start > withinMs)
      throw new Error(`condition not met within ${withinMs} ms of virtual time`);
    await clock.sleep(everyMs);
  }
}

/** Creates an IAM role in the bound cloud (an EKS access entry may only name an existing one); returns its ARN. */
export async function createRole(name: string): Promise<string> {
  const { Role } = await createAwsClient(IAMClient, { region: "us-east-1" }).send(
    new CreateRoleCommand({
      RoleName: name,
      AssumeRolePolicyDocument: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Principal: { AWS: "arn:aws:iam::123456789012:root" }, Action: "sts:AssumeRole" },
        ],
      }),
    }),
  );
  return Role?.Arn ?? "";
}

/** Virtual time once it stopped moving for `quietMs` of real time (or when `withinMs` ran out). */
export async function restingTime(clock: Clock, { quietMs = 300, withinMs = 15_000 } = {}): Promise<number> {
  const until = Date.now() + withinMs;
  let last = clock.now();
  let since = Date.now();
  while (Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    const now = clock.now();
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) break;
  }
  return last;
}
