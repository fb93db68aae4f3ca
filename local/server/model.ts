/**
 * Request validation driven by AWS's service models (local/server/models/*.json, cut from the models
 * the SDKs are generated from by scripts/aws-models.ts), as the AWS front end does it: the body is
 * first deserialized into the operation's input shape (a member of the wrong JSON type is a
 * SerializationException; unknown members are dropped), then every constraint of every member is
 * checked (required, enum, length, range, pattern) and all violations are reported in one
 * ValidationException worded as AWS words it. The operation receives only what passed.
 *
 * The walk follows the shapes, never the data: its depth is the model's, whatever the request holds.
 */
import { readFileSync } from "node:fs";
import { RequestError } from "./errors.ts";

export interface Shape {
  readonly type: "structure" | "list" | "map" | "string" | "integer" | "long" | "boolean" | "timestamp";
  readonly required?: readonly string[];
  readonly members?: Readonly<Record<string, string>>;
  readonly member?: string;
  readonly key?: string;
  readonly value?: string;
  readonly min?: number;
  readonly max?: number;
  readonly enum?: readonly string[];
  readonly pattern?: string;
  readonly sensitive?: boolean;
}

export interface ServiceModel {
  readonly targetPrefix: string;
  /** Operation name -> its input shape (null: the operation takes no input). */
  readonly operations: Readonly<Record<string, string | null>>;
  readonly shapes: Readonly<Record<string, Shape>>;
}

export function loadModel(file: "sfn.json" | "events.json"): ServiceModel {
  return JSON.parse(readFileSync(new URL(`./models/${file}`, import.meta.url), "utf8")) as ServiceModel;
}

const REDACTED = "*** Sensitive Data Redacted ***";
const INT_RANGE = { integer: 2 ** 31, long: 2 ** 63 } as const;
const patterns = new Map<string, RegExp>();

/** AWS's patterns are Java regular expressions matched against the whole value. */
function patternOf(source: string): RegExp {
  let re = patterns.get(source);
  if (!re) {
    try {
      re = new RegExp(`^(?:${source})$`, "u");
    } catch {
      // Java allows identity escapes (`\_`) that JavaScript's unicode mode refuses.
      re = new RegExp(`^(?:${source})$`);
    }
    patterns.set(source, re);
  }
  return re;
}

function shown(value: unknown, shape: Shape): string {
  if (shape.sensitive) return `'${REDACTED}'`;
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return `'${text.length > 256 ? `${text.slice(0, 256)}...` : text}'`;
}

/** AWS names members in messages with a lower-case first letter: `targets.1.member.id`. */
const pathPart = (name: string) => `${name.charAt(0).toLowerCase()}${name.slice(1)}`;

function typeOf(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  if (value === null) return "null";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

class Walk {
  readonly violations: string[] = [];
  private readonly model: ServiceModel;
  constructor(model: ServiceModel) {
    this.model = model;
  }

  shape(name: string): Shape {
    const shape = this.model.shapes[name];
    if (!shape) throw new Error(`model ${this.model.targetPrefix} has no shape ${name}`);
    return shape;
  }

  wrongType(path: string, expected: string, value: unknown): never {
    throw new RequestError(
      400,
      "SerializationException",
      `Cannot deserialize '${path}': expected ${expected} but found ${typeOf(value)}`,
    );
  }

  violate(path: string, value: unknown, shape: Shape, constraint: string): void {
    const at = value === null ? "null" : shown(value, shape);
    this.violations.push(`Value ${at} at '${path}' failed to satisfy constraint: ${constraint}`);
  }

  length(path: string, value: unknown, size: number, shape: Shape): void {
    if (shape.min !== undefined && size < shape.min)
      this.violate(path, value, shape, `Member must have length greater than or equal to ${shape.min}`);
    if (shape.max !== undefined && size > shape.max)
      this.violate(path, value, shape, `Member must have length less than or equal to ${shape.max}`);
  }

  /** Deserializes `value` as `shape` (null is of no shape's type), recording constraint violations. */
  value(path: string, value: unknown, shapeName: string): unknown {
    const shape = this.shape(shapeName);
    switch (shape.type) {
      case "structure":
        if (value === null || typeof value !== "object" || Array.isArray(value))
          this.wrongType(path, "an object", value);
        return this.structure(path, value as Record<string, unknown>, shape);
      case "list": {
        if (!Array.isArray(value)) this.wrongType(path, "a list", value);
        this.length(path, value, value.length, shape);
        const out: unknown[] = [];
        value.forEach((item, index) => {
          const at = `${path}.${index + 1}.member`;
          // A list holds values of its member shape; null is none of them.
          out.push(this.value(at, item, shape.member as string));
        });
        return out;
      }
      case "map": {
        if (value === null || typeof value !== "object" || Array.isArray(value))
          this.wrongType(path, "an object", value);
        const entries = Object.entries(value as Record<string, unknown>);
        this.length(path, value, entries.length, shape);
        const out: Record<string, unknown> = {};
        for (const [key, item] of entries) {
          this.value(`${path}.key`, key, shape.key as string);
          // Defined, not assigned: a key named `__proto__` stays a key.
          Object.defineProperty(out, key, {
            value: this.value(`${path}.value`, item, shape.value as string),
            enumerable: true,
            writable: true,
            configurable: true,
          });
        }
        return out;
      }
      case "string":
        if (typeof value !== "string") this.wrongType(path, "a string", value);
        this.length(path, value, value.length, shape);
        if (shape.enum && !shape.enum.includes(value))
          this.violate(path, value, shape, `Member must satisfy enum value set: [${shape.enum.join(", ")}]`);
        if (shape.pattern && !patternOf(shape.pattern).test(value))
          this.violate(
            path,
            value,
            shape,
            `Member must satisfy regular expression pattern: ${shape.pattern}`,
          );
        return value;
      case "integer":
      case "long":
        if (
          typeof value !== "number" ||
          !Number.isInteger(value) ||
          Math.abs(value) > INT_RANGE[shape.type]
        ) {
          this.wrongType(path, `an ${shape.type}`, value);
        }
        if (shape.min !== undefined && value < shape.min)
          this.violate(path, value, shape, `Member must have value greater than or equal to ${shape.min}`);
        if (shape.max !== undefined && value > shape.max)
          this.violate(path, value, shape, `Member must have value less than or equal to ${shape.max}`);
        return value;
      case "boolean":
        if (typeof value !== "boolean") this.wrongType(path, "a boolean", value);
        return value;
      case "timestamp":
        // The JSON protocols send timestamps as epoch seconds.
        if (typeof value !== "number" || !Number.isFinite(value))
          this.wrongType(path, "a timestamp (epoch seconds)", value);
        return value;
      default:
        throw new Error(`model ${this.model.targetPrefix}: shape ${shapeName} has unknown type`);
    }
  }

  structure(path: string, input: Record<string, unknown>, shape: Shape): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const members = shape.members ?? {};
    for (const name of shape.required ?? []) {
      if (!Object.hasOwn(input, name) || input[name] === null || input[name] === undefined) {
        this.violations.push(
          `Value null at '${path ? `${path}.` : ""}${pathPart(name)}' failed to satisfy constraint: Member must not be null`,
        );
      }
    }
    for (const name of Object.keys(members)) {
      if (!Object.hasOwn(input, name)) continue;
      const item = input[name];
      if (item === null || item === undefined) continue;
      out[name] = this.value(
        path ? `${path}.${pathPart(name)}` : pathPart(name),
        item,
        members[name] as string,
      );
    }
    return out;
  }
}

/**
 * Checks an operation's request body against its input shape and returns the body as the service
 * deserializes it (only modelled members). Throws `SerializationException` or `ValidationException`.
 */
export function validateRequest(
  model: ServiceModel,
  operation: string,
  input: Record<string, unknown>,
): Record<string, unknown> {
  if (!Object.hasOwn(model.operations, operation)) {
    throw new Error(`model ${model.targetPrefix} has no operation ${operation}`);
  }
  const shapeName = model.operations[operation];
  if (!shapeName) return {};
  const walk = new Walk(model);
  const out = walk.structure("", input, walk.shape(shapeName));
  const count = walk.violations.length;
  if (count > 0) {
    throw new RequestError(
      400,
      "ValidationException",
      `${count} validation error${count > 1 ? "s" : ""} detected: ${walk.violations.join("; ")}`,
    );
  }
  return out;
}
