// `npm run demo`: the guided tour runs the app-server and five app-client requests, and exits 0.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { describe, expect, it, onTestFinished } from "vitest";

import { isRecording } from "../lib/learn/explorer.ts";
import { tsDemo } from "./helpers/process.ts";

describe("the guided demo (npm run demo)", () => {
  it("shows both sides of each request and stops the server with Ctrl-C (--explore: a page of all six runs)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tour-"));
    onTestFinished(() => {
      rmSync(dir, { recursive: true, force: true });
    });
    const page = join(dir, "tour.html");
    const tour = tsDemo("demo", ["--explore", page]);
    const { code, stdout, stderr } = await tour.waitForExit(60_000);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    for (const line of [
      "Got result: Follow the white rabbit. \u{1f430}",
      "Got result: In the caves beneath the Misty Mountains. \u{1f48d}",
      "Got result: \u{1f43e} Playing ball! \u{1f3d0}",
      "Got result: No match for 'neo'.",
      "Got response: b'First 10 bytes of request: findx'",
      "Received request {'action': 'search', 'value': 'morpheus'} from ('127.0.0.1', ",
      "Received binary/custom-client-binary-type request from ('127.0.0.1', ",
      "Caught keyboard interrupt, exiting",
      "The server exited with status 0.",
    ]) {
      expect(stdout).toContain(line);
    }
    expect(stdout.match(/^ {4}Closing connection to /gm)).toHaveLength(5);
    expect(stdout).not.toContain("Explorer recording written to");
    expect(stdout.trimEnd().split("\n").at(-1)).toBe(`Explorer page written to ${page} (6 runs)`);
    const data = /<script type="application\/json" id="recordings">(.*?)<\/script>/s.exec(
      readFileSync(page, "utf8"),
    );
    const runs: unknown = JSON.parse(data?.[1] ?? "null");
    expect(Array.isArray(runs) && runs.every(isRecording)).toBe(true);
    const programs = (Array.isArray(runs) ? runs : []).map((run: unknown) =>
      isRecording(run) ? run.program.replace(/ \d+( |$)/, " PORT$1") : null,
    );
    expect(programs).toEqual([
      "app-server.ts 127.0.0.1 PORT",
      "app-client.ts 127.0.0.1 PORT search morpheus",
      "app-client.ts 127.0.0.1 PORT search ring",
      "app-client.ts 127.0.0.1 PORT search \u{1f436}",
      "app-client.ts 127.0.0.1 PORT search neo",
      "app-client.ts 127.0.0.1 PORT find x",
    ]);
  }, 90_000);
});

describe("the guided demo with --capture FILE (npm run demo -- --capture FILE)", () => {
  it("runs in one process on a memory network, shows ss -tan at the end and writes the capture", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tour-"));
    onTestFinished(() => {
      rmSync(dir, { recursive: true, force: true });
    });
    const capture = join(dir, "tour.pcap");
    const tour = tsDemo("demo", ["--capture", capture]);
    const { code, stdout, stderr } = await tour.waitForExit(60_000);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toContain("Got result: Follow the white rabbit. \u{1f430}");
    expect(stdout).toContain("Got response: b'First 10 bytes of request: findx'");
    expect(stdout).toContain("  Listening on ('127.0.0.1', 65432)");
    // The server closes each connection first: its five ends wait in TIME-WAIT.
    expect(
      stdout.match(/^ {2}TIME-WAIT 0 +0 +127\.0\.0\.1:65432 +127\.0\.0\.1:327\d\d *$/gm),
    ).toHaveLength(5);
    expect(stdout).toContain(`Capture written to ${capture} (55 packets).`);
    const bytes = readFileSync(capture);
    expect(bytes.readUInt32LE(0)).toBe(0xa1b2c3d4);
  }, 90_000);

  it("refuses --capture with --explore", async () => {
    const tour = tsDemo("demo", ["--capture", "x.pcap", "--explore", "x.html"]);
    const { code, stderr } = await tour.waitForExit(60_000);
    expect(code).toBe(1);
    expect(stderr).toContain("Error: --capture runs the tour in one process");
  }, 90_000);
});
