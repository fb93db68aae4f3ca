/**
 * Runs one stage of the SST program (the eval bundle test/stacks/program.ts built) under Pulumi's
 * runtime mocks, in its own process: Pulumi's runtime state is global, and `$app` is compiled in.
 * Answers SST's two RPC methods (`Provider.Aws.Bootstrap`, `Runtime.Build`, the latter by building
 * the bundle as SST does), answers the AWS provider's data sources as AWS would for the account and
 * region below, and writes every registered resource (type, name, inputs, retainOnDelete, protect)
 * to the JSON file named on the command line. Usage: node program-runner.ts <bundle.mjs> <out.json> <bundles-dir>
 */
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type BuildInput, type BuildOutput, buildFunction } from "../../scripts/lambda-bundle.ts";
import { platformRequire } from "../../scripts/sst-platform.ts";

export const ACCOUNT = "123456789012";
export const REGION = "eu-west-1";

const [bundle, outFile, bundlesDir] = process.argv.slice(2);
if (!bundle || !outFile || !bundlesDir)
  throw new Error("usage: program-runner.ts <bundle> <out.json> <bundles-dir>");

interface MockResourceArgs {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  custom?: boolean;
  id?: string;
}
interface MockCallArgs {
  token: string;
  inputs: Record<string, unknown>;
}
interface Pulumi {
  runtime: {
    setMocks(
      mocks: {
        newResource(args: MockResourceArgs): { id: string | undefined; state: Record<string, unknown> };
        call(args: MockCallArgs): Record<string, unknown>;
      },
      project: string,
      stack: string,
      preview: boolean,
    ): Promise<void>;
    getMonitor(): { registerResource(req: RegisterRequest, callback: unknown): unknown };
    runInPulumiStack(init: () => Promise<unknown>): Promise<unknown>;
    /** Resolves once every registration and invoke in flight (those made inside applies too) is done. */
    waitForRPCs(): Promise<void>;
  };
}
interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getProtect(): boolean;
  getRetainondelete(): boolean;
}

export interface RenderedResource {
  type: string;
  name: string;
  /** The provider's id: a role's is its name, as IAM's; others `<name>-id`. */
  id: string | undefined;
  custom: boolean;
  parent: string;
  inputs: Record<string, unknown>;
  state: Record<string, unknown>;
  protect: boolean;
  retainOnDelete: boolean;
}
export interface RenderedBuild {
  functionID: string;
  minify: boolean;
  bytes: number;
  inputs: Record<string, number>;
}
export interface RenderedProgram {
  resources: RenderedResource[];
  outputs: unknown;
  builds: RenderedBuild[];
  unanswered: string[];
}

const resources = new Map<string, RenderedResource>();
const options = new Map<string, { protect: boolean; retainOnDelete: boolean; parent: string }>();
const builds: RenderedBuild[] = [];
const unanswered: string[] = [];

const str = (value: unknown) => String(value);
const shortHash = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 7);

/** What AWS answers for a created resource: its ARN (and URL) from its name, as each service forms it. */
function created(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  const physical = typeof inputs.name === "string" ? inputs.name : `${name}-${shortHash(name)}`;
  const r = `${REGION}:${ACCOUNT}`;
  const arns: Record<string, string> = {
    "aws:lambda/function:Function": `arn:aws:lambda:${r}:function:${physical}`,
    "aws:sfn/stateMachine:StateMachine": `arn:aws:states:${r}:stateMachine:${physical}`,
    "aws:iam/role:Role": `arn:aws:iam::${ACCOUNT}:role/${physical}`,
    "aws:iam/policy:Policy": `arn:aws:iam::${ACCOUNT}:policy/${physical}`,
    "aws:cloudwatch/eventBus:EventBus": `arn:aws:events:${r}:event-bus/${physical}`,
    "aws:cloudwatch/eventRule:EventRule": `arn:aws:events:${r}:rule/${physical}`,
    "aws:dynamodb/table:Table": `arn:aws:dynamodb:${r}:table/${physical}`,
    "aws:secretsmanager/secret:Secret": `arn:aws:secretsmanager:${r}:secret:${physical}-AbCdEf`,
    "aws:sqs/queue:Queue": `arn:aws:sqs:${r}:${physical}`,
    "aws:cloudwatch/logGroup:LogGroup": `arn:aws:logs:${r}:log-group:${physical}`,
    "aws:cloudwatch/metricAlarm:MetricAlarm": `arn:aws:cloudwatch:${r}:alarm:${physical}`,
    "aws:scheduler/schedule:Schedule": `arn:aws:scheduler:${r}:schedule/default/${physical}`,
  };
  const [service = "x", resource = "x"] = type.replace(/^aws:/, "").split(/[/:]/);
  return {
    ...inputs,
    name: physical,
    arn: arns[type] ?? `arn:aws:${service}:${r}:${resource}/${physical}`,
    ...(type === "aws:sqs/queue:Queue"
      ? { url: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${physical}` }
      : {}),
  };
}

/** aws.iam.getPolicyDocument, as the AWS provider renders it: one-element lists become strings. */
function policyDocument(inputs: Record<string, unknown>): string {
  type Statement = {
    sid?: string;
    effect?: string;
    actions?: string[];
    notActions?: string[];
    resources?: string[];
    notResources?: string[];
    principals?: { type: string; identifiers: string[] }[];
    conditions?: { test: string; variable: string; values: string[] }[];
  };
  const one = (values: string[]) => (values.length === 1 ? values[0] : values);
  const statements = ((inputs.statements as Statement[] | undefined) ?? []).map((s) => {
    const out: Record<string, unknown> = {};
    if (s.sid) out.Sid = s.sid;
    out.Effect = s.effect ?? "Allow";
    if (s.actions) out.Action = one(s.actions);
    if (s.notActions) out.NotAction = one(s.notActions);
    if (s.resources) out.Resource = one(s.resources);
    if (s.notResources) out.NotResource = one(s.notResources);
    if (s.principals) {
      const principal: Record<string, unknown> = {};
      for (const p of s.principals) principal[p.type] = one(p.identifiers);
      out.Principal = principal;
    }
    if (s.conditions) {
      const condition: Record<string, Record<string, unknown>> = {};
      for (const c of s.conditions) {
        condition[c.test] ??= {};
        (condition[c.test] as Record<string, unknown>)[c.variable] = one(c.values);
      }
      out.Condition = condition;
    }
    return out;
  });
  return JSON.stringify({ Version: "2012-10-17", Statement: statements }, null, 2);
}

/** AWS's answers to the provider's data sources. */
function call({ token, inputs }: MockCallArgs): Record<string, unknown> {
  switch (token) {
    case "aws:index/getCallerIdentity:getCallerIdentity":
      return {
        accountId: ACCOUNT,
        arn: `arn:aws:iam::${ACCOUNT}:user/deployer`,
        userId: "AIDAEXAMPLE",
        id: ACCOUNT,
      };
    case "aws:index/getRegion:getRegion":
      return { name: REGION, region: REGION, id: REGION, description: "Europe (Ireland)", endpoint: "" };
    case "aws:index/getPartition:getPartition":
      return { partition: "aws", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws", id: "aws" };
    case "aws:iam/getPolicyDocument:getPolicyDocument": {
      const json = policyDocument(inputs);
      return { ...inputs, json, minifiedJson: JSON.stringify(JSON.parse(json)), id: shortHash(json) };
    }
    default:
      unanswered.push(token);
      throw new Error(`the program calls ${token}, which the test does not answer`);
  }
}

/** SST's RPC server (`SST_SERVER`): the two methods the program calls on deploy. */
async function rpc(method: string, args: Record<string, unknown>): Promise<unknown> {
  if (method === "Provider.Aws.Bootstrap")
    return {
      asset: `sst-asset-${shortHash(String(args.region))}`,
      assetEcrRegistryId: ACCOUNT,
      assetEcrUrl: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/sst-asset`,
      state: `sst-state-${shortHash(String(args.region))}`,
      appsyncHttp: "",
      appsyncRealtime: "",
    };
  if (method === "Runtime.Build") {
    const input = args as unknown as BuildInput;
    // Same handler and properties, same bundle: stages share the directory.
    const key = shortHash(JSON.stringify([input.handler, input.runtime, input.properties]));
    const built: BuildOutput = await buildFunction(input, join(bundlesDir as string, key));
    builds.push({
      functionID: input.functionID,
      minify: input.properties?.minify === true,
      bytes: built.bytes,
      inputs: built.inputs,
    });
    return { handler: built.handler, out: built.out, errors: built.errors, sourcemaps: built.sourcemaps };
  }
  unanswered.push(method);
  throw new Error(`rpc: can't find method ${method}`);
}

const server = createServer((req, res) => {
  let body = "";
  req.on("data", (chunk) => {
    body += chunk;
  });
  req.on("end", async () => {
    const { method, params } = JSON.parse(body) as { method: string; params: [Record<string, unknown>] };
    try {
      res.end(JSON.stringify({ result: await rpc(method, params[0]) }));
    } catch (error) {
      res.end(JSON.stringify({ error: String((error as Error).message) }));
    }
  });
});
await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
const address = server.address();
if (address === null || typeof address === "string") throw new Error("no RPC server address");
process.env.SST_SERVER = `http://127.0.0.1:${address.port}`;

const pulumi = platformRequire("@pulumi/pulumi") as Pulumi;
await pulumi.runtime.setMocks(
  {
    newResource({ type, name, inputs, custom, id: imported }) {
      const state = custom ? created(type, name, inputs) : inputs;
      const id = custom
        ? imported || (type === "aws:iam/role:Role" ? str(state.name) : `${name}-id`)
        : undefined;
      const opts = options.get(`${type}::${name}`);
      resources.set(`${type}::${name}`, {
        type,
        name,
        id,
        custom: custom === true,
        parent: opts?.parent ?? "",
        inputs,
        state,
        protect: opts?.protect ?? false,
        retainOnDelete: opts?.retainOnDelete ?? false,
      });
      return { id, state };
    },
    call,
  },
  "cplane",
  "test",
  false,
);
// The mock hands newResource no options: read them off the registration request.
const monitor = pulumi.runtime.getMonitor();
const register = monitor.registerResource.bind(monitor);
monitor.registerResource = (req, callback) => {
  options.set(`${req.getType()}::${req.getName()}`, {
    protect: req.getProtect(),
    retainOnDelete: req.getRetainondelete(),
    parent: req.getParent(),
  });
  return register(req, callback);
};

const outputs = await pulumi.runtime.runInPulumiStack(
  async () => ((await import(pathToFileURL(bundle).href)) as { default: unknown }).default,
);
await pulumi.runtime.waitForRPCs();
server.close();
const rendered: RenderedProgram = { resources: [...resources.values()], outputs, builds, unanswered };
writeFileSync(outFile, JSON.stringify(rendered));
