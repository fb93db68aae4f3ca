/** The failover report's decision per tier: measured RTO/RPO held to the tier's targets. */
import { describe, expect, it } from "vitest";
import { tierDecisions } from "../../../functions/failover/lib/tier-decisions.ts";

const tier = (rto: number | null, rpo: number | null, targets: [number, number], failed = 0) => ({
  rtoSeconds: rto,
  rpoSeconds: rpo,
  rtoTargetSeconds: targets[0],
  rpoTargetSeconds: targets[1],
  recovered: 2,
  failed,
});

describe("the report's recovery decision per tier", () => {
  it("holds each tier's measured RTO and RPO to its targets under the same names, in tier order", () => {
    const decisions = tierDecisions({
      standard: tier(2400, 600, [1800, 900]),
      premium: tier(240, 0, [300, 60]),
      platform: tier(200, 0.4, [300, 60]),
    });

    expect(decisions.map((d) => [d.subject, d.outcome])).toEqual([
      ["platform", "met"],
      ["premium", "met"],
      ["standard", "missed"],
    ]);
    expect(decisions[2]).toEqual({
      name: "tier-recovery",
      subject: "standard",
      outcome: "missed",
      reason: "2 recovered, 0 failed; RTO 2400s > 1800s",
      inputs: { rtoSeconds: 2400, rpoSeconds: 600 },
      thresholds: { rtoSeconds: 1800, rpoSeconds: 900 },
    });
  });

  it("calls a tier missed when a member was not recovered or traffic was never verified", () => {
    const [failed, unverified, lagging] = tierDecisions({
      premium: tier(100, 10, [300, 60], 1),
      standard: tier(null, 100, [1800, 900]),
      basic: tier(100, 4000, [3600, 3600]),
    });

    expect(failed?.reason).toBe("2 recovered, 1 failed; 1 not recovered");
    expect(unverified?.outcome).toBe("missed");
    expect(unverified?.reason).toContain("no RTO measured");
    expect(lagging?.reason).toBe("2 recovered, 0 failed; RPO 4000s > 3600s");
  });
});
