// Keeps docs/GUIDE.md, the side-by-side guide, true to the code it quotes.
//
// Every ```ts and ```python block of the guide names its source in the HTML comment just above it
// (`<!-- source: demos/multiconn-server.ts -->`, a path from the project root). A block is one or more runs of
// lines separated by elision lines (`// ...` in TypeScript, `# ...` in Python); each run must appear verbatim and
// contiguous in the named file (trailing whitespace ignored), and the runs in the file's order. Every course
// program in demos/ (not demo.ts, the tour) and both library modules must be quoted at least once.
import { existsSync, readFileSync, readdirSync } from "node:fs";

import { describe, expect, it } from "vitest";

const ROOT = new URL("../", import.meta.url);
const GUIDE = "docs/GUIDE.md";

/** The files the guide must quote at least once. */
const MUST_QUOTE = [
  ...readdirSync(new URL("demos/", ROOT))
    .filter((name) => name.endsWith(".ts") && name !== "demo.ts")
    .map((name) => `demos/${name}`),
  "lib/app/libclient.ts",
  "lib/app/libserver.ts",
].sort();

/** A fenced code block of the guide. */
interface Block {
  /** Line of the opening fence (1-based). */
  readonly line: number;
  /** The fence's info string, e.g. `ts`. */
  readonly lang: string;
  /** The path named by the `<!-- source: ... -->` comment above it, or `null`. */
  readonly source: string | null;
  /** The lines between the fences. */
  readonly lines: readonly string[];
}

/** What a guide holds: its blocks, and what is wrong with its source comments. */
interface Parsed {
  readonly blocks: Block[];
  readonly errors: string[];
}

const SOURCE_COMMENT = /^<!--\s*source:\s*(\S+)\s*-->$/;
const FENCE = /^(`{3,}|~{3,})\s*([^\s`]*)/;

/** The languages that must name a source, and the file extension and elision line of each. */
const QUOTED: Readonly<Record<string, { ext: string; elision: string }>> = {
  ts: { ext: ".ts", elision: "// ..." },
  python: { ext: ".py", elision: "# ..." },
};

function splitLines(text: string): string[] {
  return text.split(/\r?\n/);
}

function parseGuide(markdown: string, name: string): Parsed {
  const lines = splitLines(markdown);
  const blocks: Block[] = [];
  const errors: string[] = [];
  /** The last source comment not yet used by a block, with its line. */
  let pending: { source: string; line: number } | null = null;
  let i = 0;
  while (i < lines.length) {
    const text = lines[i] ?? "";
    const comment = SOURCE_COMMENT.exec(text.trim());
    const fence = FENCE.exec(text);
    if (comment) {
      if (pending)
        errors.push(`${name}:${pending.line}: source comment without a code block after it`);
      pending = { source: comment[1] ?? "", line: i + 1 };
      i++;
      continue;
    }
    if (!fence) {
      if (pending && text.trim() !== "") {
        errors.push(`${name}:${pending.line}: source comment without a code block after it`);
        pending = null;
      }
      i++;
      continue;
    }
    const marker = fence[1] ?? "```";
    const lang = fence[2] ?? "";
    const start = i;
    const body: string[] = [];
    i++;
    while (i < lines.length && !(lines[i] ?? "").trim().startsWith(marker)) {
      body.push(lines[i] ?? "");
      i++;
    }
    if (i === lines.length) errors.push(`${name}:${start + 1}: code block not closed`);
    i++; // the closing fence
    const block: Block = { line: start + 1, lang, source: pending?.source ?? null, lines: body };
    pending = null;
    if (lang in QUOTED && block.source === null) {
      errors.push(
        `${name}:${block.line}: \`\`\`${lang} block without a <!-- source: PATH --> comment above it`,
      );
    }
    blocks.push(block);
  }
  if (pending) errors.push(`${name}:${pending.line}: source comment without a code block after it`);
  return { blocks, errors };
}

function sameLine(a: string, b: string): boolean {
  return a.trimEnd() === b.trimEnd();
}

/** How many lines of `run` match `file` from index `at` on. */
function matchLength(run: readonly string[], file: readonly string[], at: number): number {
  let k = 0;
  while (k < run.length && at + k < file.length && sameLine(run[k] ?? "", file[at + k] ?? "")) k++;
  return k;
}

/** The first index ≥ `from` where all of `run` matches `file`, or -1. */
function findRun(run: readonly string[], file: readonly string[], from: number): number {
  for (let at = from; at + run.length <= file.length; at++) {
    if (matchLength(run, file, at) === run.length) return at;
  }
  return -1;
}

/**
 * What is wrong with a block's quote of `fileText` (the text of `block.source`), one message per problem, each
 * naming the guide line; `[]` when it quotes the file faithfully.
 */
function checkBlock(block: Block, fileText: string, guide = GUIDE): string[] {
  const where = `${guide}:${block.line} (\`\`\`${block.lang} from ${block.source ?? "?"})`;
  const rules = QUOTED[block.lang];
  if (rules === undefined) return [`${where}: not a quoted language (ts, python)`];
  if (!(block.source ?? "").endsWith(rules.ext)) {
    return [`${where}: a \`\`\`${block.lang} block must quote a ${rules.ext} file`];
  }
  // Split at elision lines; each run keeps the guide line of its first line.
  const runs: { line: number; lines: string[] }[] = [{ line: block.line + 1, lines: [] }];
  block.lines.forEach((text, k) => {
    if (text.trim() === rules.elision) runs.push({ line: block.line + 2 + k, lines: [] });
    else runs.at(-1)?.lines.push(text);
  });
  const errors: string[] = [];
  runs.forEach((run, r) => {
    if (run.lines.length === 0) {
      errors.push(
        `${where}: run ${r + 1} is empty (an elision line \`${rules.elision}\` belongs only between two quoted runs)`,
      );
    }
  });
  if (errors.length > 0) return errors;

  const file = splitLines(fileText);
  let from = 0;
  for (const [r, run] of runs.entries()) {
    const at = findRun(run.lines, file, from);
    if (at >= 0) {
      from = at + run.lines.length;
      continue;
    }
    const label = `${where}, run ${r + 1}`;
    const earlier = findRun(run.lines, file, 0);
    if (earlier >= 0) {
      errors.push(
        `${label} (guide line ${run.line}): found at file line ${earlier + 1}, before the previous run ` +
          `(which ends at file line ${from}); runs must follow the file's order`,
      );
      break;
    }
    // Explain with the longest match of the run's beginning, after the previous run if there is one.
    let best = { at: -1, length: 0 };
    for (let start = 0; start < file.length; start++) {
      const length = matchLength(run.lines, file, start);
      const better =
        length > best.length || (length === best.length && best.at < from && start >= from);
      if (length > 0 && better) best = { at: start, length };
    }
    const guideLine = run.line + best.length;
    const quoted = JSON.stringify(run.lines[best.length] ?? "");
    if (best.at < 0) {
      errors.push(
        `${label}: guide line ${guideLine}, ${quoted}, is not a line of ${block.source ?? "?"}`,
      );
    } else {
      const fileLine = best.at + best.length + 1;
      errors.push(
        `${label}: guide line ${guideLine}, ${quoted}, does not match ${block.source ?? "?"} line ${fileLine}, ` +
          `${JSON.stringify(file[best.at + best.length] ?? "(end of file)")} (the run's first ${best.length} ` +
          `line(s) match from file line ${best.at + 1})`,
      );
    }
    break;
  }
  return errors;
}

/** The text of a project file named by a source comment, or what is wrong with the name. */
function readSource(source: string): { text: string } | { error: string } {
  if (source.startsWith("/") || source.split("/").includes("..")) {
    return { error: `source ${source} must be a path inside the project, from its root` };
  }
  const url = new URL(source, ROOT);
  if (!existsSync(url)) return { error: `source ${source}: no such file` };
  return { text: readFileSync(url, "utf8") };
}

// ---------------------------------------------------------------------------------------------------------------

const guide = parseGuide(readFileSync(new URL(GUIDE, ROOT), "utf8"), GUIDE);
const quoted = guide.blocks.filter((block) => block.source !== null);

describe(GUIDE, () => {
  it("has quoted blocks", () => {
    expect(quoted.length).toBeGreaterThan(0);
  });

  it("names the source of every ts and python block", () => {
    expect(guide.errors).toEqual([]);
  });

  it.each(quoted)("quotes $source verbatim (block at line $line)", (block) => {
    const source = readSource(block.source ?? "");
    if ("error" in source) {
      expect.fail(`${GUIDE}:${block.line}: ${source.error}`);
    }
    expect(checkBlock(block, source.text)).toEqual([]);
  });

  it("quotes every course program and both library modules", () => {
    const sources = new Set(quoted.map((block) => block.source));
    expect(MUST_QUOTE.filter((path) => !sources.has(path))).toEqual([]);
    expect(MUST_QUOTE).toContain("demos/multiconn-server.ts");
  });
});

describe("the guide's excerpt check", () => {
  const file = ["a()", "  b()", "  c()", "", "d()", "e()"].join("\n");

  function block(...lines: string[]): Block {
    return { line: 10, lang: "ts", source: "x.ts", lines };
  }

  it("accepts runs in file order, ignoring trailing whitespace", () => {
    expect(checkBlock(block("  b()  ", "  c()"), file)).toEqual([]);
    expect(checkBlock(block("a()", "  // ...", "d()", "e()"), file)).toEqual([]);
  });

  it("names the guide line and the file line that differ", () => {
    const errors = checkBlock(block("a()", "  b()", "  C()"), file);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain("guide line 13");
    expect(errors[0]).toContain('"  C()"');
    expect(errors[0]).toContain("x.ts line 3");
  });

  it("reports a line that is nowhere in the file", () => {
    expect(checkBlock(block("a()", "// ...", "z()"), file)).toEqual([
      `${GUIDE}:10 (\`\`\`ts from x.ts), run 2: guide line 13, "z()", is not a line of x.ts`,
    ]);
  });

  it("refuses runs out of order, indented lines moved, and stray elisions", () => {
    expect(checkBlock(block("d()", "// ...", "a()"), file)[0]).toContain("before the previous run");
    expect(checkBlock(block("b()"), file)[0]).toContain("is not a line of x.ts");
    expect(checkBlock(block("// ...", "a()"), file)[0]).toContain("run 1 is empty");
    expect(checkBlock(block("a()", "// ...", "// ...", "d()"), file)[0]).toContain(
      "run 2 is empty",
    );
    expect(checkBlock({ ...block("a()"), lang: "python" }, file)[0]).toContain(
      "must quote a .py file",
    );
  });

  it("finds blocks without a source comment, and comments without a block", () => {
    const markdown = [
      "<!-- source: demos/x.ts -->",
      "",
      "```ts",
      "a()",
      "```",
      "",
      "```python",
      "b()",
      "```",
      "<!-- source: demos/y.ts -->",
      "text",
      "```text",
      "free",
      "```",
    ].join("\n");
    const parsed = parseGuide(markdown, "g.md");
    expect(parsed.blocks.map((b) => [b.line, b.lang, b.source])).toEqual([
      [3, "ts", "demos/x.ts"],
      [7, "python", null],
      [12, "text", null],
    ]);
    expect(parsed.errors).toEqual([
      "g.md:7: ```python block without a <!-- source: PATH --> comment above it",
      "g.md:10: source comment without a code block after it",
    ]);
  });
});
