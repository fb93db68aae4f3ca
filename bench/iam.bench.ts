/**
 * What local IAM costs a handler's AWS call, in the same process and the same runtime: each call made
 * through the binding handlers use (`boundLocalCloud().send`) once as the function's role (authorized)
 * and once as the local operator (not authorized), in alternating rounds; and the authorizer alone
 * (mapping, resource tags, evaluation), without the call.
 *
 * Calls: Secrets Manager DescribeSecret (in memory: the authorization is most of the call), RDS
 * DescribeDBClusters (in memory, tags read for the decision), DynamoDB GetItem on the registry (dynalite
 * over loopback HTTP, with `dynamodb:LeadingKeys`).
 *
 *   node bench/iam.bench.ts          (or `npm run bench -- iam`)
 */
process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
process.env.POWERTOOLS_METRICS_DISABLED = "true";
process.env.POWERTOOLS_TRACE_ENABLED = "false";
const { createRuntime, TENANT_TABLE } = await import("../local/runtime.ts");
const { boundLocalCloud } = await import("../functions/shared/aws-clients.ts");
const { runAs } = await import("../local/iam/identity.ts");
const { functionRoleName } = await import("../local/iam/roles.ts");
const { createClock } = await import("../local/clock/clock.ts");

const BUDGET_MS = Number(process.env.BENCH_BUDGET_MS ?? 1500);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

const runtime = await createRuntime({ clock: createClock({ mode: { kind: "instant" } }) });
const region = runtime.region;
const cloud = runtime.cloud;
const operator = cloud.services as unknown as Record<
  string,
  { operations: Record<string, (i: unknown, r: string) => unknown> }
>;
operator.SecretsManager?.operations.CreateSecret?.(
  { Name: "cplane/tenants/bench/db", SecretString: "x" },
  region,
);
operator.RDS?.operations.CreateDBCluster?.(
  {
    DBClusterIdentifier: "tenant-bench",
    Engine: "aurora-postgresql",
    MasterUsername: "postgres",
    MasterUserPassword: "password-1",
    Tags: [{ Key: "cplane:tenant", Value: "bench" }],
  },
  region,
);

const LOCAL = { app: "cplane", stage: "local" };
const caller = (functionId: string) => ({ functionId, roleName: functionRoleName(functionId, LOCAL) });
const CALLS = [
  {
    name: "SecretsManager DescribeSecret",
    caller: caller("tenant/retire-secret"),
    call: {
      service: "SecretsManager",
      operation: "DescribeSecret",
      input: { SecretId: "cplane/tenants/bench/db" },
      region,
    },
  },
  {
    name: "RDS DescribeDBClusters",
    caller: caller("tenant/check-database"),
    call: {
      service: "RDS",
      operation: "DescribeDBClusters",
      input: { DBClusterIdentifier: "tenant-bench" },
      region,
    },
  },
  {
    name: "DynamoDB GetItem (LeadingKeys)",
    caller: caller("ops/acquire-locks"),
    call: {
      service: "DynamoDB",
      operation: "GetItem",
      input: { TableName: TENANT_TABLE, Key: { pk: "LOCK#fleet", sk: "LOCK" } },
      region,
    },
  },
];

const binding = boundLocalCloud();
const authorizer = runtime.iam;
if (!binding || !authorizer) throw new Error("the runtime bound no local cloud, or local IAM is off");

/** Calls per second of `work` within the budget, after a warm-up. */
async function rate(work: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 200; i++) await work();
  let count = 0;
  const started = performance.now();
  while (performance.now() - started < BUDGET_MS) {
    for (let i = 0; i < 50; i++) await work();
    count += 50;
  }
  return count / ((performance.now() - started) / 1000);
}

const us = (perSecond: number) => 1e6 / perSecond;
console.log(`local IAM: cost per call, ${ROUNDS} alternating rounds of ${BUDGET_MS} ms each (median)`);
console.log(
  "call                              | unauthorized µs | authorized µs | added µs | ratio | authorizer alone µs",
);
for (const { name, caller: who, call } of CALLS) {
  const plain: number[] = [];
  const checked: number[] = [];
  const alone: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    plain.push(us(await rate(() => binding.send(call))));
    checked.push(us(await rate(() => runAs(who, () => binding.send(call)))));
    alone.push(us(await rate(() => authorizer.authorize(call, who))));
  }
  const median = (values: number[]) =>
    [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
  const [p, c, a] = [median(plain), median(checked), median(alone)];
  console.log(
    `${name.padEnd(33)} | ${p.toFixed(1).padStart(15)} | ${c.toFixed(1).padStart(13)} | ${(c - p).toFixed(1).padStart(8)} | ${(c / p).toFixed(2).padStart(5)} | ${a.toFixed(1).padStart(19)}`,
  );
}
console.log(`decisions: ${JSON.stringify(authorizer.counts)}`);
await runtime.close();
