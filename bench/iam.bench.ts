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

// The roles services act as: a Task run as its state machine's role, a start made as a target's role.
// One Lambda Task executed on an engine of its own, with the runtime's authorizeTask hook and without it,
// in alternating rounds; and each authorization alone.
const { Engine } = await import("../local/engine/index.ts");
const { createServiceAuthorization } = await import("../local/iam/services.ts");
const { roleArnOf, startRoleName, stateMachineRoleName } = await import("../local/iam/roles.ts");
const { LOCAL_ACCOUNT } = await import("../local/runtime.ts");
const services = createServiceAuthorization(authorizer, { region, account: LOCAL_ACCOUNT });
const where = { ...LOCAL, account: LOCAL_ACCOUNT, partition: "aws" };
const roleArn = roleArnOf(stateMachineRoleName("tenant-onboarding", LOCAL), where);
const functionArn = runtime.functions.arnOf("tenant/announce");
const definition = {
  StartAt: "Call",
  States: {
    Call: {
      Type: "Task",
      Resource: "arn:aws:states:::lambda:invoke",
      Parameters: { FunctionName: functionArn, Payload: {} },
      End: true,
    },
  },
};
const engineWith = (authorize: boolean) => {
  const engine = new Engine({
    clock: createClock({ mode: { kind: "instant" } }),
    region,
    accountId: LOCAL_ACCOUNT,
    runtime: {
      invokeFunction: async () => ({ ok: true }),
      ...(authorize ? { authorizeTask: services.authorizeTask } : {}),
    },
  });
  const { stateMachineArn } = engine.createStateMachine({ name: "bench", definition, roleArn });
  return async () => {
    const { executionArn } = engine.startExecution({ stateMachineArn });
    const done = await engine.waitForExecution(executionArn);
    if (done.status !== "SUCCEEDED") throw new Error(`bench execution ${done.status}: ${done.cause}`);
  };
};
const withoutIam = engineWith(false);
const withIam = engineWith(true);
const taskCall = {
  stateName: "Call",
  resource: "arn:aws:states:::lambda:invoke",
  input: { FunctionName: functionArn, Payload: {} },
  taskToken: undefined,
  signal: new AbortController().signal,
  executionArn: `arn:aws:states:${region}:${LOCAL_ACCOUNT}:execution:cplane-local-tenant-onboarding:x`,
  roleArn,
};
const startRole = roleArnOf(startRoleName("events", "tenant-requested-onboarding", LOCAL), where);
const onboarding = runtime.stateMachineArn("tenant-onboarding");
const runs: { without: number[]; with: number[]; task: number[]; start: number[] } = {
  without: [],
  with: [],
  task: [],
  start: [],
};
for (let round = 0; round < ROUNDS; round++) {
  runs.without.push(us(await rate(withoutIam)));
  runs.with.push(us(await rate(withIam)));
  runs.task.push(us(await rate(() => services.authorizeTask(taskCall))));
  runs.start.push(us(await rate(() => services.authorizeStart(startRole, onboarding))));
}
const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
const [w, t] = [median(runs.without), median(runs.with)];
console.log("");
console.log("service roles                     | unauthorized µs | authorized µs | added µs | ratio");
console.log(
  `${"execution of one Lambda Task".padEnd(33)} | ${w.toFixed(1).padStart(15)} | ${t.toFixed(1).padStart(13)} | ${(t - w).toFixed(1).padStart(8)} | ${(t / w).toFixed(2).padStart(5)}`,
);
console.log(
  `${"Task authorization alone".padEnd(33)} | ${"".padStart(15)} | ${median(runs.task).toFixed(1).padStart(13)}`,
);
console.log(
  `${"start authorization alone".padEnd(33)} | ${"".padStart(15)} | ${median(runs.start).toFixed(1).padStart(13)}`,
);
console.log(`decisions: ${JSON.stringify(authorizer.counts)}`);
await runtime.close();
