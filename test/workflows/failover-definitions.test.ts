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

  it("switches Route 53 only after the databases and the Deployments are ready; a drill stops at a database not moved", () => {
    const [first] = branchesOf(failoverDefinition.States.Recover);
    const prepare = first?.States[first.StartAt];
    expect(first?.StartAt).toBe("Prepare");
    expect(prepare?.Next).toBe("AreDatabasesMoved");
    expect(first?.States.AreDatabasesMoved).toMatchObject({ Type: "Choice", Default: "SwitchTraffic" });
    expect(first?.States.DatabasesNotMoved).toMatchObject({ Type: "Fail", Error: "DatabaseNotMovedError" });
    expect(branchesOf(prepare).map((b) => b.StartAt)).toEqual(["PromoteDatabases", "UpScaleWorkloads"]);
    // The Deployments' wait ends in a named error inside its branch: the Parallel's catch takes it.
    const workloads = branchesOf(prepare)[1]?.States ?? {};
    expect(workloads.UpWorkloadsTimedOut).toMatchObject({ Type: "Fail", Error: "WorkloadsNotReadyError" });
    expect(Object.keys(workloads)).toContain("CheckUpWorkloads");
  });

  it("takes a drill's failure during recovery home, and a failover's to the failure path", () => {
    const recover = failoverDefinition.States.Recover as unknown as { Catch: { Next: string }[] };
    expect(recover.Catch.map((c) => c.Next)).toEqual(["RecoveryFailed"]);
    expect(failoverDefinition.States.RecoveryFailed).toMatchObject({
      Choices: [{ Next: "DrillStopped" }],
      Default: "ReportFailure",
    });
    expect(failoverDefinition.States.DrillStopped?.Next).toBe("FailBack");
  });

  it("fails a drill back in the reverse order, each part going on when one before it failed", () => {
    const order = [
      "FailBack",
      "FailBackTraffic",
      "FailBackDataAndWorkloads",
      "FailBackCompute",
      "DidDrillFail",
    ];
    for (const [i, name] of order.slice(0, -1).entries()) {
      const state = failoverDefinition.States[name] as unknown as Node & { Catch: { Next: string }[] };
      expect(state.Next).toBe(order[i + 1]);
      expect(state.Catch.map((c) => c.Next)).toEqual([order[i + 1]]);
    }
    expect(branchesOf(failoverDefinition.States.FailBack)[0]?.StartAt).toBe("HomeScaleWorkloads");
    expect(branchesOf(failoverDefinition.States.FailBackTraffic)[0]?.StartAt).toBe("SwitchTrafficBack");
    expect(branchesOf(failoverDefinition.States.FailBackDataAndWorkloads).map((b) => b.StartAt)).toEqual([
      "SwitchDatabasesBack",
      "ScaleWorkloadsBack",
    ]);
  });
});
