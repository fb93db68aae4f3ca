/**
 * What checkpoints cost the local runtime, in the same process:
 *
 * 1. One checkpoint of the state `npm start` holds after a few onboardings (demo fleet, tenant
 *    databases, their executions): how long the state takes to take (the part the engine waits for),
 *    the longest the event loop is blocked while it is written, how long until it is on disk, and
 *    the bytes. Once with no database used since the last checkpoint, once with one.
 * 2. Throughput with checkpoints (default timing) against the same runtime without, in alternating
 *    rounds: state transitions of many small executions, and tenant onboardings end to end.
 * 3. The local cloud's part at fleet scale (BENCH_TENANTS, default 200, made through its API with
 *    durations at zero): a save with nothing changed, after one RDS call, after one Kubernetes write,
 *    and after a call to every service; the part taken synchronously (what the runtime waits for) and
 *    the whole save. Uses only the cloud's public API, so that it runs on an older tree too.
 *
 *   node bench/checkpoint.bench.ts          (or `npm run bench -- checkpoint`)
 *   BENCH_PARTS=scale node bench/checkpoint.bench.ts    (only part 3)
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// Quiet handlers, before any handler module loads.
process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
process.env.POWERTOOLS_METRICS_DISABLED = "true";
process.env.POWERTOOLS_TRACE_ENABLED = "false";
const { createRuntime } = await import("../local/runtime.ts");
const { createLocalCloud } = await import("../local/cloud/cloud.ts");
const { createDemoFleet } = await import("../local/cloud/demo.ts");
const { createClock } = await import("../local/clock/clock.ts");
type Runtime = Awaited<ReturnType<typeof createRuntime>>;

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const BUDGET_MS = Number(process.env.BENCH_BUDGET_MS ?? 3000);
const dirs: string[] = [];

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "cplane-bench-"));
  dirs.push(dir);
  return dir;
}

function sizeOf(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(path).reduce((sum, name) => sum + sizeOf(join(path, name)), 0);
}

/** The longest the event loop went without turning while `work` ran (1 ms probes). */
async function longestBlock<T>(work: () => Promise<T>): Promise<{ result: T; blockMs: number }> {
  let last = performance.now();
  let longest = 0;
  const probe = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 1);
  try {
    const result = await work();
    longest = Math.max(longest, performance.now() - last);
    return { result, blockMs: longest };
  } finally {
    clearInterval(probe);
  }
}

async function onboard(runtime: Runtime, names: readonly string[]): Promise<void> {
  const arns = names.map(
    (name) =>
      runtime.engine.startExecution({
        stateMachineArn: runtime.stateMachineArn("tenant-onboarding"),
        input: JSON.stringify({ name, tier: "basic", adminEmail: "ops@bench.example" }),
      }).executionArn,
  );
  for (const arn of arns) {
    const done = await runtime.engine.waitForExecution(arn);
    if (done.status !== "SUCCEEDED")
      throw new Error(`onboarding ${done.status}: ${done.error} ${done.cause}`);
  }
}

// ---------------------------------------------------------------- 1. one checkpoint

async function checkpointCost(): Promise<void> {
  const dir = dataDir();
  // `npm start`'s clock: an instant one would race through simulated days (and their backups) meanwhile.
  const runtime = await createRuntime({ speed: "60", dataDir: dir, demoFleet: true });
  const checkpoints = runtime.checkpoints;
  if (!checkpoints) throw new Error("no checkpoints");
  await onboard(runtime, ["Bench One", "Bench Two", "Bench Three", "Bench Four"]);
  await checkpoints.flush();

  const measureOne = async (label: string, change: () => Promise<void>) => {
    await change();
    const { blockMs } = await longestBlock(() => checkpoints.flush());
    const last = checkpoints.status.last;
    if (!last) throw new Error("no checkpoint written");
    console.log(
      `${label.padEnd(44)} take ${last.captureMs.toFixed(1).padStart(6)} ms  longest block ${blockMs
        .toFixed(0)
        .padStart(
          4,
        )} ms  on disk after ${String(last.ms).padStart(5)} ms  state files ${(last.bytes / 1024).toFixed(0)} KB`,
    );
  };
  // An execution changes (the engine's side only).
  await measureOne("no database used since the last checkpoint", async () => {
    runtime.engine.stopExecution(
      runtime.engine.startExecution({ stateMachineArn: runtime.stateMachineArn("tenant-offboarding") })
        .executionArn,
    );
  });
  // A tenant database used: its image is written again.
  await measureOne("one tenant database used since", async () => {
    const cluster = runtime.cloud.rds
      .describe()
      ["us-east-1"]?.clusters?.find((c) => String((c as { id: string }).id).startsWith("tenant-")) as
      | { id: string }
      | undefined;
    if (!cluster) throw new Error("no tenant cluster");
    const arn = `arn:aws:rds:us-east-1:${runtime.cloud.account}:cluster:${cluster.id}`;
    const db = await (
      runtime.cloud.rds as unknown as {
        databases: { get(key: string): Promise<{ query(sql: string): Promise<unknown> }> };
      }
    ).databases.get(arn);
    await db.query("select 1");
    // The Data API would say so through the cloud; used directly, the change is told here.
    checkpoints.changed();
  });
  const executions = statSync(join(dir, "executions.json")).size;
  const chunks = sizeOf(join(dir, "executions"));
  const cloud = statSync(join(dir, "cloud", "cloud.json")).size;
  const images = sizeOf(join(dir, "cloud", "rds"));
  const imageCount = readdirSync(join(dir, "cloud", "rds")).length;
  console.log(
    `on disk: executions.json ${(executions / 1024).toFixed(1)} KB (+ ${(chunks / 1024).toFixed(0)} KB of finished ones in chunks), cloud.json ${(cloud / 1024).toFixed(0)} KB, ${imageCount} database image(s) ${(images / 2 ** 20).toFixed(1)} MB`,
  );
  await runtime.close();
}

// ---------------------------------------------------------------- 2. throughput, with and without

const CHAIN = 40;
function chainDefinition() {
  const states: Record<string, unknown> = {};
  for (let i = 0; i < CHAIN; i++) {
    states[`S${i}`] = {
      Type: "Pass",
      Parameters: { "n.$": "$.n", step: i },
      ...(i + 1 < CHAIN ? { Next: `S${i + 1}` } : { End: true }),
    };
  }
  return { StartAt: "S0", States: states };
}

/** Transitions per second of batches of 50 concurrent executions, over the budget. */
async function transitions(runtime: Runtime): Promise<number> {
  const { stateMachineArn } = runtime.engine.createStateMachine({
    name: "bench-chain",
    definition: chainDefinition(),
  });
  const batch = async () => {
    const arns = Array.from(
      { length: 50 },
      () => runtime.engine.startExecution({ stateMachineArn, input: '{"n":1}' }).executionArn,
    );
    for (const arn of arns) await runtime.engine.waitForExecution(arn);
    // A serving runtime turns its event loop between requests (Pass states alone never would).
    await new Promise((resolve) => setImmediate(resolve));
  };
  await batch();
  const start = performance.now();
  let runs = 0;
  while (performance.now() - start < BUDGET_MS) {
    await batch();
    runs += 50;
  }
  return (runs * CHAIN) / ((performance.now() - start) / 1000);
}

/** Seconds for two onboardings end to end (PGlite, migrations, namespaces). */
async function onboardings(runtime: Runtime): Promise<number> {
  const start = performance.now();
  await onboard(runtime, [`Bench ${dirs.length}a`, `Bench ${dirs.length}b`]);
  return (performance.now() - start) / 1000;
}

async function compare(
  label: string,
  unit: string,
  work: (runtime: Runtime) => Promise<number>,
  better: "higher" | "lower",
): Promise<void> {
  const results: Record<"on" | "off", number[]> = { on: [], off: [] };
  let written = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of round % 2 === 0 ? (["off", "on"] as const) : (["on", "off"] as const)) {
      const runtime = await createRuntime({
        speed: "instant",
        dataDir: dataDir(),
        ...(mode === "off" ? { checkpoints: false as const } : {}),
      });
      results[mode].push(await work(runtime));
      await runtime.close();
      written += runtime.checkpoints?.status.written ?? 0;
    }
  }
  const best = (values: number[]) => (better === "higher" ? Math.max(...values) : Math.min(...values));
  const on = best(results.on);
  const off = best(results.off);
  const ratio = better === "higher" ? on / off : off / on;
  console.log(
    `${label.padEnd(44)} without ${off.toFixed(2).padStart(9)} ${unit}  with ${on.toFixed(2).padStart(9)} ${unit}  with/without ${ratio.toFixed(2)}  (${(written / ROUNDS).toFixed(1)} checkpoints a run)`,
  );
}

// ---------------------------------------------------------------- 3. the cloud's part at fleet scale

const TENANTS = Number(process.env.BENCH_TENANTS ?? 200);

async function cloudAtScale(): Promise<void> {
  const dir = dataDir();
  const clock = createClock({ mode: { kind: "manual" } });
  const cloud = createLocalCloud({ clock, dataDir: dir });
  const fleet = await createDemoFleet(cloud);
  for (const key of Object.keys(cloud.durations) as (keyof typeof cloud.durations)[]) {
    if (key !== "automatedBackupInterval" && key !== "metricsTick") cloud.durations[key] = 0;
  }
  const region = cloud.regions.primary;
  const call = (service: string, operation: string, input: unknown) =>
    cloud.send({ service, operation, region, input });
  const clusterName = fleet.clusters[region] ?? "";
  const kubernetes = cloud.eks.kubernetes(clusterName, region);
  if (!kubernetes) throw new Error("no Kubernetes API in the demo fleet");
  // What an onboarding leaves, roughly: a database with its managed secret, a secret, a role with a
  // policy, a namespace with its quota, limits, policy, account and service.
  for (let i = 0; i < TENANTS; i++) {
    const id = `tenant-${String(i).padStart(3, "0")}`;
    const tags = [
      { Key: "cplane:tenant", Value: id },
      { Key: "cplane:tier", Value: "standard" },
    ];
    await call("RDS", "CreateDBCluster", {
      DBClusterIdentifier: id,
      Engine: "aurora-postgresql",
      MasterUsername: "admin",
      ManageMasterUserPassword: true,
      EnableHttpEndpoint: true,
      Tags: tags,
    });
    await call("RDS", "CreateDBInstance", {
      DBInstanceIdentifier: `${id}-1`,
      DBClusterIdentifier: id,
      DBInstanceClass: "db.serverless",
      Engine: "aurora-postgresql",
    });
    await call("SecretsManager", "CreateSecret", { Name: `${id}/app`, SecretString: "{}", Tags: tags });
    await call("IAM", "CreateRole", {
      RoleName: `${id}-app`,
      AssumeRolePolicyDocument: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Principal: { Service: "pods.eks.amazonaws.com" }, Action: "sts:AssumeRole" },
        ],
      }),
      Tags: tags,
    });
    const namespace = { name: id, labels: { "cplane/tenant": id } };
    kubernetes.apply({ apiVersion: "v1", kind: "Namespace", metadata: namespace });
    kubernetes.apply({
      apiVersion: "v1",
      kind: "ResourceQuota",
      metadata: { name: "tenant-quota", namespace: id },
      spec: { hard: { "requests.cpu": "4", "requests.memory": "8Gi", pods: "40" } },
    });
    kubernetes.apply({
      apiVersion: "v1",
      kind: "LimitRange",
      metadata: { name: "tenant-limits", namespace: id },
      spec: { limits: [{ type: "Container", default: { cpu: "500m", memory: "512Mi" } }] },
    });
    kubernetes.apply({
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "default-deny", namespace: id },
      spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
    });
    kubernetes.apply({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "app", namespace: id } });
    kubernetes.apply({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "app", namespace: id },
      spec: { selector: { app: "app" }, ports: [{ port: 80, targetPort: 8080 }] },
    });
  }
  await clock.advance(0);

  const measure = async (label: string, change: () => Promise<unknown> | unknown) => {
    const takes: number[] = [];
    const totals: number[] = [];
    for (let round = 0; round < 5; round++) {
      await change();
      const started = performance.now();
      const saved = cloud.save({ background: true });
      takes.push(performance.now() - started);
      const { bytes } = await saved;
      totals.push(performance.now() - started);
      if (round === 4) {
        const median = (values: number[]) => [...values].sort((a, b) => a - b)[2] ?? 0;
        console.log(
          `${label.padEnd(44)} take ${median(takes).toFixed(1).padStart(7)} ms  save ${median(totals)
            .toFixed(1)
            .padStart(7)} ms  cloud.json ${(bytes / 2 ** 20).toFixed(1)} MB  (medians of 5)`,
        );
      }
    }
  };
  let n = 0;
  await cloud.save();
  await measure("nothing changed", () => undefined);
  await measure("one RDS call (a tenant's tags)", () =>
    call("RDS", "AddTagsToResource", {
      ResourceName: `arn:aws:rds:${region}:${cloud.account}:cluster:tenant-007`,
      Tags: [{ Key: "touched", Value: String(++n) }],
    }),
  );
  await measure("one Kubernetes write", () =>
    kubernetes.apply({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "touched", namespace: "tenant-007" },
      data: { n: String(++n) },
    }),
  );
  await measure("a call to RDS, Secrets Manager, IAM and EKS", async () => {
    await call("RDS", "AddTagsToResource", {
      ResourceName: `arn:aws:rds:${region}:${cloud.account}:cluster:tenant-007`,
      Tags: [{ Key: "touched", Value: String(++n) }],
    });
    await call("SecretsManager", "TagResource", {
      SecretId: "tenant-007/app",
      Tags: [{ Key: "n", Value: String(n) }],
    });
    await call("IAM", "TagRole", { RoleName: "tenant-007-app", Tags: [{ Key: "n", Value: String(n) }] });
    kubernetes.apply({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "touched", namespace: "tenant-007" },
      data: { n: String(++n) },
    });
    const { cluster: described } = (await call("EKS", "DescribeCluster", { name: clusterName })) as {
      cluster?: { arn?: string };
    };
    await call("EKS", "TagResource", { resourceArn: described?.arn, tags: { n: String(n) } });
  });
  await cloud.close();
  clock.dispose();
}

try {
  const parts = (process.env.BENCH_PARTS ?? "one,throughput,scale").split(",");
  if (parts.includes("one")) {
    console.log("one checkpoint (demo fleet, 4 onboarded tenants):");
    await checkpointCost();
  }
  if (parts.includes("throughput")) {
    console.log(`\nthroughput, best of ${ROUNDS} alternating rounds (ratio 1.00 = no cost):`);
    await compare(
      `${CHAIN}-state Pass chains, 50 at a time`,
      "ktr/s",
      async (r) => (await transitions(r)) / 1000,
      "higher",
    );
    await compare("2 onboardings end to end", "s", onboardings, "lower");
  }
  if (parts.includes("scale")) {
    console.log(`\nthe local cloud's state alone, ${TENANTS} tenants made through its API (demo fleet):`);
    await cloudAtScale();
  }
} finally {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}
