/**
 * Change tokens per service, so that a checkpoint serializes again only the services whose state may
 * have changed since it last did (`SavedText` keeps the text of the last capture with its token).
 *
 * A token is trustworthy only if every path that mutates a service's state goes through here. The cloud
 * wraps each such path (an API call through `send`, a job by its kind, a fault) in `during`, naming the
 * services that path can reach: while it runs (an async operation spans ticks), the services it names
 * have no token at all, so that a capture in the middle serializes them afresh; when it ends they are
 * marked once more, so that what it changed after that capture is in the next one.
 */
import type { Json } from "./context.ts";

export class ChangeTokens {
  private seq = 0;
  private readonly last = new Map<string, number>();
  private readonly busy = new Map<string, number>();
  /** No token is below this: `markAll` raises it for every service, named before or not. */
  private floor = 0;

  /** The services changed now. */
  mark(names: readonly string[]): void {
    const seq = ++this.seq;
    for (const name of names) this.last.set(name, seq);
  }

  /** Every service changed now (a load, or a path the cloud cannot attribute). */
  markAll(): void {
    this.floor = ++this.seq;
  }

  /**
   * Runs `work`, during which the named services have no token, and marks them when it ends (or
   * when the promise it returns settles).
   */
  during<T>(names: readonly string[], work: () => T): T {
    for (const name of names) this.busy.set(name, (this.busy.get(name) ?? 0) + 1);
    let result: T;
    try {
      result = work();
    } catch (error) {
      this.release(names);
      throw error;
    }
    if (result instanceof Promise) {
      void result.then(
        () => this.release(names),
        () => this.release(names),
      );
    } else {
      this.release(names);
    }
    return result;
  }

  /** The service's token now; undefined while a path that may change it runs. */
  token(name: string): number | undefined {
    if ((this.busy.get(name) ?? 0) > 0) return undefined;
    return Math.max(this.last.get(name) ?? 0, this.floor);
  }

  private release(names: readonly string[]): void {
    for (const name of names) {
      const count = (this.busy.get(name) ?? 1) - 1;
      if (count > 0) this.busy.set(name, count);
      else this.busy.delete(name);
    }
    this.mark(names);
  }
}

/**
 * JSON text embedded as it is in the saved document (`cloud.json`); see `objectText`. Held as the
 * pieces it was made of, written one after another: at fleet scale the document is tens of megabytes,
 * and joining it into one string at every checkpoint copied all of it (the largest cost of an idle
 * runtime's checkpoint at 200 tenants). A piece may be UTF-8 bytes already (`encoded`): text that is
 * written again and again unchanged is then encoded once, not at every checkpoint.
 */
export class JsonText {
  readonly parts: readonly (string | Uint8Array)[];
  constructor(text: string | readonly (string | Uint8Array)[]) {
    this.parts = typeof text === "string" ? [text] : text;
  }

  /** The whole text, joined (for reading it back; writing takes `parts`). */
  get text(): string {
    return this.parts
      .map((part) => (typeof part === "string" ? part : Buffer.from(part).toString("utf8")))
      .join("");
  }

  /** The same text with every piece as UTF-8 bytes. */
  encoded(): JsonText {
    return new JsonText(
      this.parts.map((part) => (typeof part === "string" ? Buffer.from(part, "utf8") : part)),
    );
  }
}

/**
 * Serializes `value` once, to JSON text, tagging Dates as `{ $date }` and bytes as `{ $bytes }` (what
 * `fromJson` and `decodeBytes` read back) and dropping functions and undefined, as `toJson` does.
 */
export function toJsonText(value: unknown): JsonText {
  const text = JSON.stringify(value, function (this: Record<string, unknown>, key: string, v: unknown) {
    const original = this[key];
    if (original instanceof Date) return { $date: original.toISOString() };
    if (original instanceof Uint8Array) return { $bytes: Buffer.from(original).toString("base64") };
    return v;
  });
  return new JsonText(text ?? "null");
}

/** JSON text of a value that holds no Dates and no bytes (as parsed from JSON). */
export function plainJsonText(value: unknown): JsonText {
  return new JsonText(JSON.stringify(value) ?? "null");
}

/** The text of the last capture of one part of a state, and the token it was taken at. */
export class SavedText {
  private token: number | undefined;
  private saved: JsonText | undefined;

  /**
   * The text of `value()`, serialized again only if `token` differs from the last one (or is undefined),
   * and kept encoded: the checkpoints that reuse it write its bytes as they are.
   * `serialize` is `toJsonText` unless the value is plain JSON already (no Dates, no bytes), for which
   * `plainJsonText` gives the same text without a replacer's call per value (about half the time).
   */
  take(token: number | undefined, value: () => unknown, serialize = toJsonText): JsonText {
    if (token !== undefined && this.saved && token === this.token) return this.saved;
    const saved = serialize(value()).encoded();
    this.saved = saved;
    this.token = token;
    return saved;
  }
}

/** What a service's `save` may return: a value to serialize, or text already serialized. */
export type SavedState = Json | JsonText;

/**
 * JSON text of an object whose members are text already serialized (`JsonText`, written as it is) or
 * values (serialized here). `JSON.rawJSON` (Node 24) embeds text in `JSON.stringify` for primitives
 * only: it refuses objects and arrays, which is what a service's state is.
 */
export function objectText(members: Readonly<Record<string, SavedState | undefined>>): JsonText {
  const parts: (string | Uint8Array)[] = ["{"];
  for (const [key, member] of Object.entries(members)) {
    if (member === undefined) continue;
    parts.push(`${parts.length > 1 ? "," : ""}${JSON.stringify(key)}:`);
    if (member instanceof JsonText) for (const part of member.parts) parts.push(part);
    else parts.push(JSON.stringify(member));
  }
  parts.push("}");
  return new JsonText(parts);
}
