/**
 * The external tools some tests need (Chromium, python3, tshark), found where people have them, and what a missing
 * one means.
 *
 * Rules:
 * - A tool is looked for once per process ({@link findTool}), in the places {@link TOOLS} lists: an environment
 *   variable naming it, then its usual names on `PATH`, then the usual application folders (macOS).
 * - A missing tool never breaks `npm test` outside CI: the tests that need it are defined and reported as skipped,
 *   their names ending in {@link skipMarker} (`spec/helpers/needs-tool.ts` does it), and `npm test`'s summary
 *   (`.ci/check.ts`) counts them into one line per tool with the install command ({@link skipLines}).
 * - Under `CI=true` ({@link inCI}) a missing tool fails: its tests run and fail with the same line.
 * - `SELECTORS_TS_HIDE_TOOLS=python3,chromium` hides tools, to try the rule on a machine that has them.
 * - This file imports nothing of vitest: `.ci/check.ts` and `.ci/tools.ts` (which `.ci/run` asks what to install)
 *   use it too.
 *
 * @example
 * ```ts
 * const browser = findTool("chromium"); // "/usr/bin/chromium", or null
 * ```
 * @module
 */
import { spawnSync } from "node:child_process";
import { accessSync, constants, statSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";

/** The tools tests may need. */
export type ToolName = "chromium" | "python3" | "tshark";

/** Where a tool is looked for, and what to tell a person who lacks it. */
export interface Tool {
  /** What its tests are called in the summary line: `skipped 3 browser tests`. */
  readonly tests: string;
  /** How the summary names it: `no Chromium found`. */
  readonly label: string;
  /** Environment variables that may name it, in order. */
  readonly env: readonly string[];
  /** Its names on `PATH`, in order. */
  readonly names: readonly string[];
  /** Absolute paths tried last (the macOS application folders). */
  readonly paths: readonly string[];
  /** The Debian package that provides it (`.ci/run` installs it). */
  readonly debian: string;
  /** How to install it on macOS (Homebrew). */
  readonly brew: string;
  /** Asks a found executable for the path to start it by, or `null` when it does not run. */
  readonly resolve?: (path: string) => string | null;
}

/**
 * python3 as started by its own path (`sys.executable`): on this machine `python3` is a pyenv shim, a shell script
 * that costs more CPU than the interpreter's start (0.08 s against 0.03 s), and a shim whose version is not
 * installed exists on `PATH` but does not run.
 */
function pythonExecutable(path: string): string | null {
  const asked = spawnSync(path, ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" });
  const found = asked.status === 0 ? asked.stdout.trim() : "";
  return found === "" ? null : found;
}

const home = homedir();

/** Every tool a test may need. A new one goes here, and its tests use `spec/helpers/needs-tool.ts`. */
export const TOOLS: Readonly<Record<ToolName, Tool>> = {
  chromium: {
    tests: "browser",
    label: "Chromium",
    env: ["CHROME_PATH", "CHROMIUM_PATH"],
    names: ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"],
    paths: ["/Applications", join(home, "Applications")].flatMap((folder) => [
      join(folder, "Chromium.app/Contents/MacOS/Chromium"),
      join(folder, "Google Chrome.app/Contents/MacOS/Google Chrome"),
    ]),
    debian: "chromium",
    brew: "brew install --cask chromium",
  },
  python3: {
    tests: "Python interop",
    label: "python3",
    env: [],
    names: ["python3"],
    paths: [],
    debian: "python3",
    brew: "brew install python",
    resolve: pythonExecutable,
  },
  tshark: {
    tests: "capture",
    label: "tshark",
    env: [],
    names: ["tshark"],
    paths: [],
    debian: "tshark",
    brew: "brew install wireshark",
  },
};

/** The tool names, in {@link TOOLS}' order. */
export const TOOL_NAMES = Object.keys(TOOLS) as ToolName[];

/** Is this a CI run (`CI=true`, as CI services set it)? A missing tool then fails. */
export function inCI(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = (env["CI"] ?? "").toLowerCase();
  return value !== "" && value !== "false" && value !== "0";
}

/** The tools `SELECTORS_TS_HIDE_TOOLS` hides (a comma-separated list). */
function hidden(env: NodeJS.ProcessEnv): Set<string> {
  return new Set(
    (env["SELECTORS_TS_HIDE_TOOLS"] ?? "")
      .split(",")
      .map((name) => name.trim())
      .filter((name) => name !== ""),
  );
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Look for `name` now, without the cache: its environment variables, then `PATH`, then {@link Tool.paths}.
 * An environment variable that names no executable file is passed over, as an unset one.
 *
 * @param name - The tool.
 * @param env - The environment to look in (the process's unless told).
 * @returns The path to start it by, or `null` when it is not found (or hidden).
 */
export function locateTool(name: ToolName, env: NodeJS.ProcessEnv = process.env): string | null {
  if (hidden(env).has(name)) return null;
  const tool = TOOLS[name];
  const folders = (env["PATH"] ?? "").split(delimiter).filter((folder) => folder !== "");
  const candidates = [
    ...tool.env.map((variable) => env[variable] ?? "").filter((path) => path !== ""),
    ...tool.names.flatMap((command) => folders.map((folder) => join(folder, command))),
    ...tool.paths,
  ];
  for (const path of candidates) {
    if (!isExecutableFile(path)) continue;
    const resolved = tool.resolve === undefined ? path : tool.resolve(path);
    if (resolved !== null) return resolved;
  }
  return null;
}

const found = new Map<ToolName, string | null>();

/**
 * The tool's path, looked for once per process ({@link locateTool}).
 *
 * @returns The path to start it by, or `null` when this machine lacks it.
 */
export function findTool(name: ToolName): string | null {
  let path = found.get(name);
  if (path === undefined) {
    path = locateTool(name);
    found.set(name, path);
  }
  return path;
}

/** How to get `name`: `apt-get install chromium, or set CHROME_PATH` (Homebrew's command on macOS). */
export function installHint(name: ToolName, platform: NodeJS.Platform = process.platform): string {
  const tool = TOOLS[name];
  const command = platform === "darwin" ? tool.brew : `apt-get install ${tool.debian}`;
  const variable = tool.env[0];
  return variable === undefined ? command : `${command}, or set ${variable}`;
}

/** Why `name`'s tests cannot run: `no Chromium found (install: apt-get install chromium, or set CHROME_PATH)`. */
export function missingReason(name: ToolName): string {
  return `no ${TOOLS[name].label} found (install: ${installHint(name)})`;
}

/**
 * What ends the name of a test or suite skipped for want of `name`: `[skipped: no python3]`. The summary finds
 * skipped tests by it.
 */
export function skipMarker(name: ToolName): string {
  return `[skipped: no ${name}]`;
}

/** One test of vitest's JSON report (`.vitest-results.json`), as far as {@link skipLines} reads it. */
interface ReportedTest {
  readonly status?: unknown;
  readonly fullName?: unknown;
}

/**
 * The summary's lines for tests skipped for want of a tool, one per tool, from vitest's JSON report:
 * `skipped 3 browser tests: no Chromium found (install: apt-get install chromium, or set CHROME_PATH)`.
 *
 * @param report - The parsed report.
 * @returns One line per tool with skipped tests, in {@link TOOLS}' order; none when the report holds none.
 */
export function skipLines(report: unknown): string[] {
  const files: unknown =
    typeof report === "object" && report !== null && "testResults" in report
      ? report.testResults
      : [];
  const tests: ReportedTest[] = [];
  if (Array.isArray(files)) {
    for (const file of files as unknown[]) {
      if (typeof file !== "object" || file === null || !("assertionResults" in file)) continue;
      const results: unknown = file.assertionResults;
      if (Array.isArray(results)) tests.push(...(results as ReportedTest[]));
    }
  }
  const lines: string[] = [];
  for (const name of TOOL_NAMES) {
    const marker = skipMarker(name);
    const count = tests.filter(
      (test) =>
        (test.status === "skipped" || test.status === "pending") &&
        typeof test.fullName === "string" &&
        test.fullName.includes(marker),
    ).length;
    if (count === 0) continue;
    const what = `${TOOLS[name].tests} test${count === 1 ? "" : "s"}`;
    lines.push(`skipped ${String(count)} ${what}: ${missingReason(name)}`);
  }
  return lines;
}
