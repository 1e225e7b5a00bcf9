/**
 * `.ci/run`'s question: which external tools do the tests need that this machine lacks? Prints the Debian
 * package of each missing one, one a line (nothing when all are there), found as the tests find them
 * (`spec/helpers/tools.ts`).
 *
 * @example
 * ```sh
 * node --import tsx .ci/tools.ts   # e.g. "chromium" when no browser is found
 * ```
 * @module
 */
import { TOOL_NAMES, TOOLS, locateTool } from "../spec/helpers/tools.ts";

for (const name of TOOL_NAMES) {
  if (locateTool(name) === null) console.log(TOOLS[name].debian);
}
