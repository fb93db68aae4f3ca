/**
 * asl-validator with its JSON Schema compiled once per process. asl-validator 4 builds a new Ajv
 * instance and compiles its fifteen schemas on every call (hundreds of milliseconds), which made every
 * CreateStateMachine that slow. Its checks stay its own: only `jsonSchemaErrors`, the one step that
 * builds the schema, is replaced by one that keeps the compiled validator per option set and selects
 * errors exactly as asl-validator 4.0's `checks/json-schema-errors.js` does (Apache-2.0).
 */
import { createRequire } from "node:module";

export interface AslValidatorOptions {
  readonly checkPaths?: boolean;
  readonly checkArn?: boolean;
}

export type AslValidator = (
  definition: unknown,
  options?: AslValidatorOptions,
) => { isValid: boolean; errorsText: (separator?: string) => string };

interface AjvError {
  readonly instancePath: string;
  readonly schemaPath: string;
  readonly keyword: string;
  readonly message?: string;
}

interface AjvInstance {
  addFormat(name: string, format: (value: string) => boolean): void;
  getSchema(key: string): ((data: unknown) => boolean) & { errors?: AjvError[] | null };
}

type AjvClass = new (options: Record<string, unknown>) => AjvInstance;

const STATE_MACHINE_SCHEMA = "http://asl-validator.cloud/state-machine.json#";
const SCHEMAS = [
  "common",
  "paths",
  "jsonata",
  "choice",
  "fail",
  "parallel",
  "pass",
  "base-state-machine",
  "state-machine",
  "state",
  "succeed",
  "task",
  "wait",
  "map",
  "errors",
];

const require = createRequire(import.meta.url);
const main = require.resolve("asl-validator");
/** asl-validator's own dependencies, resolved as it resolves them. */
const fromValidator = createRequire(main);

function compile(options: AslValidatorOptions): ReturnType<AjvInstance["getSchema"]> {
  const Ajv = (fromValidator("ajv") as { default: AjvClass }).default;
  const addFormats = (fromValidator("ajv-formats") as { default: (ajv: AjvInstance) => void }).default;
  const jsonata = fromValidator("jsonata") as (expression: string) => unknown;
  const ajv = new Ajv({
    schemas: SCHEMAS.map((name) => fromValidator(`./schemas/${name}.json`)),
    allowUnionTypes: true,
  });
  addFormats(ajv);
  const validJsonata = (value: string): boolean => {
    const trimmed = value.trim();
    let expression = trimmed.startsWith("{%") ? trimmed.slice(2) : trimmed;
    expression = expression.endsWith("%}") ? expression.slice(0, -2) : expression;
    try {
      jsonata(expression);
      return true;
    } catch {
      return false;
    }
  };
  ajv.addFormat("jsonata_string", validJsonata);
  ajv.addFormat("maybe_jsonata_string", (value) => {
    const trimmed = value.trim();
    return trimmed.startsWith("{%") || trimmed.endsWith("%}") ? validJsonata(trimmed) : true;
  });
  if (options.checkPaths) {
    (fromValidator("asl-path-validator") as { registerAll(ajv: AjvInstance): void }).registerAll(ajv);
  } else {
    for (const format of ["asl_path", "asl_ref_path", "asl_payload_template", "asl_result_path"]) {
      ajv.addFormat(format, () => true);
    }
  }
  const { isArnFormatValid } = fromValidator("./checks/formats") as {
    isArnFormatValid(value: string): boolean;
  };
  ajv.addFormat("asl_arn", options.checkArn ? isArnFormatValid : () => true);
  return ajv.getSchema(STATE_MACHINE_SCHEMA);
}

const compiled = new Map<string, ReturnType<AjvInstance["getSchema"]>>();

/** asl-validator's `jsonSchemaErrors`, on a validator compiled once per option set. */
function jsonSchemaErrors(definition: unknown, options: AslValidatorOptions) {
  const key = `${options.checkPaths === true}/${options.checkArn === true}`;
  let validate = compiled.get(key);
  if (!validate) {
    validate = compile(options);
    compiled.set(key, validate);
  }
  if (validate(definition)) return [];
  // The errors at the deepest instance path; where a oneOf failed there, only the oneOf and format errors.
  let selected: AjvError[] = [];
  let deepest = 0;
  for (const error of validate.errors ?? []) {
    const depth = error.instancePath.split("/").length;
    if (depth === deepest) selected.push(error);
    else if (depth > deepest) selected = [error];
    deepest = Math.max(deepest, depth);
  }
  const withOneOf = new Set(selected.filter((e) => e.keyword === "oneOf").map((e) => e.instancePath));
  const mapped = selected
    .filter((e) => e.keyword === "oneOf" || !withOneOf.has(e.instancePath))
    .map((e) => ({
      "Error code": "SCHEMA_VALIDATION_FAILED",
      Message: `${e.instancePath} is invalid. ${e.message ?? ""}`,
      schemaError: { instancePath: e.instancePath, schemaPath: decodeURIComponent(e.schemaPath) },
    }));
  return mapped.filter(
    (v, i, all) =>
      all.findIndex(
        (w) =>
          w.schemaError.schemaPath === v.schemaError.schemaPath &&
          w.schemaError.instancePath === v.schemaError.instancePath,
      ) === i,
  );
}

type SchemaErrors = typeof jsonSchemaErrors & { original?: SchemaErrors };

// asl-validator's main module reads `jsonSchemaErrors` from this module object at each call.
const checks = fromValidator("./checks/json-schema-errors") as { jsonSchemaErrors: SchemaErrors };
/** asl-validator's own `jsonSchemaErrors` (for the tests that hold ours to it). */
export const originalJsonSchemaErrors: SchemaErrors =
  checks.jsonSchemaErrors.original ?? checks.jsonSchemaErrors;
checks.jsonSchemaErrors = Object.assign(jsonSchemaErrors, { original: originalJsonSchemaErrors });

export { jsonSchemaErrors as cachedJsonSchemaErrors };

export const aslValidator = require("asl-validator") as AslValidator;
