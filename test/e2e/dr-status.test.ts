/**
 * `cplane dr status` against the local runtime, as a person runs it: nothing stored yet; `--refresh`
 * assessing now, amber while the platform's secondary has reported no lag, green once it has, red when
 * the secondary EKS has no usable node group; the planned switchback offered when production runs away
 * from home; `--json`; and errors (a wrong action, `--refresh` on a stage, no runtime) exiting non-zero.
 * The clock is manual: readiness changes only when the test moves it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Readiness } from "../../functions/failover/lib/readiness.ts";
import { writeReadiness } from "../../functions/failover/lib/store.ts";
import { createClock } from "../../local/clock/clock.ts";
import { createRuntime, type Runtime } from "../../local/runtime.ts";
import type { LocalServer } from "../../local/server/http.ts";
import { serve } from "../../local/start.ts";
import { runCli } from "../support/cli.ts";

let runtime: Runtime;
let server: LocalServer;

beforeAll(async () => {
  runtime = await createRuntime({ clock: createClock({ mode: { kind: "manual" } }), demoFleet: true });
  server = await serve(runtime, 0);
}, 300_000);
afterAll(async () => {
  await server?.close();
  await runtime?.close();
});

/** A readiness as the schedule stores it, with production in `primary`. */
function stored(overall: Readiness["overall"], primary: string, subjects: Readiness["subjects"]): Readiness {
  const light = (kind: string) => {
    const of = subjects.filter((s) => s.kind === kind);
    const count = (l: string) => of.filter((s) => s.status === l).length;
    const status = count("red") > 0 ? "red" : count("amber") > 0 ? "amber" : "green";
    return { status, green: count("green"), amber: count("amber"), red: count("red") } as const;
  };
  return {
    checkedAt: runtime.clock.date().toISOString(),
    overall,
    primaryRegion: primary,
    secondaryRegion: primary === runtime.region ? runtime.secondaryRegion : runtime.region,
    perKind: {
      platform: light("platform"),
      compute: light("compute"),
      premium: light("premium"),
      standard: light("standard"),
      basic: light("basic"),
    },
    subjects,
  };
}

const cplane = (...args: string[]) => runCli(server.url, "dr", ...args);

/** The table's rows, by subject: `[kind, status, detail]`. */
function rows(stdout: string): Record<string, string[]> {
  const lines = stdout.split("\n").filter((line) => line.trim() !== "");
  const header = lines.findIndex((line) => line.startsWith("SUBJECT"));
  const out: Record<string, string[]> = {};
  for (const line of lines.slice(header + 1)) {
    const [subject = "", kind = "", status = "", ...detail] = line.trim().split(/\s{2,}/);
    if (!["green", "amber", "red"].includes(status)) continue;
    out[subject] = [kind, status, detail.join(" ")];
  }
  return out;
}

describe("cplane dr status", () => {
  it("says when nothing has been assessed yet, and exits 0", async () => {
    const result = await cplane("status");
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toContain("no DR readiness yet");
  }, 120_000);

  it("assesses now with --refresh: GREEN, the platform's lag and the secondary EKS, the same in --json", async () => {
    await runtime.clock.advance(3 * 60_000);
    const result = await cplane("status", "--refresh");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^DR readiness GREEN at \S+: primary us-east-1, secondary us-west-2/);
    expect(rows(result.stdout)).toEqual({
      platform: ["platform", "green", expect.stringMatching(/^secondary in us-west-2, lag \d+s$/)],
      compute: [
        "compute",
        "green",
        expect.stringMatching(
          /^node group general in us-west-2 ACTIVE, up to 10 nodes; 10 × m6i\.large hold 19\.3 CPU, 73\.42 GiB, 290 pods; the failover scales up 2 Deployments/,
        ),
      ],
    });
    expect(result.stdout).not.toContain("switch back");

    const json = await cplane("status", "--json");
    expect(json.code).toBe(0);
    const readiness = JSON.parse(json.stdout) as Readiness;
    expect({
      overall: readiness.overall,
      subjects: readiness.subjects.map((s) => [s.subject, s.status]),
    }).toEqual({
      overall: "green",
      subjects: [
        ["platform", "green"],
        ["compute", "green"],
      ],
    });
  }, 120_000);

  it("shows AMBER with each subject's reason, as the schedule stored it", async () => {
    await writeReadiness(
      stored("amber", runtime.region, [
        { subject: "platform", kind: "platform", status: "green", reason: "secondary in us-west-2, lag 1s" },
        {
          subject: "compute",
          kind: "compute",
          status: "green",
          reason: "node group general in us-west-2 ACTIVE, up to 10 nodes",
        },
        { subject: "acme", kind: "standard", status: "amber", reason: "first copy to us-west-2 on its way" },
      ]),
    );
    const result = await cplane("status");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^DR readiness AMBER /);
    expect(rows(result.stdout).acme).toEqual(["standard", "amber", "first copy to us-west-2 on its way"]);
    expect(result.stdout).not.toContain("switch back");
  }, 120_000);

  it("shows RED, with the reason, when the secondary EKS has no usable node group", async () => {
    const fault = runtime.cloud.faults.fail({
      service: "EKS",
      operation: "DescribeNodegroup",
      region: runtime.secondaryRegion,
      error: "ResourceNotFoundException",
    });
    try {
      const result = await cplane("status", "--refresh");
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/^DR readiness RED /);
      expect(rows(result.stdout).compute).toEqual(["compute", "red", "no usable node group in us-west-2"]);
      // Red: no switchback is offered, whatever region serves.
      expect(result.stdout).not.toContain("switch back");
    } finally {
      runtime.cloud.faults.remove(fault);
    }
  }, 120_000);

  it("offers the planned switchback when production runs in the secondary and readiness is not red", async () => {
    const away = stored("amber", runtime.secondaryRegion, [
      {
        subject: "platform",
        kind: "platform",
        status: "amber",
        reason: "no replication lag reported in us-east-1 yet",
      },
      {
        subject: "compute",
        kind: "compute",
        status: "green",
        reason: "node group general in us-east-1 ACTIVE",
      },
    ]);
    await writeReadiness(away);
    const result = await cplane("status");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("production runs in us-west-2, not us-east-1");
    expect(result.stdout).toContain(
      `cplane run regional-failover --input '{"trigger":"manual","mode":"switchover","reason":"switch back to us-east-1"}' --follow`,
    );
  }, 120_000);

  it("exits 2 on a wrong action or --refresh against a stage, 1 when no runtime answers", async () => {
    const wrong = await cplane("statuz");
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("usage: cplane dr status [--refresh] [--json]");
    expect(wrong.stdout).toBe("");

    const stage = await runCli(
      server.url,
      "dr",
      "status",
      "--refresh",
      "--target",
      "aws",
      "--region",
      "us-east-1",
      "--stage",
      "prod",
    );
    expect(stage.code).toBe(2);
    expect(stage.stderr).toContain("--refresh works against the local runtime only");

    const nobody = await runCli("http://127.0.0.1:9", "dr", "status");
    expect(nobody.code).toBe(1);
    expect(nobody.stdout).toBe("");
    expect(nobody.stderr).not.toBe("");
  }, 120_000);
});
