/** Reading inputs and printing results, the same way for every command. */
import { existsSync, readFileSync } from "node:fs";
import { UsageError } from "./target.ts";

/** `--input` takes inline JSON (`{"name":"Acme"}`) or a path to a JSON file. */
export function readJsonArgument(value: string, what: string): unknown {
  const text =
    value.trimStart().startsWith("{") || value.trimStart().startsWith("[")
      ? value
      : readFileOrFail(value, what);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${what} is not valid JSON: ${(error as Error).message}`);
  }
}

function readFileOrFail(path: string, what: string): string {
  if (!existsSync(path)) throw new UsageError(`${what}: no such file ${path} (pass a file or inline JSON)`);
  return readFileSync(path, "utf8");
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A plain table: columns padded to their widest cell. */
export function printTable(rows: readonly (readonly string[])[]): void {
  for (const line of tableLines(rows)) process.stdout.write(`${line}\n`);
}

/** The lines of a plain table, for output that holds more than one. */
export function tableLines(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows.map((row) =>
    row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join("  "),
  );
}

export function formatDate(date: Date | undefined): string {
  return date ? date.toISOString().replace(".000Z", "Z") : "-";
}
