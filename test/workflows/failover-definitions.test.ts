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

describe("regional-failover", () => {
  it("promotes databases and restores tenants in bounded Maps, beside compute and DNS", () => {
    const recover = failoverDefinition.States.Recover as unknown as {
      Branches: { States: Record<string, { Type: string; MaxConcurrency?: number }> }[];
    };
    const maps = recover.Branches.flatMap((b) => Object.values(b.States)).filter((s) => s.Type === "Map");
    expect(maps).toHaveLength(2);
    for (const map of maps) expect(map.MaxConcurrency).toBeGreaterThan(0);
  });
});
