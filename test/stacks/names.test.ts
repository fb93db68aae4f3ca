import { describe, expect, it } from "vitest";
import { RULE_NAME_MAX, stageResourceName } from "../../deploy/names.ts";

describe("stageResourceName", () => {
  it("is <app>-<stage>-<name> when that fits", () => {
    expect(stageResourceName("cplane", "prod", "tenant-offboarding-requested", RULE_NAME_MAX)).toBe(
      "cplane-prod-tenant-offboarding-requested",
    );
  });

  it("cuts a name that does not fit and ends it with -- and a hash: within the limit, stable, distinct", () => {
    const stage = "feature-regional-failover-2";
    const a = stageResourceName("cplane", stage, "rds-state-change-resume-waiters", RULE_NAME_MAX);
    const b = stageResourceName("cplane", stage, "rds-state-change-resume-waiters-too", RULE_NAME_MAX);
    expect(a).toHaveLength(RULE_NAME_MAX);
    expect(a).toMatch(/^cplane-feature-regional-failover-2-rds-state-change-re--[0-9a-f]{8}$/);
    expect(stageResourceName("cplane", stage, "rds-state-change-resume-waiters", RULE_NAME_MAX)).toBe(a);
    expect(b).not.toBe(a);
    expect(b.length).toBeLessThanOrEqual(RULE_NAME_MAX);
  });
});
