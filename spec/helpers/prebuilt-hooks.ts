/**
 * Node module hooks that run a program from the build {@link "./build-programs.ts"} made for this test run:
 * `node --import BUILD/register.mjs demos/app-server.ts ...` loads `demos/app-server.ts` from its bundle,
 * `BUILD/demos/app-server.mjs`, instead of compiling TypeScript at start-up as `tsx` does.
 *
 * Rules:
 * - Only the project's own `.ts` files are redirected; everything else (`node:` modules, packages) loads as usual.
 * - The module keeps its own URL: `import.meta.url`, `process.argv[1]` and stack traces name
 *   `demos/app-server.ts`, as under `tsx`. A program that starts another with `process.execArgv` (the guided
 *   tour) starts it from the build too.
 * - A project `.ts` file with no bundle is an error that names the file, never a silent fallback.
 *
 * Run by Node itself (through `register.mjs`), not by vitest: this file is bundled into the build as `hooks.mjs`.
 * @module
 */
import { readFile } from "node:fs/promises";

/** What `register.mjs` passes to {@link initialize}. */
export interface HooksData {
  /** `file:` URL of the project's root folder, with a trailing slash. */
  readonly root: string;
  /** `file:` URL of this run's build folder, with a trailing slash. */
  readonly build: string;
}

/** The `load` hook's answer, as far as this file uses it. */
interface LoadResult {
  format: string;
  source: string | Buffer;
  shortCircuit?: boolean;
}

type NextLoad = (url: string, context: object) => Promise<LoadResult>;

let data: HooksData | undefined;

/**
 * Node calls this once, with the data given to `module.register()`.
 *
 * @param given - The project's root and the build folder.
 */
export function initialize(given: HooksData): void {
  data = given;
}

/**
 * Load a project `.ts` file from its bundle.
 *
 * @throws Error when the file is the project's own `.ts` and was not built.
 */
export async function load(url: string, context: object, nextLoad: NextLoad): Promise<LoadResult> {
  if (data === undefined || !url.startsWith(data.root) || !url.endsWith(".ts")) {
    return nextLoad(url, context);
  }
  const relative = url.slice(data.root.length);
  if (relative.startsWith("node_modules/")) return nextLoad(url, context);
  const bundle = new URL(`${relative.slice(0, -".ts".length)}.mjs`, data.build);
  try {
    return { format: "module", source: await readFile(bundle), shortCircuit: true };
  } catch (e) {
    if (e instanceof Error && "code" in e && e.code === "ENOENT") {
      throw new Error(
        `${relative} was not built for this test run: spec/helpers/build-programs.ts builds the entry ` +
          `points it lists (PROGRAMS)`,
        { cause: e },
      );
    }
    throw e;
  }
}
