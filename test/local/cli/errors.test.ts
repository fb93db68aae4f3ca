/**
 * The CLI against a local runtime that is there, gone, or something else: every error is reported on
 * stderr with a non-zero exit code, and nothing is printed as if it had worked.
 */
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateDBClusterCommand, CreateDBClusterSnapshotCommand, RDSClient } from "@aws-sdk/client-rds";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createAwsClient } from "../../../functions/shared/aws-clients.ts";
import { cli } from "../../../local/cli/main.ts";
import { resolveTarget } from "../../../local/cli/target.ts";
import { createClock } from "../../../local/clock/clock.ts";
import { createRuntime, type Runtime } from "../../../local/runtime.ts";
import type { LocalServer } from "../../../local/server/http.ts";
import { banner, serve } from "../../../local/start.ts";
import { freePort } from "../../support/child-runtime.ts";

let runtime: Runtime;
let server: LocalServer;
let out = "";
let err = "";

beforeAll(async () => {
  runtime = await createRuntime({ clock: createClock({ mode: { kind: "manual" } }) });
  server = await serve(runtime, 0);
});
afterAll(async () => {
  await server.close();
  await runtime.close();
});
beforeEach(() => {
  out = "";
  err = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    err += String(chunk);
    return true;
  });
});
afterEach(() => vi.restoreAllMocks());

/** Runs a command line against the test runtime (or `endpoint`), as `cplane` would. */
const cplane = (args: string[], endpoint = server.url) => cli([...args, "--endpoint", endpoint]);

describe("a command whose request fails", () => {
  const VALID_INPUT = '{"name":"Initech","tier":"basic","adminEmail":"ops@initech.example"}';
  const COMMANDS = [
    ["executions", "list"],
    ["executions", "list", "tenant-onboarding"],
    ["run", "tenant-onboarding", "--input", VALID_INPUT],
    ["tasks", "list"],
    ["events", "put", "tenant-requested"],
    ["events", "list"],
    ["rules", "list"],
    ["schedules", "list"],
    ["tenants", "list"],
    ["cloud", "describe"],
    ["fault", "list"],
    ["clock"],
  ];

  it.each(COMMANDS.map((c) => [c.join(" "), c]))(
    "%s: says the runtime does not answer and exits 1 when none runs there",
    async (_, args) => {
      const endpoint = `http://127.0.0.1:${await freePort()}`;
      const code = await cplane(args as string[], endpoint);
      expect(code).toBe(1);
      expect(err).toContain(`RuntimeUnreachableError: the local runtime does not answer at ${endpoint}`);
      expect(err).toMatch(/--endpoint URL, CPLANE_ENDPOINT or CPLANE_PORT/);
      expect(out).toBe("");
    },
  );

  it("exits 1 when something other than a cplane runtime answers on the port", async () => {
    const other: Server = createServer((_, response) => {
      response.writeHead(404, { "content-type": "text/html" });
      response.end("<html>not here</html>");
    });
    await new Promise<void>((resolve) => other.listen(0, "127.0.0.1", resolve));
    const address = other.address();
    const endpoint = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
    try {
      expect(await cplane(["executions", "list"], endpoint)).toBe(1);
      expect(await cplane(["fault", "list"], endpoint)).not.toBe(0);
      expect(out).toBe("");
      expect(err).not.toBe("");
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
  });

  it("refuses an endpoint that is not an http URL, naming where it came from", async () => {
    expect(await cli(["clock", "--endpoint", "127.0.0.1:4600"])).toBe(2);
    expect(err).toMatch(/--endpoint does not make an http URL of the runtime: 127\.0\.0\.1:4600/);
    expect(() => resolveTarget({}, { CPLANE_PORT: "abc" })).toThrowError(
      /CPLANE_PORT does not make an http URL/,
    );
    expect(resolveTarget({}, { CPLANE_PORT: "4711" }).endpoint).toBe("http://127.0.0.1:4711");
    expect(resolveTarget({}, { CPLANE_ENDPOINT: "http://localhost:4712/" }).endpoint).toBe(
      "http://localhost:4712",
    );
  });

  it("refuses an unknown workflow with exit code 2, naming the known ones", async () => {
    const code = await cplane(["executions", "list", "nope-workflow"]);
    expect(code).toBe(2);
    expect(err).toMatch(/unknown workflow "nope-workflow"; known: tenant-onboarding, tenant-offboarding/);
    expect(out).toBe("");
  });

  it("lists the executions of every workflow when the runtime answers", async () => {
    const code = await cplane(["executions", "list", "--json"]);
    expect(code).toBe(0);
    // The DR upkeep schedules run every few simulated minutes (earlier tests moved the clock).
    const listed = JSON.parse(out) as { workflow: string }[];
    expect(listed.filter((e) => !["dr-snapshot-copies", "dr-readiness"].includes(e.workflow))).toEqual([]);
    expect(err).toBe("");
  });

  it("refuses an option it does not know, and one without its value", async () => {
    expect(await cplane(["executions", "list", "--staus", "RUNNING"])).toBe(2);
    expect(err).toMatch(/Unknown option '--staus'/);
    expect(await cli(["run", "tenant-onboarding", "--input"])).toBe(2);
    expect(err).toMatch(/--input <value>' argument missing/);
  });

  it("refuses arguments to start, which takes options (npm start 4700 is npm start --port eaten by npm)", async () => {
    expect(await cli(["start", "4700"])).toBe(2);
    expect(err).toMatch(/start takes options, not arguments \(got 4700\).*npm start -- --port 4700/);
  });
});

describe("cplane start with a bad option", () => {
  it("refuses a speed it cannot run at with exit code 2, before creating anything", async () => {
    const dataDir = join(tmpdir(), `cplane-start-refused-${process.pid}`);
    expect(await cli(["start", "--speed", "fast", "--data-dir", dataDir])).toBe(2);
    expect(err).toMatch(
      /--speed \(or CPLANE_SPEED\): clock speed must be real, instant, manual or a positive factor/,
    );
    expect(existsSync(dataDir)).toBe(false);
  });
});

describe("schedules on the local runtime", () => {
  it("lists every schedule of events/schedules.ts, every one loaded now that their workflows are built", async () => {
    expect(await cplane(["schedules", "list", "--json"])).toBe(0);
    const listed = JSON.parse(out) as { name: string; loaded: boolean; reason?: string; state: string }[];
    expect(listed.map((s) => [s.name, s.loaded, s.state, s.reason])).toEqual([
      ["nightly-backup-verification", true, "ENABLED", undefined],
      ["weekly-backup-snapshots", true, "ENABLED", undefined],
      ["backup-scratch-sweeper", true, "ENABLED", undefined],
      ["monthly-dr-drill", true, "ENABLED", undefined],
      ["nightly-dr-drill", true, "DISABLED", undefined],
      ["dr-readiness", true, "ENABLED", undefined],
      ["dr-snapshot-copies", true, "ENABLED", undefined],
    ]);
    out = "";
    expect(await cplane(["schedules", "list"])).toBe(0);
    expect(out).toMatch(
      /monthly-dr-drill\s+regional-failover\s+cron\(0 4 \? \* SUN#1 \*\)\s+Europe\/London\s+ENABLED\s+20\d\d-/,
    );
    // A disabled schedule runs at no time: no next run (it showed the first time after its creation,
    // in the past once that had gone by).
    expect(out).toMatch(
      /nightly-dr-drill\s+regional-failover\s+cron\(0 2 \* \* \? \*\)\s+Europe\/London\s+DISABLED\s+- \(disabled\)\s+-\n/,
    );
  });

  it("refuses to trigger a schedule that does not exist, naming the known ones", async () => {
    expect(await cplane(["schedules", "trigger", "nope"])).toBe(2);
    expect(err).toMatch(
      /no schedule nope; schedules: nightly-backup-verification, weekly-backup-snapshots, backup-scratch-sweeper, monthly-dr-drill, nightly-dr-drill, dr-readiness, dr-snapshot-copies/,
    );
  });

  it("names the schedules and their state in the start banner", () => {
    const text = banner(runtime, "http://127.0.0.1:4600", 4600, ".cplane");
    expect(text).toMatch(/schedules {4}nightly-backup-verification\n/);
    expect(text).toMatch(/monthly-dr-drill\n/);
  });
});

describe("the start banner", () => {
  it("suggests commands that reach a runtime on another port", () => {
    const text = banner(runtime, "http://127.0.0.1:4711", 4711, ".cplane");
    expect(text).toContain("export CPLANE_PORT=4711");
    expect(text).toContain("aws --endpoint-url http://127.0.0.1:4711 ");
  });

  it("needs no setting on the default port", () => {
    expect(banner(runtime, "http://127.0.0.1:4600", 4600, ".cplane")).not.toContain("CPLANE_PORT");
  });
});

describe("faults", () => {
  afterEach(() => runtime.cloud.faults.clear());

  it("refuses a region the runtime does not have, and injects nothing", async () => {
    expect(await cplane(["fault", "region-down", "mars-1"])).toBe(2);
    expect(err).toMatch(/region mars-1 is not one of us-east-1, us-west-2/);
    expect(runtime.cloud.faults.list()).toEqual([]);
  });

  it("refuses to corrupt a snapshot the cloud does not hold, naming it, with exit code 2", async () => {
    expect(await cplane(["fault", "corrupt-snapshot", "rds:tenant-nobody-2026-03-01-03-00"])).toBe(2);
    expect(err).toMatch(
      /DBClusterSnapshotNotFoundFault: DBClusterSnapshot rds:tenant-nobody-2026-03-01-03-00 not found; cplane cloud describe lists the snapshots/,
    );
    expect(err).not.toMatch(/InternalServerError|500/);
  });

  it("corrupts every snapshot of a cluster with --all-of (whichever a restore picks), and refuses a cluster it does not have", async () => {
    const snapshotIds = () =>
      runtime.cloud.faults
        .list()
        .flatMap((f) => (f.kind === "corrupt-snapshot" ? [f.snapshot] : []))
        .sort();
    // A cluster with two snapshots, available.
    const rds = createAwsClient(RDSClient, { region: runtime.region });
    await rds.send(
      new CreateDBClusterCommand({
        DBClusterIdentifier: "probe-cluster",
        Engine: "aurora-postgresql",
        MasterUsername: "probe",
        ManageMasterUserPassword: true,
      }),
    );
    await runtime.clock.advance(
      runtime.cloud.durations.auroraClusterCreate + runtime.cloud.durations.auroraInitialBackup + 1_000,
    );
    for (const id of ["kept-1", "kept-2"]) {
      await rds.send(
        new CreateDBClusterSnapshotCommand({
          DBClusterIdentifier: "probe-cluster",
          DBClusterSnapshotIdentifier: id,
        }),
      );
    }
    await runtime.clock.advance(runtime.cloud.durations.clusterSnapshot + 1_000);
    const held = (
      runtime.cloud.describe() as unknown as {
        RDS: Record<string, { snapshots?: { id: string; cluster: string; status: string }[] }>;
      }
    ).RDS[runtime.region]?.snapshots?.filter(
      (s) => s.cluster === "probe-cluster" && s.status === "available",
    );
    expect(held?.map((s) => s.id)).toEqual(expect.arrayContaining(["kept-1", "kept-2"]));
    expect(await cplane(["fault", "corrupt-snapshot", "--all-of", "probe-cluster"])).toBe(0);
    expect(snapshotIds()).toEqual(held?.map((s) => s.id).sort());
    expect(out).toMatch(/fault fault-\d+ added: snapshot kept-2 loses rows\n/);

    expect(await cplane(["fault", "corrupt-snapshot", "--all-of", "tenant-nobody"])).toBe(2);
    expect(err).toMatch(
      /no available snapshot of tenant-nobody \(no such cluster\); cplane cloud describe lists/,
    );
    expect(await cplane(["fault", "corrupt-snapshot", "x", "--all-of", "probe-cluster"])).toBe(2);
    expect(err).toMatch(/usage: cplane fault corrupt-snapshot \(SNAPSHOT \| --all-of CLUSTER\)/);
  });

  it("refuses a fault on an operation the service does not have (it would never fire), naming the nearest", async () => {
    expect(
      await cplane([
        "fault",
        "add",
        "--service",
        "EKS",
        "--operation",
        "CreatePodIdentityAsociation",
        "--error",
        "InvalidParameterException",
      ]),
    ).toBe(2);
    expect(err).toMatch(
      /operation CreatePodIdentityAsociation is not one the local EKS emulates; did you mean CreatePodIdentityAssociation\?/,
    );
    expect(runtime.cloud.faults.list()).toEqual([]);
  });

  it("lists faults as a table, and as JSON with --json", async () => {
    expect(
      await cplane([
        "fault",
        "add",
        "--service",
        "RDS",
        "--operation",
        "CreateDBCluster",
        "--error",
        "InternalFailure",
        "--times",
        "2",
      ]),
    ).toBe(0);
    expect(await cplane(["fault", "region-down", "us-west-2"])).toBe(0);
    out = "";
    expect(await cplane(["fault", "list"])).toBe(0);
    const lines = out.trim().split("\n");
    expect(lines[0]).toMatch(/^ID\s+KIND\s+SERVICE\s+OPERATION\s+REGION\s+EFFECT\s+HITS\s+TIMES$/);
    expect(lines[1]).toMatch(/^fault-\d+\s+error\s+RDS\s+CreateDBCluster\s+\*\s+InternalFailure\s+0\s+2$/);
    expect(lines[2]).toMatch(
      /region-down\s+\*\s+\*\s+us-west-2\s+every call to the region fails\s+0\s+until cleared$/,
    );
    out = "";
    expect(await cplane(["fault", "list", "--json"])).toBe(0);
    expect((JSON.parse(out) as { kind: string }[]).map((f) => f.kind)).toEqual(["error", "region-down"]);
  });
});

describe("the clock and events", () => {
  it("advances the clock by a combined duration", async () => {
    const before = runtime.clock.now();
    expect(await cplane(["clock", "advance", "1h30m"])).toBe(0);
    expect(runtime.clock.now() - before).toBe(5_400_000);
  });

  it("says what events put takes when given a name that is no sample, file or JSON", async () => {
    expect(await cplane(["events", "put", "nope-sample"])).toBe(2);
    expect(err).toMatch(
      /nope-sample is not a sample, a file or inline JSON; `cplane events samples` lists the samples/,
    );
    err = "";
    expect(await cplane(["events", "put", "tenant-offboard"])).toBe(2);
    expect(err).toMatch(/samples like it: .*cplane\.tenants\.tenant-offboarding-requested/);
  });
});
