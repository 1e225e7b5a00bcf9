import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["spec/**/*.spec.ts"],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // The JSON report lets .ci/run print a plain "N passed, N failed" closing line.
    reporters: ["default", "json"],
    outputFile: { json: ".vitest-results.json" },
  },
});
