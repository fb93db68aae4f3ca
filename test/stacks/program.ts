/**
 * Renders the SST program (`sst.config.ts` → `stacks/`) for a stage as `sst deploy` would run it, with
 * Pulumi's runtime mocks in place of the engine: the eval bundle is built as the `sst` binary builds it
 * (SST 4.17, pkg/project/run.go and pkg/js/js.go: esbuild, ESM, `$app`/`$cli`/`$dev` defined, the
 * shim injected, and every source file outside `.sst` prefixed with `import * as aws` and
 * `import * as sst`), then run in its own process by program-runner.ts.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { build } from "esbuild";
import { ensureSstPlatform, platformDir, root } from "../../scripts/sst-platform.ts";
import type { RenderedProgram } from "./program-runner.ts";

const exec = promisify(execFile);

/** What sst.config.ts's `app()` returns for a stage, as the `sst` binary reads it. */
async function appFor(stage: string): Promise<Record<string, unknown>> {
  (globalThis as { $config?: unknown }).$config = (input: unknown) => input;
  const config = (await import(join(root, "sst.config.ts"))) as {
    default: { app(input: { stage: string }): Record<string, unknown> };
  };
  return { ...config.default.app({ stage }), stage, providers: { aws: { version: "7.20.0" } } };
}

async function buildProgram(stage: string, work: string): Promise<string> {
  const app = await appFor(stage);
  const cli = {
    command: "deploy",
    dev: false,
    paths: { home: join(work, "home"), root, work, platform: platformDir },
    state: { version: {} },
  };
  const providers = JSON.parse(readFileSync(join(root, ".sst", "provider-lock.json"), "utf8")) as {
    package: string;
    alias: string;
  }[];
  const globals = [
    ...providers.map((p) => `import * as ${p.alias} from "${p.package}";`),
    `import * as sst from "${join(platformDir, "src/components")}";`,
  ].join("\n");
  const outfile = join(platformDir, `sst.config.test-${stage}-${process.pid}.mjs`);
  const result = await build({
    banner: {
      js: [
        `import { createRequire as topLevelCreateRequire } from 'module';`,
        "const require = topLevelCreateRequire(import.meta.url);",
        `import { fileURLToPath as topLevelFileUrlToPath, URL as topLevelURL } from "url"`,
        "const __filename = topLevelFileUrlToPath(import.meta.url)",
        `const __dirname = topLevelFileUrlToPath(new topLevelURL(".", import.meta.url))`,
      ].join("\n"),
    },
    mainFields: ["module", "main"],
    format: "esm",
    platform: "node",
    stdin: {
      contents: [
        `import { run } from "${join(platformDir, "src/auto/run.ts")}";`,
        `import mod from "${join(root, "sst.config.ts")}";`,
        "const result = await run(mod.run);",
        "export default result;",
      ].join("\n"),
      resolveDir: root,
      sourcefile: "eval.ts",
      loader: "ts",
    },
    nodePaths: [join(platformDir, "node_modules")],
    plugins: [
      {
        name: "InjectGlobals",
        setup(plugin) {
          plugin.onLoad({ filter: /\.(js|ts|jsx|tsx)$/ }, (args) => {
            // As SST: files of its platform (any path through `.sst`) are loaded as they are.
            if (args.path.includes(".sst")) return undefined;
            return { contents: `${globals}\n${readFileSync(args.path, "utf8")}`, loader: "default" as const };
          });
        },
      },
    ],
    external: [
      "@pulumi/*",
      "undici",
      "@pulumiverse/*",
      "@sst-provider/*",
      "@aws-sdk/*",
      "esbuild",
      "archiver",
      "glob",
      "vite",
    ],
    define: { $app: JSON.stringify(app), $cli: JSON.stringify(cli), $dev: "false" },
    inject: [join(platformDir, "src/shim/run.js")],
    outfile,
    write: true,
    bundle: true,
    logLevel: "silent",
  });
  if (result.errors.length > 0) throw new Error(result.errors.map((e) => e.text).join("\n"));
  return outfile;
}

/** Renders each stage (one process each, in turn: they share the function bundles). */
export async function renderStages(stages: readonly string[]): Promise<Record<string, RenderedProgram>> {
  ensureSstPlatform();
  const work = mkdtempSync(join(tmpdir(), "cplane-sst-program-"));
  const rendered: Record<string, RenderedProgram> = {};
  try {
    for (const stage of stages) {
      const stageWork = join(work, stage);
      const bundle = await buildProgram(stage, stageWork);
      const out = join(work, `${stage}.json`);
      try {
        await exec(
          process.execPath,
          [join(root, "test/stacks/program-runner.ts"), bundle, out, join(work, "bundles")],
          {
            cwd: root,
            env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" },
            maxBuffer: 64 << 20,
          },
        );
      } finally {
        rmSync(bundle, { force: true });
        rmSync(`${bundle}.map`, { force: true });
      }
      rendered[stage] = JSON.parse(readFileSync(out, "utf8")) as RenderedProgram;
    }
    return rendered;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
