/**
 * What a target receives: the whole event, a constant `Input`, the part at `InputPath`, or the
 * result of an `InputTransformer`, as EventBridge builds it. local/bus/README.md states each rule
 * with its AWS source (documentation, or the AWS-recorded cases in ../shared/conformance).
 *
 * An input template is filled in as text, never escaped:
 * - a template that is a JSON object (starts with `{`) is a JSON template. A placeholder outside
 *   quotes gets the value's JSON (a string gets quotes added); inside quotes a string goes in as it
 *   is and any other value as its JSON text. The result must parse as JSON, or nothing is delivered;
 * - any other template is a string template: placeholders inside quotes take strings as they are
 *   and objects and arrays as JSON with their quotes removed; outside quotes strings go in raw and
 *   other values as JSON. Nothing is checked;
 * - a path that matches nothing puts nothing into the text.
 */

/** PutTargets refusing a target's input settings; `name` is AWS's error code. */
export class InputTransformError extends Error {
  override name = "ValidationException";
}

/**
 * A transformed input EventBridge does not deliver (the JSON template's result is not JSON). The
 * bus counts it as a failed invocation and dead-letters it without retrying: it would fail again.
 */
export class UndeliverableInputError extends Error {
  override name = "UndeliverableInputError";
  /** The ERROR_CODE a dead-letter queue message carries for it. */
  readonly errorCode = "INVALID_JSON";
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
  /** When EventBridge received the event (ISO 8601). */
  readonly ingestionTime: string;
}

type Segment = { kind: "key"; key: string } | { kind: "index"; index: number } | { kind: "wildcard" };

const pathCache = new Map<string, Segment[]>();

/** Parses EventBridge's JSONPath subset: `$`, `.name`, `['name']`, `[0]`, `.*`, `[*]`. */
export function parseJsonPath(path: string): Segment[] {
  const cached = pathCache.get(path);
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
  pathCache.set(path, segments);
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

/** The variables every template may use without defining them (and nobody may redefine). */
export const PREDEFINED_VARIABLES = [
  "aws.events.rule-arn",
  "aws.events.rule-name",
  "aws.events.event.ingestion-time",
  "aws.events.event",
  "aws.events.event.json",
] as const;
const PREDEFINED = new Set<string>(PREDEFINED_VARIABLES);

type Part = { kind: "text"; text: string } | { kind: "placeholder"; name: string; quoted: boolean };

interface CompiledTemplate {
  /** A JSON object template (its result must be JSON) rather than a string template. */
  readonly json: boolean;
  readonly parts: readonly Part[];
}

/** A placeholder is `<name>` with a name as InputPathsMap keys and predefined variables spell them. */
const PLACEHOLDER = /^<([A-Za-z0-9_.-]+)>/;
const templateCache = new Map<string, CompiledTemplate>();

/** Splits a template into text and placeholders, noting which placeholders sit inside JSON quotes. */
function compileTemplate(template: string): CompiledTemplate {
  const cached = templateCache.get(template);
  if (cached) return cached;
  const parts: Part[] = [];
  let text = "";
  let inString = false;
  for (let i = 0; i < template.length; i++) {
    const c = template[i] as string;
    if (inString && c === "\\") {
      text += c + (template[i + 1] ?? "");
      i++;
      continue;
    }
    if (c === '"') inString = !inString;
    const placeholder = c === "<" ? PLACEHOLDER.exec(template.slice(i, i + 300)) : null;
    if (placeholder) {
      if (text) parts.push({ kind: "text", text });
      text = "";
      parts.push({ kind: "placeholder", name: placeholder[1] as string, quoted: inString });
      i += placeholder[0].length - 1;
      continue;
    }
    text += c;
  }
  if (text) parts.push({ kind: "text", text });
  const compiled = { json: template.trimStart().startsWith("{"), parts };
  if (templateCache.size > 1000) templateCache.clear();
  templateCache.set(template, compiled);
  return compiled;
}

const INPUT_MAX = 8192;
const PATH_MAX = 256;
const VARIABLE_NAME = /^[A-Za-z0-9_-]{1,256}$/;

/** PutTargets' checks of a target's input settings; every message names the target. */
export function validateTargetInput(target: TargetInputConfig & { readonly Id: string }): void {
  const id = target.Id;
  const fail = (message: string): never => {
    throw new InputTransformError(message);
  };
  const set = [target.Input, target.InputPath, target.InputTransformer].filter((v) => v !== undefined);
  if (set.length > 1)
    fail(`Only one of Input, InputPath, or InputTransformer must be provided for target ${id}.`);
  if (target.Input !== undefined) {
    if (target.Input.length > INPUT_MAX)
      fail(`Input for target ${id} is longer than ${INPUT_MAX} characters.`);
    try {
      JSON.parse(target.Input);
    } catch {
      fail(`Input for target ${id} is not valid JSON text.`);
    }
  }
  if (target.InputPath !== undefined) checkPath(target.InputPath, `InputPath for target ${id}`);
  const transformer = target.InputTransformer;
  if (!transformer) return;
  const template = transformer.InputTemplate;
  if (typeof template !== "string" || template.length === 0 || template.length > INPUT_MAX) {
    fail(`InputTemplate for target ${id} must hold 1 to ${INPUT_MAX} characters.`);
  }
  const map = transformer.InputPathsMap ?? {};
  const names = Object.keys(map);
  if (names.length > 100) fail(`InputPathsMap for target ${id} can hold at most 100 variables.`);
  for (const name of names) {
    if (PREDEFINED.has(name))
      fail(`InputPathsMap for target ${id} redefines the predefined variable ${name}.`);
    if (!VARIABLE_NAME.test(name) || name.startsWith("AWS")) {
      fail(
        `InputPathsMap for target ${id} has an invalid variable name ${name}: it must match [A-Za-z0-9_-]+ and not start with AWS.`,
      );
    }
    checkPath(map[name] as string, `InputPathsMap variable ${name} for target ${id}`);
  }
  const compiled = compileTemplate(template);
  for (const part of compiled.parts) {
    if (part.kind === "placeholder" && !Object.hasOwn(map, part.name) && !PREDEFINED.has(part.name)) {
      fail(`InputTemplate for target ${id} contains invalid placeholder ${part.name}.`);
    }
  }
  // A JSON template must be JSON whatever the values: with every placeholder standing for a value
  // (an unquoted one as `null`, a quoted one as a marker), it has to parse. The API reference
  // forbids placeholders as object keys: unquoted, the skeleton does not parse; quoted, a key holds
  // the marker.
  if (compiled.json) {
    const skeleton = compiled.parts
      .map((p) => (p.kind === "text" ? p.text : p.quoted ? KEY_MARKER : "null"))
      .join("");
    let parsed: unknown;
    try {
      parsed = JSON.parse(skeleton);
    } catch (error) {
      fail(`InputTemplate for target ${id} is not valid JSON: ${(error as Error).message}`);
    }
    if (hasMarkedKey(parsed)) fail(`InputTemplate for target ${id} uses a placeholder as an object key.`);
  }
}

const KEY_MARKER = "\u2063placeholder\u2063";

function hasMarkedKey(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasMarkedKey);
  if (typeof value !== "object" || value === null) return false;
  return Object.entries(value).some(([key, v]) => key.includes(KEY_MARKER) || hasMarkedKey(v));
}

function checkPath(path: unknown, what: string): void {
  if (typeof path !== "string" || path.length === 0 || path.length > PATH_MAX) {
    throw new InputTransformError(`${what} must be a JSON path of 1 to ${PATH_MAX} characters.`);
  }
  try {
    parseJsonPath(path);
  } catch (error) {
    throw new InputTransformError(`${what}: ${(error as Error).message}`);
  }
}

/**
 * The text a target receives for an event. Throws UndeliverableInputError when EventBridge would
 * deliver nothing.
 */
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
  const map = transformer.InputPathsMap ?? {};
  const variable = (name: string): unknown => {
    if (Object.hasOwn(map, name)) return resolveJsonPath(event, map[name] as string);
    switch (name) {
      case "aws.events.rule-arn":
        return context.ruleArn;
      case "aws.events.rule-name":
        return context.ruleName;
      case "aws.events.event.ingestion-time":
        return context.ingestionTime;
      case "aws.events.event": {
        const { detail: _detail, ...withoutDetail } = event;
        return withoutDetail;
      }
      case "aws.events.event.json":
        return event;
      default:
        // PutTargets refuses undefined placeholders; one that got here stays as written.
        return `<${name}>`;
    }
  };
  const compiled = compileTemplate(transformer.InputTemplate);
  let out = "";
  for (const part of compiled.parts) {
    out += part.kind === "text" ? part.text : render(variable(part.name), part.quoted, compiled.json);
  }
  if (!compiled.json) return out;
  try {
    JSON.parse(out);
  } catch (error) {
    throw new UndeliverableInputError(
      `the transformed input is not valid JSON (${(error as Error).message}): ${out.slice(0, 200)}`,
    );
  }
  return minifyJson(out);
}

/** A value as it goes into the template's text. */
function render(value: unknown, quoted: boolean, json: boolean): string {
  if (value === undefined) return "";
  if (typeof value === "string") return quoted || !json ? value : `"${value}"`;
  const text = JSON.stringify(value);
  const structured = typeof value === "object" && value !== null;
  return structured && quoted && !json ? text.replaceAll('"', "") : text;
}

/** Drops the whitespace outside strings of valid JSON text, keeping every value's text as it is. */
function minifyJson(text: string): string {
  let out = "";
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (inString) {
      out += c;
      if (c === "\\") out += text[++i] ?? "";
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c !== " " && c !== "\n" && c !== "\r" && c !== "\t") out += c;
  }
  return out;
}
