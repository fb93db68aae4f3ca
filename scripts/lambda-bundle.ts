/**
 * Builds a function's bundle as `sst deploy` builds it (SST 4.17's Go runtime, pkg/runtime/node/build.go):
 * esbuild, ESM, platform node, the runtime's target, `module` before `main`, keepNames, a linked
 * sourcemap (left out of the zip), the createRequire banner, and minify only when the function's
 * `nodejs.minify` says so. The stacks test answers SST's `Runtime.Build` RPC with it, and the bundle
 * bench measures what it writes. esbuild is pinned to the version the `sst` 4.17 binary embeds (0.27.2).
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join, parse, resolve } from "node:path";
import { build } from "esbuild";
import { root } from "./sst-platform.ts";

/** The part of SST's `Runtime.Build` input a Node function's build reads. */
export interface BuildInput {
  readonly functionID: string;
  /** `functions/tenant/register.handler`: the module path without extension, then the export. */
  readonly handler: string;
  readonly runtime: string;
  readonly properties?: {
    readonly minify?: boolean;
    readonly format?: "esm" | "cjs";
    readonly esbuild?: { readonly external?: readonly string[]; readonly minify?: boolean };
    readonly install?: Readonly<Record<string, string>>;
  };
}

export interface BuildOutput {
  /** `bundle.handler`, as SST answers. */
  readonly handler: string;
  readonly out: string;
  readonly errors: string[];
  readonly sourcemaps: string[];
  /** Bytes of the bundle, and the project or package each input came from (esbuild's metafile). */
  readonly bytes: number;
  readonly inputs: Readonly<Record<string, number>>;
}

const TARGETS: Readonly<Record<string, string>> = {
  "nodejs24.x": "es2024",
  "nodejs22.x": "es2023",
  "nodejs20.x": "es2023",
};
/** SST's forceExternal. */
const FORCE_EXTERNAL = ["sharp", "pg-native"];
const BANNER = [
  `import { createRequire as topLevelCreateRequire } from 'module';`,
  "const require = topLevelCreateRequire(import.meta.url);",
  `import { fileURLToPath as topLevelFileUrlToPath, URL as topLevelURL } from "url"`,
  "const __filename = topLevelFileUrlToPath(import.meta.url)",
  `const __dirname = topLevelFileUrlToPath(new topLevelURL(".", import.meta.url))`,
  "",
].join("\n");

/** The handler's source file, as SST finds it: the handler path without its export, with a known extension. */
function handlerFile(handler: string): string {
  const { dir, name } = parse(handler);
  for (const ext of [".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs"]) {
    const file = resolve(root, dir, `${name}${ext}`);
    if (existsSync(file)) return file;
  }
  throw new Error(`Handler not found: ${handler}`);
}

export async function buildFunction(input: BuildInput, outDir: string): Promise<BuildOutput> {
  const properties = input.properties ?? {};
  const target = TARGETS[input.runtime];
  if (!target) throw new Error(`no esbuild target for runtime ${input.runtime}`);
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, "bundle.mjs");
  const minify = properties.minify === true;
  const result = await build({
    entryPoints: [handlerFile(input.handler)],
    platform: "node",
    external: [
      ...FORCE_EXTERNAL,
      ...Object.keys(properties.install ?? {}),
      ...(properties.esbuild?.external ?? []),
    ],
    keepNames: true,
    bundle: true,
    metafile: true,
    outfile,
    sourcemap: "linked",
    write: true,
    format: "esm",
    target,
    mainFields: ["module", "main"],
    banner: { js: BANNER },
    minifyWhitespace: minify,
    minifySyntax: minify,
    minifyIdentifiers: minify,
    logLevel: "silent",
  });
  const output = Object.entries(result.metafile.outputs).find(([file]) => file.endsWith("bundle.mjs"));
  const inputs: Record<string, number> = {};
  for (const [file, { bytesInOutput }] of Object.entries(output?.[1].inputs ?? {}))
    inputs[file] = bytesInOutput;
  return {
    handler: `bundle${parse(input.handler).ext}`,
    out: outDir,
    errors: result.errors.map((e) => e.text),
    sourcemaps: [`${outfile}.map`],
    bytes: readFileSync(outfile).byteLength,
    inputs,
  };
}
