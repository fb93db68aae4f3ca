/**
 * A clean clone stays clean and quiet: `npm install` has nothing to add to the lock file, and `npx
 * cplane` under the machine's own (older) Node prints no npm warning.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "../../..");
const run = promisify(execFile);

interface LockedPackage {
  readonly version?: string;
  readonly dependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
}

const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as {
  packages: Record<string, LockedPackage>;
};

/** Where Node (and npm) would find `name` from the package at `path`: its own node_modules, then its parents'. */
function resolveLocked(path: string, name: string): string | undefined {
  let at = path;
  for (;;) {
    const candidate = at === "" ? `node_modules/${name}` : `${at}/node_modules/${name}`;
    if (lock.packages[candidate]) return candidate;
    if (at === "") return undefined;
    const cut = at.lastIndexOf("/node_modules/");
    at = cut === -1 ? "" : at.slice(0, cut);
  }
}

describe("package-lock.json", () => {
  it("locks every dependency of every locked package, optional platform packages included", () => {
    // npm records the optional packages of every platform; a lock without them is rewritten by the
    // next `npm install`, on any machine.
    const missing: string[] = [];
    for (const [path, pkg] of Object.entries(lock.packages)) {
      for (const name of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) {
        if (!resolveLocked(path, name)) missing.push(`${path || "(root)"} -> ${name}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it("approves the install scripts of every locked package that has one (npm 11 lists the others after each install, npm 12 skips them)", () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
      allowScripts?: Record<string, boolean>;
    };
    const withScripts = Object.entries(lock.packages)
      .filter(([, pkg]) => (pkg as { hasInstallScript?: boolean }).hasInstallScript)
      .map(([path]) => path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length));
    expect(withScripts.length).toBeGreaterThan(0);
    for (const name of withScripts) expect(manifest.allowScripts?.[name], name).toBe(true);
  });

  it("keeps the bench's comparators out of what npm install fetches", () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    for (const comparator of [
      "aws-local-stepfunctions",
      "serverless-offline-aws-eventbridge",
      "serverless",
    ]) {
      expect(lock.packages[`node_modules/${comparator}`], comparator).toBeUndefined();
    }
    // The runtime loads asl-validator at every CreateStateMachine: it is a dependency, not a dev one.
    expect(manifest.dependencies["asl-validator"]).toBeDefined();
    expect(manifest.devDependencies["asl-validator"]).toBeUndefined();
  });
});

describe("npx cplane under the machine's Node", () => {
  it("prints no npm warning (the project's own Node 24 runs it)", async () => {
    // npm as a user's shell runs it: the machine's Node first on PATH, not the project's.
    const bin = join(ROOT, "node_modules", ".bin");
    const PATH = (process.env.PATH ?? "")
      .split(delimiter)
      .filter((dir) => dir !== bin && !dir.endsWith(join("node_modules", ".bin")))
      .join(delimiter);
    // npx links the project into its cache on first use (and checks its engines then): a new cache
    // makes every run of this test a first use.
    const cache = mkdtempSync(join(tmpdir(), "cplane-npx-"));
    try {
      const { stdout, stderr } = await run("npx", ["cplane", "--help"], {
        cwd: ROOT,
        env: { ...process.env, PATH, npm_config_cache: cache, npm_config_offline: "true" },
      });
      expect(stdout).toMatch(/^cplane — the control plane's CLI/);
      expect(stderr).not.toMatch(/npm warn/i);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });
});
