import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseDuration } from "../../../local/cli/commands/local.ts";
import { HELP, OPTIONS } from "../../../local/cli/main.ts";
import { refuseNpmTakenOptions } from "../../../local/start.ts";

const README = readFileSync(join(import.meta.dirname, "../../../README.md"), "utf8");

/** The first cell of every README table row, unescaped: `cplane run <workflow> ...`. */
function readmeCommands(): string[] {
  return README.split("\n")
    .filter((line) => line.startsWith("| `cplane "))
    .map((line) => (/^\| `(.*?)` \|/.exec(line)?.[1] ?? "").replaceAll("\\|", "|"));
}

describe("cplane --help and the README", () => {
  it("list the same commands with the same options", () => {
    const help = HELP.split("\n")
      .filter((line) => line.startsWith("  cplane "))
      .map((line) => line.trim());
    expect(help.length).toBeGreaterThan(10);
    expect(readmeCommands()).toEqual(help);
  });

  it("mention every option the command line accepts", () => {
    for (const name of Object.keys(OPTIONS)) {
      expect(HELP, `--${name} in --help`).toContain(`--${name}`);
      expect(README, `--${name} in the README`).toContain(`--${name}`);
    }
  });

  it("name every way to point the CLI at a runtime", () => {
    for (const way of ["--endpoint", "CPLANE_ENDPOINT", "CPLANE_PORT"]) {
      expect(HELP).toContain(way);
      expect(README).toContain(way);
    }
  });
});

describe("durations", () => {
  it("reads single units, combined units from the largest down, and plain milliseconds", () => {
    expect(parseDuration("90s")).toBe(90_000);
    expect(parseDuration("1h30m")).toBe(5_400_000);
    expect(parseDuration("1d12h")).toBe(129_600_000);
    expect(parseDuration("2m500ms")).toBe(120_500);
    expect(parseDuration("1.5h")).toBe(5_400_000);
    expect(parseDuration("250")).toBe(250);
  });

  it.each(["", "1h1h", "30m1h", "1h 30m", "ten minutes", "1x", "h"])("refuses %j", (text) => {
    expect(() => parseDuration(text)).toThrowError(expect.objectContaining({ name: "UsageError" }));
  });
});

describe("npm start with options before --", () => {
  it("refuses the options npm took for itself, naming them and the way to pass them", () => {
    const env = { npm_lifecycle_event: "start", npm_config_port: "true", npm_config_data_dir: "x" };
    expect(() => refuseNpmTakenOptions(env)).toThrowError(/--port, --data-dir.*npm start -- --port/);
  });

  it("lets a start through when npm took nothing, or when npm did not run it", () => {
    expect(() => refuseNpmTakenOptions({ npm_lifecycle_event: "start" })).not.toThrow();
    expect(() => refuseNpmTakenOptions({ npm_config_port: "4700" })).not.toThrow();
  });
});
