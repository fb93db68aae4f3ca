/**
 * What a target receives: the whole event, a constant `Input`, the part at `InputPath`, or the
 * result of an `InputTransformer`, with EventBridge's quoting rules:
 * - a placeholder inside a JSON string (`"id": "<id>"`) gets the value's text: strings unescaped,
 *   objects and arrays as JSON with their internal quotes removed;
 * - a placeholder outside quotes gets the value's JSON text, except strings, which go in raw (so a
 *   string must be quoted in the template, as AWS's documentation says);
 * - a path that resolves to nothing gives an empty string inside quotes and `null` outside.
 */

export class InputTransformError extends Error {
  override name = "ValidationException";
}

export interface InputTransformer {
  readonly InputPathsMap?: Readonly<Record<string, string>>;
  readonly InputTemplate: string;
}

export interface TargetInputConfig {
  readonly Input?: string;
  readonly InputPath?: string;
  readonly InputTransformer?: InputTransformer;
}

export interface TransformContext {
  readonly ruleName: string;
  readonly ruleArn: string;
  readonly ingestionTime: string;
}

type Segment = { kind: "key"; key: string } | { kind: "index"; index: number } | { kind: "wildcard" };

const cache = new Map<string, Segment[]>();

/** Parses EventBridge's JSONPath subset: `$`, `.name`, `['name']`, `[0]`, `.*`, `[*]`. */
export function parseJsonPath(path: string): Segment[] {
  const cached = cache.get(path);
  if (cached) return cached;
  if (!path.startsWith("$"))
    throw new InputTransformError(`Invalid JSON path "${path}": it must start with $`);
  const segments: Segment[] = [];
  let i = 1;
  while (i < path.length) {
    const c = path[i];
    if (c === ".") {
      const match = /^[^.[\]]+/.exec(path.slice(i + 1));
      if (!match) throw new InputTransformError(`Invalid JSON path "${path}" at ${i}`);
      segments.push(match[0] === "*" ? { kind: "wildcard" } : { kind: "key", key: match[0] });
      i += 1 + match[0].length;
    } else if (c === "[") {
      const rest = path.slice(i);
      const quoted = /^\[\s*'([^']*)'\s*\]|^\[\s*"([^"]*)"\s*\]/.exec(rest);
      const index = /^\[\s*(\d+)\s*\]/.exec(rest);
      const star = /^\[\s*\*\s*\]/.exec(rest);
      if (quoted) {
        segments.push({ kind: "key", key: quoted[1] ?? quoted[2] ?? "" });
        i += quoted[0].length;
      } else if (index) {
        segments.push({ kind: "index", index: Number(index[1]) });
        i += index[0].length;
      } else if (star) {
        segments.push({ kind: "wildcard" });
        i += star[0].length;
      } else throw new InputTransformError(`Invalid JSON path "${path}" at ${i}`);
    } else throw new InputTransformError(`Invalid JSON path "${path}" at ${i}`);
  }
  cache.set(path, segments);
  return segments;
}

/** Resolves a path; `undefined` when nothing is there. A wildcard gives the list of what it found. */
export function resolveJsonPath(value: unknown, path: string): unknown {
  const segments = parseJsonPath(path);
  let current: unknown[] = [value];
  let many = false;
  for (const segment of segments) {
    const next: unknown[] = [];
    for (const item of current) {
      if (segment.kind === "key") {
        if (typeof item === "object" && item !== null && !Array.isArray(item) && segment.key in item) {
          next.push((item as Record<string, unknown>)[segment.key]);
        }
      } else if (segment.kind === "index") {
        if (Array.isArray(item) && segment.index < item.length) next.push(item[segment.index]);
      } else {
        many = true;
        if (Array.isArray(item)) next.push(...item);
        else if (typeof item === "object" && item !== null) next.push(...Object.values(item));
      }
    }
    current = next;
  }
  return many ? current : current[0];
}

const RESERVED = new Set([
  "aws.events.rule-arn",
  "aws.events.rule-name",
  "aws.events.event.ingestion-time",
  "aws.events.event",
  "aws.events.event.json",
]);

/** PutTargets' checks of a target's input settings. */
export function validateTargetInput(config: TargetInputConfig): void {
  const set = [config.Input, config.InputPath, config.InputTransformer].filter((v) => v !== undefined);
  if (set.length > 1) {
    throw new InputTransformError("Only one of Input, InputPath, or InputTransformer must be provided");
  }
  if (config.Input !== undefined) {
    try {
      JSON.parse(config.Input);
    } catch {
      throw new InputTransformError("Input is not valid JSON text");
    }
  }
  if (config.InputPath !== undefined) parseJsonPath(config.InputPath);
  const transformer = config.InputTransformer;
  if (transformer) {
    if (typeof transformer.InputTemplate !== "string" || transformer.InputTemplate === "") {
      throw new InputTransformError("InputTransformer.InputTemplate is required");
    }
    const map = transformer.InputPathsMap ?? {};
    const names = Object.keys(map);
    if (names.length > 100) throw new InputTransformError("InputPathsMap can hold at most 100 variables");
    for (const name of names) {
      if (RESERVED.has(name)) throw new InputTransformError(`InputPathsMap variable ${name} is reserved`);
      parseJsonPath(map[name] as string);
    }
  }
}

/** The text a target receives for an event. */
export function targetInput(
  event: Record<string, unknown>,
  config: TargetInputConfig,
  context: TransformContext,
): string {
  if (config.Input !== undefined) return config.Input;
  if (config.InputPath !== undefined) {
    const value = resolveJsonPath(event, config.InputPath);
    return value === undefined ? "null" : JSON.stringify(value);
  }
  if (config.InputTransformer) return transformInput(event, config.InputTransformer, context);
  return JSON.stringify(event);
}

export function transformInput(
  event: Record<string, unknown>,
  transformer: InputTransformer,
  context: TransformContext,
): string {
  const variables = new Map<string, unknown>();
  for (const [name, path] of Object.entries(transformer.InputPathsMap ?? {})) {
    variables.set(name, resolveJsonPath(event, path));
  }
  const { detail: _detail, ...withoutDetail } = event;
  const predefined: Record<string, unknown> = {
    "aws.events.rule-arn": context.ruleArn,
    "aws.events.rule-name": context.ruleName,
    "aws.events.event.ingestion-time": context.ingestionTime,
    "aws.events.event": withoutDetail,
    "aws.events.event.json": event,
  };
  const template = transformer.InputTemplate;
  let out = "";
  let inString = false;
  for (let i = 0; i < template.length; i++) {
    const c = template[i] as string;
    if (c === "\\" && inString) {
      out += c + (template[i + 1] ?? "");
      i++;
      continue;
    }
    if (c === '"') {
      inString = !inString;
      out += c;
      continue;
    }
    if (c === "<") {
      const end = template.indexOf(">", i + 1);
      const name = end > i ? template.slice(i + 1, end) : "";
      const known = variables.has(name) || name in predefined;
      if (end > i && known) {
        const value = variables.has(name) ? variables.get(name) : predefined[name];
        out += render(value, inString);
        i = end;
        continue;
      }
    }
    out += c;
  }
  return out;
}

function render(value: unknown, inString: boolean): string {
  if (value === undefined) return inString ? "" : "null";
  if (typeof value === "string") return value;
  const json = JSON.stringify(value);
  return inString ? json.replaceAll('"', "") : json;
}
