/**
 * vitest's global setup: bundle every program the tests start as a child process (the demos, the fixture programs)
 * once per test run, with esbuild, so that each start is a plain `node` start instead of a `tsx` one.
 *
 * Why: `tsx demos/NAME.ts` starts two node processes and loads esbuild's transform in one of them, about 0.35 s
 * of CPU per start; `node --import BUILD/register.mjs demos/NAME.ts` is one node process reading one bundled file,
 * about 0.1 s. The test suites start a few hundred programs. The bundle is made as tsx compiles (the project's
 * tsconfig, `keepNames`, the running Node as target), each module keeps its own `import.meta.url`, and it
 * carries a source map, so stack traces (and Python-style tracebacks) name the TypeScript files and lines as
 * under tsx.
 *
 * Rules:
 * - The build lives in a fresh temporary folder for this run, deleted at its end: two runs never share one, and
 *   nothing stale is ever started.
 * - The tests get the build through `inject("programs")`; `spec/helpers/process.ts` is what uses it.
 * - What is built: every `.ts` file in {@link PROGRAMS}' folders. A program elsewhere fails to start with a
 *   message naming it (`spec/helpers/prebuilt-hooks.ts`).
 * @module
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

import { build, type OutputFile, type Plugin } from "esbuild";
import type { TestProject } from "vitest/node";

import type { HooksData } from "./prebuilt-hooks.ts";

/** What the tests get from {@link setup} through `inject("programs")`. */
export interface ProgramsBuild {
  /** Absolute path of the module to preload with `node --import` to run a program from the build. */
  readonly register: string;
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

/**
 * Each bundled module keeps its own `import.meta.url`, as when Node loads it alone: a bundle would otherwise give
 * every module the entry point's (lib/traceback.ts finds the library's folder from its own).
 */
const OWN_IMPORT_META_URL: Plugin = {
  name: "own-import-meta-url",
  setup(plugin) {
    plugin.onLoad({ filter: /\.ts$/ }, async ({ path }) => {
      const source = await readFile(path, "utf8");
      if (!source.includes("import.meta.url")) return undefined;
      const url = JSON.stringify(pathToFileURL(path).href);
      return { contents: source.replaceAll("import.meta.url", url), loader: "ts" };
    });
  },
};

/**
 * Write `bundle` with its source map inline. esbuild writes the map's sources relative to the bundle's path; the
 * bundle is loaded under the program's own URL (`demos/NAME.ts`), so they are made absolute here.
 */
async function writeWithMap(bundle: OutputFile, map: OutputFile | undefined): Promise<void> {
  if (map === undefined) {
    await writeFile(bundle.path, bundle.contents);
    return;
  }
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
 * Build the programs and the hooks into a fresh temporary folder, and give its `register.mjs` to the tests.
 *
 * @returns The teardown, which deletes the folder.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const out = await mkdtemp(join(tmpdir(), "selectors-ts-programs-"));
  try {
    const [programs] = await Promise.all([
      build({
        entryPoints: await entryPoints(),
        outbase: ROOT,
        outdir: out,
        outExtension: { ".js": ".mjs" },
        bundle: true,
        platform: "node",
        format: "esm",
        target: `node${process.versions.node}`,
        packages: "external",
        keepNames: true,
        plugins: [OWN_IMPORT_META_URL],
        sourcemap: "external",
        write: false,
        logLevel: "warning",
      }),
      build({
        entryPoints: [join(ROOT, "spec/helpers/prebuilt-hooks.ts")],
        outfile: join(out, "hooks.mjs"),
        bundle: true,
        platform: "node",
        format: "esm",
        target: `node${process.versions.node}`,
        logLevel: "warning",
      }),
    ]);
    const maps = new Map(programs.outputFiles.map((file) => [file.path, file]));
    const bundles = programs.outputFiles.filter((file) => file.path.endsWith(".mjs"));
    await Promise.all(
      bundles.map(async (bundle) => {
        await mkdir(join(bundle.path, ".."), { recursive: true });
        await writeWithMap(bundle, maps.get(`${bundle.path}.map`));
      }),
    );
    const data: HooksData = {
      root: pathToFileURL(ROOT).href,
      build: pathToFileURL(out).href + "/",
    };
    const register = join(out, "register.mjs");
    await writeFile(
      register,
      [
        `import { register } from "node:module";`,
        `register("./hooks.mjs", import.meta.url, { data: ${JSON.stringify(data)} });`,
        // As tsx does: stack traces through the source maps, so they name the TypeScript lines.
        `process.setSourceMapsEnabled(true);`,
        ``,
      ].join("\n"),
    );
    project.provide("programs", { register });
  } catch (e) {
    await rm(out, { recursive: true, force: true });
    throw e;
  }
  return async () => {
    await rm(out, { recursive: true, force: true });
  };
}
