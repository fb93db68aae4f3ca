/** An instant clock comes to rest when nothing but background timers (daily backups) remain. */
import { afterEach, describe, expect, it } from "vitest";
import type { LocalCloud } from "../../../local/cloud/cloud.ts";
import { createDemoFleet } from "../../../local/cloud/demo.ts";
import { restingTime, START, startCloud, stopCloud } from "./support.ts";

let cloud: LocalCloud | undefined;

afterEach(async () => {
  if (cloud) await stopCloud(cloud);
  cloud = undefined;
});

describe("an idle cloud on an instant clock", () => {
  it("comes to rest within the hour after its last use, although daily backups stay scheduled", async () => {
    const started = startCloud();
    cloud = started.cloud;
    const { clock } = started;
    // Aurora clusters (daily automated backups: background timers), services with traffic, health checks, alarms.
    await createDemoFleet(cloud);

    const rested = await restingTime(clock);
    // Given time to run away, it did not.
    await new Promise((resolve) => setTimeout(resolve, 300));

    expect(clock.now()).toBe(rested);
    expect(clock.pendingForegroundTimers()).toBe(0);
    expect(clock.pendingTimers()).toBeGreaterThan(0);
    expect(rested - START).toBeLessThan(2 * 60 * 60_000);
  });

  it("still takes the daily backup when time passes it", async () => {
    const started = startCloud();
    cloud = started.cloud;
    const { clock } = started;
    await createDemoFleet(cloud);
    await restingTime(clock);
    const automated = () =>
      Object.values(cloud?.rds.describe() ?? {})
        .flatMap((r) => r.snapshots ?? [])
        .filter((s) => (s as { type: string }).type === "automated").length;
    const before = automated();

    await clock.sleep(25 * 60 * 60_000);

    expect(automated()).toBeGreaterThan(before);
  });
});
