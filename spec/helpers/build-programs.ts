/**
 * vitest's global setup: bundle every program the tests start as a child process (the demos, the fixture programs)
 * once per test run, with esbuild, so that each start is one plain `node` start instead of a `tsx` one.
 *
 * Why: `tsx demos/NAME.ts` starts two node processes and compiles with esbuild in one of them, about 0.36 s of CPU
 * per start here; `node --import tsx demos/NAME.ts`, one process, 0.26 s; module hooks that load a prebuilt
 * bundle (`node --import hooks demos/NAME.ts`), 0.10 s, a third of it for the hooks' own thread; `node BUILD/NAME.ts`
 * as built here, 0.07 s (`node -e 0` is 0.05 s). The tests start over a hundred programs per run.
 *
 * What a program sees is what it sees under `node --import tsx demos/NAME.ts` (the README's command):
 * - Its file name: the build holds each program as `BUILD/demos/NAME.ts`, a symbolic link to its bundle
 *   `BUILD/demos/NAME.mjs` (Node runs the link's target, as an ES module for its `.mjs`, but leaves
 *   `process.argv[1]` as given), so usage lines print `NAME.ts`.
 * - Its working directory: the project root (`spec/helpers/process.ts` starts it there).
 * - `import.meta.url`: each bundled module keeps its own (a bundle would give every module the entry point's, and
 *   lib/python/traceback.ts finds the library's folder from its own). The entry point keeps its bundle's URL, beside the
 *   other programs' links, so a program that starts a sibling (`new URL("app-server.ts", import.meta.url)`, as the
 *   guided tour does, with `process.execArgv`) starts it from the build too.
 * - Stack traces: the bundle carries a source map and is run with `--enable-source-maps` (tsx turns source maps on
 *   as well), so stack traces and Python-style tracebacks name the TypeScript files and lines.
 * - The bundle is compiled as tsx compiles: the project's tsconfig, `keepNames`, the running Node as target.
 *
 * Rules:
 * - The build lives in a fresh temporary folder for this run, deleted at its end: two runs never share one, and
 *   nothing stale is ever started.
 * - The tests get the build's folder through `inject("programs")`; `spec/helpers/process.ts` is what uses it.
 * - What is built: every `.ts` file in {@link PROGRAMS}' folders.
 * @module
 */
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

import { build, type OutputFile, type Plugin } from "esbuild";
import type { TestProject } from "vitest/node";

/** What the tests get from {@link setup} through `inject("programs")`. */
export interface ProgramsBuild {
  /**
   * The build's folder (absolute, with a trailing separator): the program `demos/NAME.ts` is run as
   * `node --enable-source-maps DIR/demos/NAME.ts`.
   */
  readonly dir: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    programs: ProgramsBuild;
  }
}

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The folders, relative to the project root, whose `.ts` files are programs to build. */
export const PROGRAMS = ["demos", "spec/fixtures/programs"] as const;

/** The `.ts` files of {@link PROGRAMS}, as absolute paths. */
async function entryPoints(): Promise<string[]> {
  const lists = await Promise.all(
    PROGRAMS.map(async (folder) =>
      (await readdir(join(ROOT, folder)))
        .filter((name) => name.endsWith(".ts"))
        .map((name) => join(ROOT, folder, name)),
    ),
  );
  return lists.flat();
}

/** Give each bundled module other than `entries` its own `import.meta.url` (see the module notes). */
function ownImportMetaUrl(entries: ReadonlySet<string>): Plugin {
  return {
    name: "own-import-meta-url",
    setup(plugin) {
      plugin.onLoad({ filter: /\.ts$/ }, async ({ path }) => {
        if (entries.has(path)) return undefined;
        const source = await readFile(path, "utf8");
        if (!source.includes("import.meta.url")) return undefined;
        const url = JSON.stringify(pathToFileURL(path).href);
        return { contents: source.replaceAll("import.meta.url", url), loader: "ts" };
      });
    },
  };
}

/**
 * Write `bundle` with its source map inline, the map's sources made absolute (esbuild writes them relative to
 * the bundle, which Node would resolve from the link's folder).
 */
async function writeWithMap(bundle: OutputFile, map: OutputFile | undefined): Promise<void> {
  if (map === undefined) throw new Error(`esbuild wrote no source map for ${bundle.path}`);
  const parsed: unknown = JSON.parse(map.text);
  if (typeof parsed !== "object" || parsed === null || !("sources" in parsed)) {
    throw new Error(`esbuild wrote a source map without sources: ${map.path}`);
  }
  const { sources } = parsed;
  if (!Array.isArray(sources)) throw new Error(`source map sources is not a list: ${map.path}`);
  const absolute = sources.map((source: unknown) =>
    typeof source === "string"
      ? pathToFileURL(resolve(join(bundle.path, ".."), source)).href
      : source,
  );
  const inline = Buffer.from(JSON.stringify({ ...parsed, sources: absolute })).toString("base64");
  await writeFile(
    bundle.path,
    `${bundle.text}//# sourceMappingURL=data:application/json;base64,${inline}\n`,
  );
}

/**
 * Build the programs into a fresh temporary folder, each with its `.ts` link, and give the folder to the tests.
 *
 * @returns The teardown, which deletes the folder.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const out = await mkdtemp(join(tmpdir(), "selectors-ts-programs-"));
  try {
    const entries = await entryPoints();
    const result = await build({
      entryPoints: entries,
      outbase: ROOT,
      outdir: out,
      outExtension: { ".js": ".mjs" },
      bundle: true,
      platform: "node",
      format: "esm",
      target: `node${process.versions.node}`,
      packages: "external",
      keepNames: true,
      plugins: [ownImportMetaUrl(new Set(entries))],
      sourcemap: "external",
      // The traceback reads source lines from the files themselves; the map need not carry them.
      sourcesContent: false,
      write: false,
      logLevel: "warning",
    });
    const maps = new Map(result.outputFiles.map((file) => [file.path, file]));
    const bundles = result.outputFiles.filter((file) => file.path.endsWith(".mjs"));
    await Promise.all(
      bundles.map(async (bundle) => {
        await mkdir(join(bundle.path, ".."), { recursive: true });
        await writeWithMap(bundle, maps.get(`${bundle.path}.map`));
        await symlink(basename(bundle.path), bundle.path.replace(/\.mjs$/, ".ts"));
      }),
    );
    const built = bundles.length;
    if (built !== entries.length) {
      throw new Error(`built ${built} programs of ${entries.length} in ${out}`);
    }
    project.provide("programs", { dir: join(out, "/") });
  } catch (e) {
    await rm(out, { recursive: true, force: true });
    throw e;
  }
  return async () => {
    await rm(out, { recursive: true, force: true });
  };
}
