// The --explore page in a real browser: the machine's Chromium or Chrome (spec/helpers/tools.ts finds it: CHROME_PATH,
// CHROMIUM_PATH, then PATH, then the macOS application folders; never a downloaded one), headless, driven by
// playwright-core, one launch for the whole file. Without one the tests are skipped visibly (failing under CI=true). A scripted run: app-server and app-client (search morpheus), each with --explore and
// --timeline; the timeline's counts are what each page must show.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";

import { Explorer } from "../lib/learn/explorer.ts";
import { DefaultSelector, EVENT_WRITE } from "../lib/python/selectors.ts";
import { describeNeeding } from "./helpers/needs-tool.ts";
import { freePort } from "./helpers/ports.ts";
import { tsDemo, type Exit } from "./helpers/process.ts";
import { socketPair } from "./helpers/selectors.ts";
import { findTool } from "./helpers/tools.ts";

const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
/** A laptop screen. */
const VIEWPORT = { width: 1366, height: 768 };

let dir = "";
let context: BrowserContext | undefined;
let server: Exit;
let client: Exit;
/** Why the browser or the run could not start: each test fails with it. */
let setupError: Error | null = null;

function failed(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

/** Launch the machine's browser (the suite runs only when there is one). */
async function launch(userDataDir: string): Promise<BrowserContext> {
  const executablePath = findTool("chromium");
  if (executablePath === null) throw new Error("no Chromium found");
  return chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: VIEWPORT,
  });
}

/** app-server and one app-client request, both recorded; the server stopped with Ctrl-C. */
async function scriptedRun(): Promise<[Exit, Exit]> {
  const port = String(await freePort());
  const flags = (name: string): string[] => ["-q", "--timeline", "--explore", join(dir, name)];
  const app = tsDemo("app-server", ["127.0.0.1", port, ...flags("server.html")], {
    killOnTestFinished: false,
  });
  try {
    await app.waitForLine(/^Listening on /);
    const request = tsDemo(
      "app-client",
      ["127.0.0.1", port, "search", "morpheus", ...flags("client.html")],
      {
        killOnTestFinished: false,
      },
    );
    const clientExit = await request.waitForExit();
    app.signal("SIGINT");
    return [await app.waitForExit(), clientExit];
  } finally {
    await app.kill();
  }
}

/** What `--timeline` printed: how many select() calls, and how many socket rows. */
function timelineCounts(stdout: string): { calls: number; sockets: number } {
  const lines = stdout.split("\n");
  const head = lines.findIndex((line) => line.startsWith("select() call"));
  expect(head, `no timeline in:\n${stdout}`).toBeGreaterThanOrEqual(0);
  const last = lines[head]?.trim().split(/\s+/).at(-1) ?? "";
  const rows = lines.slice(head + 1).filter((line) => line.startsWith("fd "));
  return { calls: Number(last.split("-").at(-1)), sockets: rows.length };
}

/** Open a page of the run, with every console error and uncaught exception collected. */
async function open(name: string): Promise<{ page: Page; errors: string[] }> {
  if (setupError !== null) throw setupError;
  if (context === undefined) throw new Error("the browser did not start");
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(error.message));
  await page.goto(pathToFileURL(join(dir, name)).href);
  return { page, errors };
}

async function turn(page: Page): Promise<number> {
  return Number(await page.locator("#position").getAttribute("data-turn"));
}

async function counts(page: Page): Promise<{ calls: number; sockets: number }> {
  const summary = page.locator("#summary");
  return {
    calls: Number(await summary.getAttribute("data-calls")),
    sockets: Number(await summary.getAttribute("data-sockets")),
  };
}

/** A PNG's width, height, pixels other than white and number of colours, as the browser decodes it. */
const PIXELS = `async (base64) => {
  const image = new Image();
  image.src = "data:image/png;base64," + base64;
  await image.decode();
  const canvas = document.createElement("canvas");
  canvas.width = image.width;
  canvas.height = image.height;
  const g = canvas.getContext("2d");
  g.drawImage(image, 0, 0);
  const data = g.getImageData(0, 0, canvas.width, canvas.height).data;
  const colours = new Set();
  let inked = 0;
  for (let i = 0; i < data.length; i += 4) {
    const rgb = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    colours.add(rgb);
    if (rgb !== 0xffffff) inked += 1;
  }
  return [canvas.width, canvas.height, inked, colours.size];
}`;

describeNeeding("chromium", "the --explore page, in Chromium", () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "explorer-browser-"));
    const browser = launch(join(dir, "profile"));
    try {
      [server, client] = await scriptedRun();
    } catch (e) {
      setupError = failed(e);
    }
    try {
      context = await browser;
    } catch (e) {
      setupError = failed(e);
    }
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });

  it("the client's page shows the run --timeline saw, without a console error", async () => {
    if (setupError !== null) throw setupError;
    expect(client.code).toBe(0);
    expect(client.stdout).toMatch(
      /^Explorer page written to .*client\.html \(\d+ select\(\) calls?, 1 socket\)$/m,
    );
    const { page, errors } = await open("client.html");
    const expected = timelineCounts(client.stdout);
    expect(expected.sockets).toBe(1);
    expect(await counts(page)).toEqual(expected);
    // The request goes out in the turn where the socket is first writable (once connected: the first, unless the
    // connection took longer than select()'s timeout), then the mask is R.
    let detail = "";
    for (let k = 1; k <= expected.calls && !detail.includes("send("); k++) {
      await page.keyboard.press("ArrowRight");
      expect(await turn(page)).toBe(k);
      detail = await page.locator("#detail-body").innerText();
    }
    expect(detail).toContain('send(146 bytes) → 146: b\'\\x00g{"byteorder"');
    expect(detail).toContain("modify(RW → R)");
    expect(detail).toContain(
      "Message phase: proto-header; receive buffer 0 bytes, send buffer 0 bytes",
    );
    expect(errors).toEqual([]);
    await page.close();
  });

  it("the server's page steps with the keys, shows the request read, fits a laptop, is not blank", async () => {
    if (setupError !== null) throw setupError;
    expect(server.code).toBe(0);
    const { page, errors } = await open("server.html");
    const expected = timelineCounts(server.stdout);
    expect(expected.sockets).toBe(2);
    expect(await counts(page)).toEqual(expected);
    expect(await page.title()).toMatch(
      /^Event loop of app-server\.ts 127\.0\.0\.1 \d+ -q --timeline$/,
    );

    // → moves the current turn, and the grid's current column with it.
    expect(await turn(page)).toBe(0);
    let readRequest = -1;
    for (let k = 1; k <= expected.calls; k++) {
      await page.keyboard.press("ArrowRight");
      expect(await turn(page)).toBe(k);
      expect(await page.locator("thead th.cur").innerText()).toBe(String(k));
      const detail = await page.locator("#detail-body").innerText();
      if (readRequest < 0 && detail.includes("Message phase: request read")) readRequest = k;
    }
    await page.keyboard.press("ArrowRight");
    expect(await turn(page), "→ stops at the last turn").toBe(expected.calls);

    // The turn that read the request: its recv, with the bytes in Python's repr.
    expect(readRequest).toBeGreaterThan(0);
    await page.keyboard.press("Home");
    expect(await turn(page)).toBe(0);
    for (let k = 0; k < readRequest; k++) await page.keyboard.press("ArrowRight");
    const recv = page.locator("#detail-body li", { has: page.locator("span.op.recv") });
    const line = await recv.innerText();
    expect(line).toMatch(/recv\(4096\) → 146 bytes: b'\\x00g\{"byteorder": "little"/);
    expect(line).toContain('"action": "search"');
    expect(line).toContain('"value": "morpheus"');
    const detail = await page.locator("#detail-body").innerText();
    expect(detail).toContain("modify(R → W)");
    // The connection's Message, before and after: registered at its accept, then the whole request read.
    expect(detail).toContain(
      "was: Message phase: proto-header; receive buffer 0 bytes, send buffer 0 bytes\n" +
        "now: Message phase: request read; receive buffer 0 bytes, send buffer 0 bytes",
    );

    // Letters, not only colours: the listener's cell of the first call reads R.
    await page.keyboard.press("Home");
    await page.keyboard.press("ArrowRight");
    expect(await page.locator('td[data-turn="1"][data-sock="0"]').innerText()).toBe("R");
    // A click on a cell goes to its turn and socket; End to the last turn.
    await page.locator(`td[data-turn="${readRequest}"][data-sock="1"]`).click();
    expect(await turn(page)).toBe(readRequest);
    expect(await page.locator("tr.sel th").innerText()).toMatch(/^fd \d+ \('127\.0\.0\.1', \d+\)$/);
    await page.keyboard.press("End");
    expect(await turn(page)).toBe(expected.calls);
    // In the grid, ↑ and ↓ pick a socket.
    await page.locator("#grid-box").focus();
    const selected = (): Promise<string | null> =>
      page.locator("tr.sel td.cur").getAttribute("data-sock");
    expect(await selected()).toBe("1");
    await page.keyboard.press("ArrowUp");
    expect(await selected()).toBe("0");
    await page.keyboard.press("ArrowDown");
    expect(await selected()).toBe("1");

    // It fits the laptop screen: nothing to scroll, both panes on screen.
    const size = await page.evaluate(
      "[document.documentElement.scrollWidth, document.documentElement.scrollHeight, innerWidth, innerHeight]",
    );
    expect(size).toEqual([VIEWPORT.width, VIEWPORT.height, VIEWPORT.width, VIEWPORT.height]);
    for (const pane of ["#overview", "#detail"]) {
      const box = await page.locator(pane).boundingBox();
      expect(box?.width, pane).toBeGreaterThan(300);
      expect((box?.x ?? 0) + (box?.width ?? Infinity), pane).toBeLessThanOrEqual(VIEWPORT.width);
    }

    const png = await page.screenshot();
    const check = await open("server.html");
    const pixels: unknown = await check.page.evaluate(
      `(${PIXELS})(${JSON.stringify(png.toString("base64"))})`,
    );
    const [width, height, inked = 0, colours = 0] = Array.isArray(pixels) ? pixels.map(Number) : [];
    expect([width, height]).toEqual([VIEWPORT.width, VIEWPORT.height]);
    expect(inked).toBeGreaterThan((VIEWPORT.width * VIEWPORT.height) / 50);
    expect(colours).toBeGreaterThan(16);
    expect(errors).toEqual([]);
    expect(check.errors).toEqual([]);
    await check.page.close();
    await page.close();
  });

  it("says what was left out past the turn limit", async () => {
    const [client] = await socketPair();
    using sel = new DefaultSelector<string>();
    const explorer = new Explorer(sel, {
      file: join(dir, "limited.html"),
      program: "limited",
      limit: 2,
    });
    sel.register(client, EVENT_WRITE, "c");
    for (let i = 0; i < 5; i++) {
      expect(await sel.select(0)).toHaveLength(1);
      client.send(Buffer.from("x"));
    }
    explorer.save();
    const { page, errors } = await open("limited.html");
    expect(await counts(page)).toEqual({ calls: 5, sockets: 1 });
    expect(await page.locator("#omitted").innerText()).toBe(
      "Recorded the first 2 select() calls (the limit, --explore-limit 2). " +
        "Left out: 3 more select() calls, and after them 3 send.",
    );
    await page.keyboard.press("End");
    expect(await turn(page)).toBe(2);
    expect(errors).toEqual([]);
    await page.close();
  });
});
