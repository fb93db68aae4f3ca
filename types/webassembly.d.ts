/**
 * The global `WebAssembly` namespace, as far as the code names it. TypeScript declares it in lib.dom,
 * which this Node-only setup (lib ES2024 and @types/node) leaves out; esbuild's types used to bring it
 * in by accident, through a bench comparator's types that are no longer installed.
 */
declare namespace WebAssembly {
  /** A compiled module (`WebAssembly.compile`), handed to PGlite as is. */
  interface Module {
    readonly __compiledWasmModule?: never;
  }
}
