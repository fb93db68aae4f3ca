/**
 * Regenerates local/server/models/*.json: the input shapes of the operations the local server serves,
 * with AWS's own constraints (required members, types, enums, lengths, ranges, patterns), cut from
 * the service models botocore ships (Apache-2.0; the same models the AWS SDKs are generated from).
 * The AWS SDK for JavaScript's bundled schemas carry member types but none of the constraints.
 *
 *   node scripts/aws-models.ts <botocore>/data
 *
 * Documentation strings are dropped; everything else of a shape is kept as AWS wrote it.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { EVENTS_OPERATIONS, SFN_OPERATIONS } from "../local/server/operations.ts";

interface BotocoreShape {
  type: string;
  required?: string[];
  members?: Record<string, { shape: string }>;
  member?: { shape: string };
  key?: { shape: string };
  value?: { shape: string };
  min?: number;
  max?: number;
  enum?: string[];
  pattern?: string;
  sensitive?: boolean;
}

interface Botocore {
  metadata: { targetPrefix: string; jsonVersion: string; apiVersion: string };
  operations: Record<string, { input?: { shape: string } }>;
  shapes: Record<string, BotocoreShape & Record<string, unknown>>;
}

const KEPT = ["type", "required", "min", "max", "enum", "pattern", "sensitive"] as const;

function trim(model: Botocore, operations: readonly string[]) {
  const shapes: Record<string, Record<string, unknown>> = {};
  const pending: string[] = [];
  const ops: Record<string, string | null> = {};
  for (const name of operations) {
    const op = model.operations[name];
    if (!op) throw new Error(`the model has no operation ${name}`);
    ops[name] = op.input?.shape ?? null;
    if (op.input) pending.push(op.input.shape);
  }
  while (pending.length > 0) {
    const name = pending.pop() as string;
    if (shapes[name]) continue;
    const shape = model.shapes[name];
    if (!shape) throw new Error(`the model has no shape ${name}`);
    const out: Record<string, unknown> = {};
    for (const key of KEPT) if (shape[key] !== undefined) out[key] = shape[key];
    if (shape.members) {
      out.members = Object.fromEntries(Object.entries(shape.members).map(([m, ref]) => [m, ref.shape]));
      for (const ref of Object.values(shape.members)) pending.push(ref.shape);
    }
    for (const part of ["member", "key", "value"] as const) {
      const ref = shape[part];
      if (ref) {
        out[part] = ref.shape;
        pending.push(ref.shape);
      }
    }
    shapes[name] = out;
  }
  const sorted = Object.fromEntries(Object.entries(shapes).sort(([a], [b]) => a.localeCompare(b)));
  return {
    source: `botocore service model ${model.metadata.apiVersion} (Apache-2.0), trimmed by scripts/aws-models.ts`,
    targetPrefix: model.metadata.targetPrefix,
    operations: ops,
    shapes: sorted,
  };
}

const data = process.argv[2];
if (!data) {
  console.error("usage: node scripts/aws-models.ts <botocore>/data");
  process.exit(2);
}
const out = join(dirname(fileURLToPath(import.meta.url)), "..", "local", "server", "models");
const read = (path: string): Botocore => JSON.parse(gunzipSync(readFileSync(join(data, path))).toString());
for (const [file, path, operations] of [
  ["sfn.json", "stepfunctions/2016-11-23/service-2.json.gz", SFN_OPERATIONS],
  ["events.json", "events/2015-10-07/service-2.json.gz", EVENTS_OPERATIONS],
] as const) {
  writeFileSync(join(out, file), `${JSON.stringify(trim(read(path), operations), null, 2)}\n`);
  console.log(`wrote local/server/models/${file}`);
}
