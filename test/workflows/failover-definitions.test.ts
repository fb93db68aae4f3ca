/** The failover and DR upkeep definitions: valid ASL, in the catalog, naming only catalog functions. */
import validator from "asl-validator";
import { describe, expect, it } from "vitest";
import { functionCatalog } from "../../functions/catalog.ts";
import { functionIdsOf } from "../../workflows/asl.ts";
import { workflowCatalog } from "../../workflows/catalog.ts";
import { drReadiness, drSnapshotCopies } from "../../workflows/dr-upkeep.ts";
import { failoverDefinition, regionalFailover } from "../../workflows/regional-failover.ts";

describe.each([
  ["regional-failover", regionalFailover],
  ["dr-readiness", drReadiness],
  ["dr-snapshot-copies", drSnapshotCopies],
])("%s definition", (name, spec) => {
  it("is valid ASL according to asl-validator", () => {
    const result = validator(structuredClone(spec.definition));
    expect(result.errors).toEqual([]);
  });

  it("is in the catalog and calls only catalog functions", () => {
    expect(workflowCatalog.get(name)).toBe(spec);
    const ids = functionIdsOf(spec.definition);
    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids) expect(functionCatalog.has(id), id).toBe(true);
  });
});

interface Node {
  Type: string;
  Next?: string;
  MaxConcurrency?: number;
  Branches?: { StartAt: string; States: Record<string, Node> }[];
}
const branchesOf = (state: unknown) => (state as Node).Branches ?? [];
const statesWithin = (state: unknown): Node[] =>
  branchesOf(state).flatMap((b) => Object.values(b.States).flatMap((s) => [s, ...statesWithin(s)]));

describe("regional-failover", () => {
  it("promotes databases and restores tenants in bounded Maps, beside compute and DNS", () => {
    const maps = statesWithin(failoverDefinition.States.Recover).filter((s) => s.Type === "Map");
    expect(maps).toHaveLength(2);
    for (const map of maps) expect(map.MaxConcurrency).toBeGreaterThan(0);
  });

  it("switches Route 53 only after the databases and the Deployments are ready", () => {
    const [first] = branchesOf(failoverDefinition.States.Recover);
    const prepare = first?.States[first.StartAt];
    expect(first?.StartAt).toBe("Prepare");
    expect(prepare?.Next).toBe("SwitchTraffic");
    expect(branchesOf(prepare).map((b) => b.StartAt)).toEqual(["PromoteDatabases", "UpScaleWorkloads"]);
    // The Deployments' wait ends in a named error inside its branch: the Parallel's catch takes it.
    const workloads = branchesOf(prepare)[1]?.States ?? {};
    expect(workloads.UpWorkloadsTimedOut).toMatchObject({ Type: "Fail", Error: "WorkloadsNotReadyError" });
    expect(Object.keys(workloads)).toContain("CheckUpWorkloads");
  });

  it("fails a drill back the same way: home Deployments ready before DNS, the visited ones scaled back", () => {
    const back = branchesOf(failoverDefinition.States.FailBack)[1];
    expect(back?.StartAt).toBe("HomeScaleWorkloads");
    expect(back?.States.HomeWorkloadsReady?.Next).toBe("SwitchTrafficBack");
    expect(back?.States.SwitchTrafficBack?.Next).toBe("ScaleWorkloadsBack");
  });
});
