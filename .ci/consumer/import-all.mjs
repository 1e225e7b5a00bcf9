// Import every entry of the installed package from plain JavaScript (no tsx, no flags), as a user's program would.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const pkg = JSON.parse(readFileSync(require.resolve("selectors-ts/package.json"), "utf8"));
let count = 0;
for (const [entry, target] of Object.entries(pkg.exports)) {
  if (typeof target === "string" && target.endsWith(".json")) continue;
  const specifier = entry === "." ? "selectors-ts" : `selectors-ts/${entry.slice(2)}`;
  const module = await import(specifier);
  if (Object.keys(module).length === 0) throw new Error(`${specifier} exports nothing`);
  count++;
}
const { socket, selectors, select } = await import("selectors-ts");
const s = socket.socket(socket.AF_INET, socket.SOCK_STREAM).setblocking(false);
const sel = new selectors.DefaultSelector();
sel.register(s, selectors.EVENT_READ);
sel.close();
// A never-connected TCP socket is writable for select(), as on Linux.
const [, writable] = await select.select([], [s], [], 0);
if (writable.length !== 1)
  throw new Error(`select.select(): ${writable.length} writable, expected 1`);
s.close();
console.log(`consumer: imported ${count} entries from JavaScript`);
