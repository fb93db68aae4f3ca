import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { contractFileStem, type EventContract } from "../../events/define.ts";
import { eventRegistry } from "../../events/registry.ts";

const SAMPLES_DIR = join(import.meta.dirname, "../../events/samples");
/** Events that answer a request or end a run: every workflow's final success or failure event. */
const OUTCOMES = [
  "Tenant Created",
  "Tenant Onboarding Failed",
  "Tenant Offboarded",
  "Tenant Offboarding Failed",
  "Canary Promoted",
  "Canary Rolled Back",
  "Backup Verification Completed",
  "Region Failover Completed",
  "Region Failover Failed",
  "DR Drill Completed",
  "DR Drill Failed",
];
const outcomes = eventRegistry.contracts.filter((contract) => OUTCOMES.includes(contract.detailType));

function sampleDetail(contract: EventContract): Record<string, unknown> {
  const file = join(SAMPLES_DIR, `${contractFileStem(contract)}.json`);
  return (JSON.parse(readFileSync(file, "utf8")) as { detail: Record<string, unknown> }).detail;
}

const report = {
  outcome: "rolled-back",
  reason: "error rate 3.1% > 1% at 25%",
  durationSeconds: 1260,
  figures: [{ name: "error rate", value: 3.1, unit: "%", subject: "shop/web" }],
};

describe("the run report's summary on outcome events", () => {
  it("is on every workflow's final event", () => {
    expect(outcomes.map((contract) => contract.detailType).sort()).toEqual([...OUTCOMES].sort());
  });

  it.each(outcomes.map((contract) => [contract.detailType, contract] as const))(
    "%s takes an optional report summary and refuses a malformed one",
    (_, contract) => {
      const detail = sampleDetail(contract);

      expect(contract.detail.safeParse(detail).success).toBe(true);
      expect(contract.detail.safeParse({ ...detail, report }).success).toBe(true);
      expect(contract.detail.safeParse({ ...detail, report: { ...report, outcome: "fine" } }).success).toBe(
        false,
      );
      expect(
        contract.detail.safeParse({ ...detail, report: { ...report, figures: [{ name: "x", value: 1 }] } })
          .success,
      ).toBe(false);
    },
  );
});
