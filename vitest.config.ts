import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["test/support/setup.ts"],
    // Records which catalog IAM statements the suite's calls used; a run of every file writes test/artifacts/iam-unused.json.
    globalSetup: ["test/support/iam-usage.ts"],
    environment: "node",
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 60_000,
    restoreMocks: true,
    unstubEnvs: true,
    coverage: {
      provider: "v8",
      include: ["functions/**", "workflows/**", "events/**", "deploy/**", "local/**"],
      reporter: ["text-summary", "json-summary"],
    },
  },
});
