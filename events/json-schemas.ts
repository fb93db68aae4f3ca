/**
 * JSON Schema (draft 2020-12) of every registered event's whole envelope, generated from the zod
 * contracts, for EventBridge's schema registry. `node events/json-schemas.ts` writes them to
 * events/schemas/; a test fails when the files there are not current.
 */
import { readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { contractFileStem, envelopeSchema } from "./define.ts";
import { type EventRegistry, eventRegistry } from "./registry.ts";

export const SCHEMAS_DIR = join(dirname(fileURLToPath(import.meta.url)), "schemas");

/** File name -> schema text, for every contract in the registry. */
export function renderJsonSchemas(registry: EventRegistry = eventRegistry): Map<string, string> {
  const out = new Map<string, string>();
  for (const contract of registry.contracts) {
    const schema = z.toJSONSchema(envelopeSchema(contract), { io: "input" });
    const document = {
      ...schema,
      title: `${contract.source} / ${contract.detailType}`,
      description: contract.description,
    };
    out.set(`${contractFileStem(contract)}.json`, `${JSON.stringify(document, null, 2)}\n`);
  }
  return out;
}

export function writeJsonSchemas(dir: string = SCHEMAS_DIR): string[] {
  const rendered = renderJsonSchemas();
  for (const file of readdirSync(dir))
    if (file.endsWith(".json") && !rendered.has(file)) rmSync(join(dir, file));
  for (const [file, text] of rendered) writeFileSync(join(dir, file), text);
  return [...rendered.keys()];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const files = writeJsonSchemas();
  console.log(`wrote ${files.length} schemas to ${SCHEMAS_DIR}`);
}
