/**
 * `npm run static`: the typecheck, the docs check and the lint in one process, on one TypeScript program.
 *
 * Why one process: each of `tsc --noEmit`, `typedoc` and typed `eslint` builds and type-checks the same program
 * (the project's `tsconfig.json`) on its own, which on a cold run was a third of `npm test`'s CPU. Here the program
 * is built once; the typecheck asks it for every diagnostic (which types every node), then typedoc converts the
 * entry points of `typedoc.json` from it and validates them, then eslint lints with it
 * (`parserOptions.programs`), all three reading the checker's caches the first one filled.
 *
 * Rules:
 * - Each of the three checks exactly what its own script checks (`npm run typecheck`, `npm run docs:check`,
 *   `npm run lint`, which stay for running one alone): the same options, files, rules and failure conditions.
 * - It prints nothing when all three pass; otherwise each failing check's report, under its name.
 * - The exit status is 1 when any failed.
 *
 * @example
 * ```sh
 * npm run static
 * ```
 * @module
 */
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

import { ESLint } from "eslint";
import * as td from "typedoc";
import ts from "typescript";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** What one check found: nothing (passed), or its report. */
interface Outcome {
  readonly name: string;
  readonly passed: boolean;
  readonly report: string;
}

/** The project's program, as `tsc -p tsconfig.json` builds it. */
function createProgram(): ts.Program {
  const parsed = ts.getParsedCommandLineOfConfigFile(join(ROOT, "tsconfig.json"), undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"));
    },
  });
  if (parsed === undefined) throw new Error("tsconfig.json could not be read");
  if (parsed.errors.length > 0) throw new Error(format(parsed.errors));
  return ts.createProgram({
    rootNames: parsed.fileNames,
    options: parsed.options,
    ...(parsed.projectReferences === undefined
      ? {}
      : { projectReferences: parsed.projectReferences }),
  });
}

/** Diagnostics as `tsc --pretty` prints them. */
function format(diagnostics: readonly ts.Diagnostic[]): string {
  return ts.formatDiagnosticsWithColorAndContext(diagnostics, {
    getCanonicalFileName: (name) => name,
    getCurrentDirectory: () => ROOT,
    getNewLine: () => "\n",
  });
}

/** `tsc --noEmit`: every diagnostic of the program. */
function typecheck(program: ts.Program): Outcome {
  const diagnostics = ts.getPreEmitDiagnostics(program);
  return {
    name: "typecheck",
    passed: diagnostics.length === 0,
    report: diagnostics.length === 0 ? "" : format(diagnostics),
  };
}

/**
 * `typedoc --emit none --skipErrorChecking` (`docs:check`), converting from `program`: typedoc.json's entry points,
 * named as typedoc names them (their path from the entry points' common folder, without `/index` and extension).
 */
async function docsCheck(program: ts.Program): Promise<Outcome> {
  const lines: string[] = [];
  const app = await td.Application.bootstrapWithPlugins({ emit: "none", skipErrorChecking: true }, [
    new td.TypeDocReader(),
    new td.PackageJsonReader(),
    new td.TSConfigReader(),
  ]);
  const logger = new (class extends td.Logger {
    override log(message: string, level: td.LogLevel): void {
      super.log(message, level);
      if (level >= td.LogLevel.Warn) lines.push(`${td.LogLevel[level]}: ${message}`);
    }
  })();
  app.logger = logger;
  const files = app.options.getValue("entryPoints").map((path) => join(ROOT, relative(ROOT, path)));
  const base = commonFolder(files);
  const entryPoints: td.DocumentationEntryPoint[] = [];
  for (const file of files) {
    const sourceFile = program.getSourceFile(file);
    if (sourceFile === undefined) {
      lines.push(`Error: entry point ${relative(ROOT, file)} is not in tsconfig.json's program`);
      continue;
    }
    const displayName = relative(base, file)
      .split("\\")
      .join("/")
      .replace(/(\/index)?(\.d)?\.([cm][tj]s|[tj]sx?)$/, "");
    entryPoints.push({ displayName, sourceFile, program });
  }
  const failed = (): boolean =>
    lines.length > 0 ||
    logger.hasErrors() ||
    (app.options.getValue("treatWarningsAsErrors") && logger.hasWarnings());
  if (!failed()) {
    app.getEntryPoints = () => entryPoints;
    const project = await app.convert();
    if (project === undefined) lines.push("Error: typedoc converted nothing");
    else if (!failed()) app.validate(project);
  }
  return { name: "docs:check", passed: !failed(), report: lines.join("\n") };
}

/** The deepest folder that holds every one of `files`. */
function commonFolder(files: readonly string[]): string {
  const split = files.map((file) => file.split("/").slice(0, -1));
  const first = split[0] ?? [];
  let depth = 0;
  while (depth < first.length && split.every((parts) => parts[depth] === first[depth])) depth++;
  return first.slice(0, depth).join("/");
}

/** `eslint .`, the typed rules reading `program`. */
async function lint(program: ts.Program): Promise<Outcome> {
  const eslint = new ESLint({
    cwd: ROOT,
    overrideConfig: [
      {
        files: ["**/*.ts"],
        languageOptions: { parserOptions: { projectService: false, programs: [program] } },
      },
    ],
  });
  const results = await eslint.lintFiles(["."]);
  const errors = results.reduce(
    (sum, result) => sum + result.errorCount + result.fatalErrorCount,
    0,
  );
  const formatter = await eslint.loadFormatter("stylish");
  return { name: "lint", passed: errors === 0, report: await formatter.format(results) };
}

async function main(): Promise<number> {
  const times: string[] = [];
  const timed = async <T>(name: string, work: () => T | Promise<T>): Promise<T> => {
    const before = process.cpuUsage();
    const result = await work();
    const used = process.cpuUsage(before);
    times.push(`${name} ${((used.user + used.system) / 1e6).toFixed(1)} CPU-s`);
    return result;
  };
  const program = await timed("program", createProgram);
  const outcomes = [
    await timed("typecheck", () => typecheck(program)),
    await timed("docs:check", () => docsCheck(program)),
    await timed("lint", () => lint(program)),
  ];
  if (process.env["SELECTORS_TS_STATIC_TIMES"] !== undefined) console.log(times.join(", "));
  for (const outcome of outcomes) {
    if (outcome.report.trim() !== "")
      console.log(`--- ${outcome.name} ---\n${outcome.report.trimEnd()}`);
  }
  const failed = outcomes.filter((outcome) => !outcome.passed).map((outcome) => outcome.name);
  if (failed.length > 0) console.log(`failed: ${failed.join(", ")}`);
  return failed.length > 0 ? 1 : 0;
}

process.exitCode = await main();
