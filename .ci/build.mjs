// @ts-check
/**
 * `npm run build`: compile `lib/` to `dist/` (ESM JavaScript, `.d.ts` declarations and source maps), as the
 * package ships it. Run by `prepare`: by `npm install` in a clone, by npm when it installs the package from a git
 * URL (in its own clone, after installing the dev dependencies), by `npm install /path/to/clone` (in that clone)
 * and by `npm pack`.
 *
 * Plain JavaScript run by `node`, so that it starts without this package's dev dependencies; it needs only the
 * TypeScript compiler of this folder's `node_modules`. Where that is missing (a clone where `npm install` never
 * ran, installed by its path), it says what to do, and exits 1.
 *
 * The declarations use Node's types (`Buffer`, `node:net`) and the `Disposable` of `using`: each `.d.ts` gets
 * `/// <reference types="node" />`, so a consumer's TypeScript finds them (from `@types/node`) under any `types`
 * setting and any target from ES2020 on.
 */
import { execFileSync } from "node:child_process";
import console from "node:console";
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { URL, fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));
const tsc = join(root, "node_modules/typescript/bin/tsc");
if (!existsSync(tsc)) {
  console.error(
    [
      `selectors-ts: cannot build dist/: this folder's dev dependencies are not installed (${root}).`,
      "Run `npm install` in it first (that builds dist/), then install it by its path again;",
      "or install from a git URL, or from the tarball `npm pack` makes (see README.md, Use it in your project).",
    ].join("\n"),
  );
  process.exit(1);
}
const out = join(root, "dist");
rmSync(out, { recursive: true, force: true });
execFileSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json")], {
  stdio: "inherit",
});
const reference = '/// <reference types="node" />\n';
for (const entry of readdirSync(out, { recursive: true, encoding: "utf8" })) {
  if (!entry.endsWith(".d.ts")) continue;
  const file = join(out, entry);
  writeFileSync(file, reference + readFileSync(file, "utf8"));
  // The declaration map's lines move down by one: an empty first line of mappings says so.
  /** @type {unknown} */
  const map = JSON.parse(readFileSync(`${file}.map`, "utf8"));
  if (
    typeof map === "object" &&
    map !== null &&
    "mappings" in map &&
    typeof map.mappings === "string"
  ) {
    writeFileSync(`${file}.map`, JSON.stringify({ ...map, mappings: `;${map.mappings}` }));
  }
}
