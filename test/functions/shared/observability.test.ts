/**
 * Metrics' warnings: with metrics disabled (the local runtime, the tests) nothing is published, so a
 * warning about what would be published is noise; the local runtime's concurrent invocations, which
 * share one Metrics instance, produced it by the hundred.
 */
import { describe, expect, it, vi } from "vitest";
import { metrics } from "../../../functions/shared/observability.ts";

describe("the shared metrics instance", () => {
  it("publishes an empty store without a warning when metrics are disabled", () => {
    // Prepare
    expect(process.env.POWERTOOLS_METRICS_DISABLED).toBe("true");
    const written: string[] = [];
    vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    const warn = vi.spyOn(console, "warn");

    // Act: what two concurrent invocations do when the first one's publish emptied the store
    metrics.publishStoredMetrics();
    metrics.publishStoredMetrics();

    // Assess
    expect(written.join("")).not.toContain("No application metrics");
    expect(warn).not.toHaveBeenCalled();
  });
});
