/**
 * lib/ has no import cycle. The graph is read from the sources: every `import … from "./x.ts"` and
 * `export … from "./x.ts"` between files of lib/ is an edge, except `import type` / `export type` (erased when
 * compiled; with `verbatimModuleSyntax`, `import { type X }` is not, and counts). A cycle is reported as the
 * files met in order, so that it can be broken where it reads worst.
 */
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { describe, expect, it } from "vitest";

const LIB = fileURLToPath(new URL("../lib/", import.meta.url));

/** Every .ts file under `dir`. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** The statements that load another module at run time: `import`/`export … from`, not `import type`. */
const MODULE_STATEMENT = /^(import|export)\s+(type\s+)?(?:[^;"']*?\s+from\s+)?["']([^"']+)["'];?/gm;

/** The files of lib/ that `file` loads at run time, as paths relative to lib/. */
function runtimeImports(file: string, text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(MODULE_STATEMENT)) {
    const [, , typeOnly, specifier] = match;
    if (typeOnly !== undefined || !specifier?.startsWith(".")) continue;
    found.push(relative(LIB, resolve(dirname(file), specifier)));
  }
  return found;
}

/** Each cycle of the graph, once (as the path DFS met it: `a.ts → b.ts → a.ts`). */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (node: string): void => {
    state.set(node, "open");
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      const seen = state.get(next);
      if (seen === "open") found.push([...path.slice(path.indexOf(next)), next]);
      else if (seen === undefined) visit(next);
    }
    path.pop();
    state.set(node, "done");
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return found;
}

describe("lib/'s import graph", () => {
  const graph = new Map<string, string[]>();
  for (const file of sources(LIB)) {
    graph.set(relative(LIB, file), runtimeImports(file, readFileSync(file, "utf8")));
  }

  it("is read from the sources (the check would see a cycle)", () => {
    expect(graph.get("python/socket.ts")).toContain("kernel/stream-socket.ts");
    expect(graph.get("kernel/stream-socket.ts")).not.toContain("transport/interface.ts"); // `import type`
    expect(
      cycles(
        new Map([
          ["a.ts", ["b.ts"]],
          ["b.ts", ["c.ts"]],
          ["c.ts", ["a.ts"]],
        ]),
      ),
    ).toEqual([["a.ts", "b.ts", "c.ts", "a.ts"]]);
  });

  it("has no cycle", () => {
    expect(cycles(graph).map((cycle) => cycle.join(" → "))).toEqual([]);
  });
});
