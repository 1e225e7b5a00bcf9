/**
 * `npm test`: every check of the project, run at the same time, with one verdict.
 *
 * The checks are package.json's own scripts ({@link CHECKS}); this file only schedules them:
 * - `lint`, `typecheck` and `docs:check` run as one script, `static` (`.ci/static.ts`): one process that builds the
 *   project's TypeScript program once for all three, instead of three processes that each build and check it.
 * - The static checks (format, and those three) start beside the tests: the tests wait on child processes,
 *   sockets and timers much of the time, and the static checks fill those gaps on a machine with few cores.
 * - The tests' output is shown live. A static check's output is shown when the tests are done (and only when
 *   there is some: a passing eslint or tsc prints nothing).
 * - A static check is skipped when the project's files are byte for byte those it last passed on (a digest of
 *   every file git does not ignore, with the Node version; see {@link treeDigest}). Tests are never skipped.
 *   `npm test -- --fresh` runs everything.
 * - Tests that need an external tool this machine lacks (Chromium, python3, tshark) are skipped, and the summary
 *   says so in one line per tool with its install command (counted from vitest's JSON report; see
 *   `spec/helpers/tools.ts`). Under `CI=true` they fail instead.
 * - The exit status is 1 when any check failed, else 0.
 *
 * @example
 * ```sh
 * npm test             # all checks
 * npm test -- --fresh  # all checks, none skipped
 * ```
 * @module
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";

import { inCI, skipLines } from "../spec/helpers/tools.ts";

/** One check: a package.json script. */
interface Check {
  /** The script's name in package.json. */
  readonly script: string;
  /** Its output is shown as it comes, and it is never skipped (the tests). */
  readonly live: boolean;
  /** What the summary calls it, when not its script's name. */
  readonly label?: string;
}

/** The checks of `npm test`, in the order their results are reported. */
const CHECKS: readonly Check[] = [
  { script: "format:check", live: false },
  // lint, typecheck and docs:check on one TypeScript program (.ci/static.ts)
  { script: "static", live: false, label: "lint, typecheck, docs:check" },
  { script: "test:unit", live: true },
];

const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** vitest's JSON report (vitest.config.ts), read for the tests skipped for want of a tool. */
const REPORT = join(ROOT, ".vitest-results.json");

/** Where each skippable check records the digest it last passed on. */
const STAMPS = join(ROOT, "node_modules/.cache/selectors-ts/checks.json");

/** How a check ended. */
interface Result {
  readonly script: string;
  /** `passed`, `failed`, or `skipped` (it passed before on the same files). */
  readonly outcome: "passed" | "failed" | "skipped";
  /** Wall-clock seconds (0 when skipped). */
  readonly seconds: number;
  /** Its output, stdout and stderr in order (empty for the live check, whose output was shown). */
  readonly output: string;
}

/** package.json's scripts. */
function scripts(): Record<string, string> {
  const parsed: unknown = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  if (typeof parsed !== "object" || parsed === null || !("scripts" in parsed)) {
    throw new Error("package.json has no scripts");
  }
  const found: unknown = parsed.scripts;
  if (typeof found !== "object" || found === null) throw new Error("package.json has no scripts");
  return Object.fromEntries(
    Object.entries(found).filter(
      (entry): entry is [string, string] => typeof entry[1] === "string",
    ),
  );
}

/**
 * A digest of the project's files as they are now: every file git tracks or would track (not ignored), path and
 * content, with the Node version. Installed packages are covered by `package-lock.json` and by npm's record of
 * what it installed (`node_modules/.package-lock.json`). `null` when git cannot list the files: then nothing is
 * skipped.
 */
function treeDigest(): string | null {
  const listed = spawnSync(
    "git",
    ["ls-files", "-z", "--cached", "--others", "--exclude-standard"],
    {
      cwd: ROOT,
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  if (listed.status !== 0) return null;
  const files = [...new Set(listed.stdout.split("\0").filter((name) => name !== ""))].sort();
  const hash = createHash("sha256").update(`node ${process.version}\0`);
  for (const name of [...files, "node_modules/.package-lock.json"]) {
    let content: Buffer;
    try {
      content = readFileSync(join(ROOT, name));
    } catch {
      content = Buffer.from("(absent)"); // listed but deleted from the work tree
    }
    hash.update(`${name}\0${String(content.length)}\0`).update(content);
  }
  return hash.digest("hex");
}

function readStamps(): Record<string, string> {
  try {
    const parsed: unknown = JSON.parse(readFileSync(STAMPS, "utf8"));
    if (typeof parsed !== "object" || parsed === null) return {};
    return Object.fromEntries(
      Object.entries(parsed).filter(
        (entry): entry is [string, string] => typeof entry[1] === "string",
      ),
    );
  } catch {
    return {};
  }
}

/** Record that `script` passed on the files whose digest is `digest` (written whole, then renamed). */
function writeStamp(script: string, digest: string): void {
  const stamps = { ...readStamps(), [script]: digest };
  mkdirSync(join(STAMPS, ".."), { recursive: true });
  const temporary = `${STAMPS}.${String(process.pid)}`;
  writeFileSync(temporary, JSON.stringify(stamps, null, 2));
  renameSync(temporary, STAMPS);
}

/** Run one script through `sh -c`, with node_modules/.bin on the PATH, as npm runs it. */
function run(check: Check, command: string): Promise<Result> {
  const started = performance.now();
  const child = spawn("sh", ["-c", command], {
    cwd: ROOT,
    env: {
      ...process.env,
      PATH: `${join(ROOT, "node_modules/.bin")}${delimiter}${process.env["PATH"] ?? ""}`,
    },
    stdio: check.live ? "inherit" : ["ignore", "pipe", "pipe"],
  });
  const chunks: Buffer[] = [];
  child.stdout?.on("data", (chunk: Buffer) => chunks.push(chunk));
  child.stderr?.on("data", (chunk: Buffer) => chunks.push(chunk));
  return new Promise<Result>((resolve) => {
    const finish = (passed: boolean, extra = ""): void => {
      resolve({
        script: check.script,
        outcome: passed ? "passed" : "failed",
        seconds: (performance.now() - started) / 1000,
        output: Buffer.concat(chunks).toString("utf8") + extra,
      });
    };
    child.once("error", (err) => {
      finish(false, `could not start: ${err.message}\n`);
    });
    child.once("close", (code, signal) => {
      finish(code === 0, code === 0 ? "" : signal === null ? "" : `ended by ${signal}\n`);
    });
  });
}

/** The summary's lines for tests skipped for want of a tool, from this run's vitest report (none without one). */
function toolSkips(): string[] {
  let report: unknown;
  try {
    report = JSON.parse(readFileSync(REPORT, "utf8"));
  } catch {
    return [];
  }
  return skipLines(report);
}

async function main(): Promise<number> {
  const fresh = process.argv.includes("--fresh");
  const commands = scripts();
  for (const { script } of CHECKS) {
    if (commands[script] === undefined) throw new Error(`package.json has no script "${script}"`);
  }
  const digest = fresh ? null : treeDigest();
  const stamps = readStamps();

  const pending = new Map<string, Promise<Result>>();
  rmSync(REPORT, { force: true }); // a report read below is this run's
  for (const check of CHECKS) {
    if (check.live) {
      pending.set(check.script, run(check, commands[check.script] ?? ""));
      continue;
    }
    if (digest !== null && stamps[check.script] === digest) {
      pending.set(
        check.script,
        Promise.resolve({ script: check.script, outcome: "skipped", seconds: 0, output: "" }),
      );
      continue;
    }
    pending.set(
      check.script,
      run(check, commands[check.script] ?? "").then((result) => {
        // Only a digest that still holds after the check is recorded: a file changed meanwhile may not have
        // been seen.
        if (result.outcome === "passed" && digest !== null && treeDigest() === digest) {
          writeStamp(check.script, digest);
        }
        return result;
      }),
    );
  }

  const results = await Promise.all(
    CHECKS.map(
      (check) => pending.get(check.script) ?? Promise.reject(new Error(`${check.script} not run`)),
    ),
  );
  let failed = 0;
  for (const result of results) {
    if (result.output.trim() === "") continue;
    console.log(`\n--- ${result.script} ---\n${result.output.trimEnd()}`);
  }
  console.log("");
  for (const [index, result] of results.entries()) {
    if (result.outcome === "failed") failed += 1;
    const name = CHECKS[index]?.label ?? result.script;
    const how =
      result.outcome === "skipped"
        ? "skipped: passed before on these same files (npm test -- --fresh runs it)"
        : `${result.outcome} in ${result.seconds.toFixed(1)} s`;
    console.log(`${result.outcome === "failed" ? "✗" : "✓"} ${name.padEnd(13)} ${how}`);
  }
  const skipped = toolSkips();
  for (const line of skipped) console.log(`! ${line}`);
  // Under CI the tests fail by themselves (spec/helpers/needs-tool.ts); this holds if a skip slipped through.
  const toolsMissing = skipped.length > 0 && inCI();
  if (toolsMissing) console.log("CI=true: a missing tool fails the run");
  if (failed > 0) console.log(`\n${String(failed)} of ${String(results.length)} checks failed`);
  return failed > 0 || toolsMissing ? 1 : 0;
}

process.exitCode = await main();
