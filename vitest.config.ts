import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Bundles the programs the tests start as child processes, once per run (see the file).
    globalSetup: ["spec/helpers/build-programs.ts"],
    // Two test files at a time: most of their time is spent waiting on child processes, sockets and timers, so
    // two overlap well on two cores (vitest's default here would be one, cores minus one).
    maxWorkers: 2,
    // A worker runs its test files one after the other in one module graph instead of a fresh one per file: the
    // files do not depend on each other's module state, and this saves about a sixth of the run's CPU.
    isolate: false,
    // Transformed modules are kept on disk (node_modules/.experimental-vitest-cache, keyed by their content and
    // the config) and reused by the next run: a warm run skips the transform, about 2.4 of its CPU-seconds.
    experimental: { fsModuleCache: true },
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // The JSON report lets .ci/run print a plain "N passed, N failed" closing line.
    reporters: ["default", "json"],
    outputFile: { json: ".vitest-results.json" },
    projects: [
      { extends: true, test: { name: "node:net", include: ["spec/**/*.spec.ts"] } },
      {
        // The socket and selector contract tests, and the CPython ports (test_selectors for the four selector classes,
        // test_select, test_poll, test_epoll, test_socket's classes), again on the in-memory network
        // (spec/helpers/wire.ts).
        extends: true,
        test: {
          name: "memory wire",
          include: [
            "spec/socket.spec.ts",
            "spec/datagram.spec.ts",
            "spec/selectors.spec.ts",
            "spec/timeouts.spec.ts",
            "spec/conformance/test_*.spec.ts",
            "spec/conformance/socket-*.spec.ts",
          ],
          setupFiles: ["spec/helpers/memory-wire-setup.ts"],
          env: { SELECTORS_TS_WIRE: "memory" },
        },
      },
    ],
  },
});
