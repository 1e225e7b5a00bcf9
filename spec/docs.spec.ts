// Keeps the documentation pages true: README.md, CONTRIBUTING.md and every page of docs/ (docs/GUIDE.md's quoted
// code is checked by guide.spec.ts; typedoc, `npm run docs:check`, reads them all too).
//
// - Every relative link resolves: the file exists, and a `#fragment` names a heading of the target page (GitHub's
//   anchor for it) or an `id="..."` in it.
// - Every traceback line quoted from a program (`File ".../demos/NAME.ts", line N, in ...`, then its source line)
//   names the line that really holds that source.
// - One way to run the programs: a shell block never runs a program of demos/ but as `node --import tsx demos/...`
//   (see docs/failures.md for why).
// - A `--timeline` picture over loopback depends on timing: each one shown says it is one run's output (an
//   `<!-- one run's output ... -->` comment above it).
// - The README links every page of docs/, and keeps the two blocks the consumer check (.ci/consumer/check) runs.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join, normalize } from "node:path";

import { describe, expect, it } from "vitest";

const ROOT = new URL("../", import.meta.url).pathname;

/** The pages this file checks, as paths from the project root. */
const PAGES = [
  "README.md",
  "CONTRIBUTING.md",
  ...readdirSync(join(ROOT, "docs"))
    .filter((name) => name.endsWith(".md"))
    .map((name) => `docs/${name}`),
].sort();

function read(path: string): string {
  return readFileSync(join(ROOT, path), "utf8");
}

/** A fenced code block: its info string, its lines, the line of its opening fence and the text just above. */
interface Fence {
  readonly lang: string;
  readonly lines: readonly string[];
  readonly line: number;
  /** The last non-blank line before the fence. */
  readonly above: string;
}

const FENCE = /^\s*(`{3,}|~{3,})\s*([^\s`]*)/;

/** The page's fenced blocks, and its text with them blanked out (line numbers kept). */
function splitFences(markdown: string): { fences: Fence[]; prose: string[] } {
  const lines = markdown.split("\n");
  const fences: Fence[] = [];
  const prose: string[] = [];
  let above = "";
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i] ?? "";
    const open = FENCE.exec(text);
    if (!open) {
      prose.push(text);
      if (text.trim() !== "") above = text.trim();
      continue;
    }
    const marker = open[1] ?? "```";
    const start = i;
    const body: string[] = [];
    prose.push("");
    for (i++; i < lines.length && !(lines[i] ?? "").trim().startsWith(marker); i++) {
      body.push(lines[i] ?? "");
      prose.push("");
    }
    prose.push("");
    fences.push({ lang: open[2] ?? "", lines: body, line: start + 1, above });
    above = "";
  }
  return { fences, prose };
}

/** GitHub's anchor for a heading's text: lower case, punctuation dropped, each space a hyphen. */
function slug(heading: string): string {
  return heading
    .replace(/`/g, "")
    .replace(/\\(.)/g, "$1")
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/** The anchors a page offers: its headings' (numbered -1, -2 ... when repeated, as GitHub does) and its ids. */
function anchors(markdown: string): Set<string> {
  const found = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of splitFences(markdown).prose) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      const base = slug(heading[1] ?? "");
      const count = seen.get(base) ?? 0;
      seen.set(base, count + 1);
      found.add(count === 0 ? base : `${base}-${String(count)}`);
    }
    for (const id of line.matchAll(/\bid="([^"]+)"/g)) found.add(id[1] ?? "");
  }
  return found;
}

/** The relative links of a page's prose (inline code left out), each with its line. */
function links(markdown: string): { target: string; line: number }[] {
  const found: { target: string; line: number }[] = [];
  splitFences(markdown).prose.forEach((text, i) => {
    const prose = text.replace(/`[^`]*`/g, "");
    for (const link of prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const target = link[1] ?? "";
      if (/^[a-z][a-z+.-]*:/i.test(target)) continue; // https:, mailto:
      found.push({ target, line: i + 1 });
    }
  });
  return found;
}

/** What is wrong with one link of `page`, or null. */
function brokenLink(page: string, target: string): string | null {
  const [path = "", fragment] = target.split("#", 2);
  const file = path === "" ? page : normalize(join(dirname(page), decodeURI(path)));
  if (file.startsWith("..")) return `${target}: outside the project`;
  if (!existsSync(join(ROOT, file))) return `${target}: no file ${file}`;
  if (fragment === undefined || fragment === "") return null;
  if (!file.endsWith(".md")) return `${target}: a fragment of a file that is not Markdown`;
  return anchors(read(file)).has(decodeURIComponent(fragment))
    ? null
    : `${target}: ${file} has no heading or id for #${fragment}`;
}

/** Traceback frames quoted in a page: the file, the line number, and the source line shown under it. */
function frames(markdown: string): { file: string; number: number; source: string }[] {
  const found: { file: string; number: number; source: string }[] = [];
  const lines = markdown.split("\n");
  lines.forEach((text, i) => {
    const frame = /^\s*File "[^"]*?((?:demos|lib|spec)\/[^"]+\.ts)", line (\d+), in /.exec(text);
    if (frame) {
      found.push({
        file: frame[1] ?? "",
        number: Number(frame[2]),
        source: (lines[i + 1] ?? "").trim(),
      });
    }
  });
  return found;
}

describe.each(PAGES)("%s", (page) => {
  const markdown = read(page);
  const { fences } = splitFences(markdown);

  it("links only to files and anchors that exist", () => {
    const broken = links(markdown)
      .map(({ target, line }) => {
        const problem = brokenLink(page, target);
        return problem === null ? null : `${page}:${String(line)}: ${problem}`;
      })
      .filter((problem) => problem !== null);
    expect(broken).toEqual([]);
  });

  it("quotes each traceback frame with the source line the program has there", () => {
    const wrong = frames(markdown)
      .map(({ file, number, source }) => {
        if (!existsSync(join(ROOT, file))) return `${file}: no such file`;
        const actual = (read(file).split("\n")[number - 1] ?? "").trim();
        return actual === source ? null : `${file}:${String(number)} is ${JSON.stringify(actual)}`;
      })
      .filter((problem) => problem !== null);
    expect(wrong).toEqual([]);
  });

  it("runs the programs as node --import tsx demos/NAME.ts", () => {
    const other = fences
      .filter((fence) => ["sh", "bash", "shell", "console"].includes(fence.lang))
      .flatMap((fence) => fence.lines.map((text, k) => ({ text, line: fence.line + 1 + k })))
      .filter(
        ({ text }) => /demos\/\S+\.ts/.test(text) && !/\bnode --import tsx demos\//.test(text),
      )
      .map(({ text, line }) => `${page}:${String(line)}: ${text.trim()}`);
    expect(other).toEqual([]);
  });

  it("says of each --timeline picture that it is one run's output", () => {
    const unmarked = fences
      .filter((fence) => fence.lines[0]?.trimStart().startsWith("select() call"))
      .filter((fence) => !fence.above.startsWith("<!-- one run's output"))
      .map((fence) => `${page}:${String(fence.line)}`);
    expect(unmarked).toEqual([]);
  });
});

describe("README.md", () => {
  const readme = read("README.md");

  it("links every page of docs/", () => {
    const linked = new Set(
      links(readme)
        .map(({ target }) => target.split("#")[0] ?? "")
        .filter((target) => target.startsWith("docs/")),
    );
    expect(PAGES.filter((page) => page.startsWith("docs/") && !linked.has(page))).toEqual([]);
  });

  it("keeps the import lines and the example test that the consumer check runs", () => {
    for (const marker of [
      "<!-- The consumer check (.ci/consumer/check) runs these import lines",
      "<!-- The consumer check (.ci/consumer/check) runs this block",
    ]) {
      const at = readme.indexOf(marker);
      expect(at, marker).toBeGreaterThan(0);
      expect(/^\s*```ts\n/.test(readme.slice(readme.indexOf("\n", at) + 1)), marker).toBe(true);
    }
  });
});

describe("the docs check itself", () => {
  it("makes GitHub's anchors", () => {
    expect(slug("Python → TypeScript")).toBe("python--typescript");
    expect(slug("When a program fails")).toBe("when-a-program-fails");
    expect(slug("\\_set_selector_events_mask")).toBe("_set_selector_events_mask");
    expect(slug("Testing without ports: `selectors-ts/testing`")).toBe(
      "testing-without-ports-selectors-tstesting",
    );
    expect([...anchors('# A\n\n## A\n\n```sh\n# not a heading\n```\n<a id="x"></a>\n')]).toEqual([
      "a",
      "a-1",
      "x",
    ]);
  });

  it("finds links in prose, not in code", () => {
    const markdown =
      "See [a](a.md#b) and `[c](c.md)`.\n\n```md\n[d](d.md)\n```\n[e](https://x.org)";
    expect(links(markdown)).toEqual([{ target: "a.md#b", line: 1 }]);
  });

  it("reads a traceback frame and the source line under it", () => {
    const text =
      '  File "/home/me/selectors-ts/demos/echo-client.ts", line 22, in <module>\n    await x;\n';
    expect(frames(text)).toEqual([
      { file: "demos/echo-client.ts", number: 22, source: "await x;" },
    ]);
  });
});
