/**
 * `npm run build`: compile `lib/` to `dist/` (ESM JavaScript, `.d.ts` declarations and source maps), as the
 * package ships it. Run by `prepare`, so an install from git or from a path builds it, and by `npm pack`.
 *
 * The declarations use Node's types (`Buffer`, `node:net`) and the `Disposable` of `using`: each `.d.ts` gets
 * `/// <reference types="node" />`, so a consumer's TypeScript finds them (from `@types/node`) under any `types`
 * setting and any target from ES2020 on.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const out = "dist";
rmSync(out, { recursive: true, force: true });
execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"], {
  stdio: "inherit",
});
const reference = '/// <reference types="node" />\n';
for (const entry of readdirSync(out, { recursive: true, encoding: "utf8" })) {
  if (!entry.endsWith(".d.ts")) continue;
  const file = join(out, entry);
  writeFileSync(file, reference + readFileSync(file, "utf8"));
  // The declaration map's lines move down by one: an empty first line of mappings says so.
  const map: unknown = JSON.parse(readFileSync(`${file}.map`, "utf8"));
  if (
    typeof map === "object" &&
    map !== null &&
    "mappings" in map &&
    typeof map.mappings === "string"
  ) {
    writeFileSync(`${file}.map`, JSON.stringify({ ...map, mappings: `;${map.mappings}` }));
  }
}
