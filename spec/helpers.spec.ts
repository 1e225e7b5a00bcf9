// Sanity tests for the test helpers: spec/helpers/process.ts and spec/helpers/ports.ts.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

import { describe, expect, it, onTestFinished } from "vitest";

import {
  connectWithRetry,
  freePort,
  HOST,
  isListening,
  readToEnd,
  waitForListening,
} from "./helpers/ports.ts";
import { describeNeeding } from "./helpers/needs-tool.ts";
import {
  loadTranscript,
  loadVector,
  maskPorts,
  pythonExecutable,
  spawnProgram,
  tsDemo,
  tsProgram,
} from "./helpers/process.ts";
import {
  inCI,
  installHint,
  locateTool,
  missingReason,
  skipLines,
  skipMarker,
} from "./helpers/tools.ts";

/** A node:net server on `port`, closed when the test finishes. Calls `onConnection` for each client. */
async function listen(
  port: number,
  onConnection: Parameters<typeof createServer>[1],
): Promise<Server> {
  const server = createServer(onConnection);
  onTestFinished(() => {
    server.close();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, HOST, () => {
      resolve();
    });
  });
  return server;
}

describe("maskPorts", () => {
  it("makes two runs with different ports compare equal, keeping which connection is which", () => {
    const { lines } = loadTranscript("multiconn-server");
    const rerun = lines
      .replaceAll("7020", "40111")
      .replaceAll("55892", "38000")
      .replaceAll("55894", "38002");
    expect(rerun).not.toBe(lines);
    expect(maskPorts(rerun)).toBe(maskPorts(lines));
    expect(maskPorts(lines).split("\n").slice(0, 4)).toEqual([
      "Listening on ('127.0.0.1', <P0>)",
      "Accepted connection from ('127.0.0.1', <P1>)",
      "Accepted connection from ('127.0.0.1', <P2>)",
      "Echoing b'Message 1 from client.' to ('127.0.0.1', <P1>)",
    ]);
  });

  it("numbers ports by first appearance, not by value", () => {
    expect(maskPorts("('127.0.0.1', 9) ('127.0.0.1', 5) ('127.0.0.1', 9)")).toBe(
      "('127.0.0.1', <P0>) ('127.0.0.1', <P1>) ('127.0.0.1', <P0>)",
    );
  });

  it("masks IPv6 four-tuples and leaves other numbers alone", () => {
    expect(maskPorts("Accepted connection from ('::1', 7021, 0, 0) after 7021 tries")).toBe(
      "Accepted connection from ('::1', <P0>, 0, 0) after 7021 tries",
    );
    expect(maskPorts("Got result: (1, 2) and ('a', 'b')")).toBe(
      "Got result: (1, 2) and ('a', 'b')",
    );
  });
});

describe("loadTranscript", () => {
  it("splits off the trailing rc line", () => {
    expect(loadTranscript("multiconn-server-usage")).toEqual({
      lines: "Usage: multiconn-server.py <host> <port>\n",
      rc: 1,
    });
  });

  it("returns rc null when the transcript records no exit status", () => {
    expect(loadTranscript("echo-client")).toEqual({
      lines: "Received b'Hello, world'\n",
      rc: null,
    });
  });

  it("reads wire vectors as bytes", () => {
    const req = loadVector("search-morpheus", "req");
    expect(req.readUInt16BE(0)).toBe(0x67);
    expect(req.subarray(2 + 0x67).toString("utf8")).toBe(
      '{"action": "search", "value": "morpheus"}',
    );
  });
});

describe("spawnProgram", () => {
  it("reports exit code, stdout and stderr", async () => {
    const program = spawnProgram("sh", ["-c", "echo out; echo err >&2; exit 3"]);
    await expect(program.waitForExit()).resolves.toEqual({
      code: 3,
      signal: null,
      stdout: "out\n",
      stderr: "err\n",
    });
  });

  it("reports a program that cannot be started instead of hanging", async () => {
    const program = spawnProgram("/nonexistent/program", []);
    const exit = await program.waitForExit();
    expect(exit.code).toBeNull();
    expect(exit.stderr).toMatch(/ENOENT/);
  });

  it("kills the whole process group, grandchildren included", async () => {
    // The grandchild `sleep` holds stdout open: `exited` (which waits for the streams to close) can only
    // settle once it is dead too.
    const program = spawnProgram("sh", ["-c", "sleep 30 & echo started; wait"]);
    await program.waitForLine(/^started$/);
    const exit = await program.kill();
    expect(exit.signal).toBe("SIGKILL");
  });
});

describe("tsProgram and tsDemo (the build made for the test run)", () => {
  it("run a demo as tsx does: the usage line names the .ts file, exit status 1", async () => {
    const exit = await tsDemo("app-client", []).waitForExit();
    expect(exit).toEqual({
      code: 1,
      signal: null,
      stdout: "Usage: app-client.ts <host> <port> <action> <value>\n",
      stderr: "",
    });
  });

  it("leave NODE_EXTRA_CA_CERTS out of a program's environment (Node would read it at start-up)", async () => {
    // Node warns on stderr at start-up when the file it names cannot be read.
    const env = { ...process.env, NODE_EXTRA_CA_CERTS: "/nonexistent/certificates.pem" };
    const exit = await tsDemo("app-client", [], { env }).waitForExit();
    expect(exit.stderr).toBe("");
    expect(exit.code).toBe(1);
  });

  it("refuse a project .ts file that was not built, naming it", () => {
    expect(() => tsProgram("lib/index.ts", [])).toThrow(
      "lib/index.ts was not built for this test run",
    );
  });

  it("agree with tsx itself, as the README runs a demo (node --import tsx demos/NAME.ts)", async () => {
    const viaTsx = await spawnProgram(process.execPath, [
      "--import",
      "tsx",
      "demos/multiconn-client.ts",
      "127.0.0.1",
    ]).waitForExit();
    const viaBuild = await tsDemo("multiconn-client", ["127.0.0.1"]).waitForExit();
    expect(viaTsx).toEqual({
      code: 1,
      signal: null,
      stdout: "Usage: multiconn-client.ts <host> <port> <num_connections>\n",
      stderr: "",
    });
    expect(viaBuild).toEqual(viaTsx);
  });
});

describeNeeding("python3", "spawnProgram with python3", () => {
  // The interpreter by its own path, without the site module, as pythonPeer() starts it (see there).
  const python = pythonExecutable() ?? "python3";
  const script = [
    "import sys",
    "print('first')",
    "print('second')",
    "line = sys.stdin.readline()",
    "print('got ' + line.strip())",
    "print('bye', file=sys.stderr)",
  ].join("\n");

  it("waitForLine finds lines printed before and after the call", async () => {
    const program = spawnProgram(python, ["-S", "-u", "-c", script]);
    expect(await program.waitForLine(/^second$/)).toBe("second");
    expect(await program.waitForLine(/^first$/)).toBe("first"); // already printed
    expect(await program.waitForLines(/^(first|second)$/, 2)).toEqual(["first", "second"]);
    program.closeStdin();
    expect(await program.waitForLine(/^got/)).toBe("got ");
    const exit = await program.waitForExit();
    expect(exit).toEqual({
      code: 0,
      signal: null,
      stdout: "first\nsecond\ngot \n",
      stderr: "bye\n",
    });
  });

  it("waitForLine rejects with the output so far when the program exits first", async () => {
    const program = spawnProgram(python, ["-S", "-c", "print('only line'); raise SystemExit(2)"]);
    await expect(program.waitForLine(/never/)).rejects.toThrow(
      /exited with code 2[\s\S]*only line/,
    );
  });

  it("waitForLine rejects with the output so far when the wait runs out", async () => {
    const program = spawnProgram(python, ["-S", "-u", "-c", "print('waiting'); input()"]);
    await program.waitForLine(/^waiting$/);
    await expect(program.waitForLine(/never/, 100)).rejects.toThrow(
      /after 100 ms[\s\S]*still running[\s\S]*waiting/,
    );
  });

  it("waitForExit rejects with the output so far when the program outlives the bound", async () => {
    const program = spawnProgram(python, ["-S", "-u", "-c", "print('still here'); input()"]);
    await program.waitForLine(/^still here$/);
    await expect(program.waitForExit(100)).rejects.toThrow(
      /still running after 100 ms[\s\S]*still here/,
    );
  });

  it("signal() delivers SIGINT like Ctrl-C: uncaught KeyboardInterrupt kills python by SIGINT", async () => {
    const program = spawnProgram(python, ["-S", "-u", "-c", "print('ready'); input()"]);
    await program.waitForLine(/^ready$/);
    program.signal("SIGINT");
    const exit = await program.waitForExit();
    expect(exit.signal).toBe("SIGINT");
    expect(exit.stderr).toMatch(/KeyboardInterrupt\n$/);
  });
});

describe("ports", () => {
  it("freePort returns a port that can then be bound", async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    expect(port).toBeLessThan(65536);
    await listen(port, (socket) => socket.end());
  });

  it("connectWithRetry waits for a server that starts listening a little later", async () => {
    const port = await freePort();
    const connecting = connectWithRetry(port, HOST, 5_000);
    // The scenario: the server comes up 150 ms after the first attempts were refused.
    const late = setTimeout(() => {
      void listen(port, (socket) => socket.end("hello"));
    }, 150);
    onTestFinished(() => {
      clearTimeout(late);
    });
    const socket = await connecting;
    expect((await readToEnd(socket)).toString()).toBe("hello");
  });

  it("connectWithRetry gives up at its deadline", async () => {
    const port = await freePort();
    await expect(connectWithRetry(port, HOST, 200)).rejects.toThrow(
      /still refused after \d+ attempts/,
    );
  });

  it("isListening and waitForListening see a listener without connecting to it", async () => {
    const port = await freePort();
    expect(isListening(port)).toBe(false);
    let connections = 0;
    await listen(port, (socket) => {
      connections++;
      socket.end();
    });
    expect(isListening(port)).toBe(true);
    await waitForListening(port, 1_000);
    expect(connections).toBe(0);
  });

  it("waitForListening gives up at its deadline", async () => {
    const port = await freePort();
    await expect(waitForListening(port, 100)).rejects.toThrow(/nothing listened on port/);
  });
});

describe("tools (spec/helpers/tools.ts)", () => {
  /** A fresh folder, deleted when the test finishes. */
  function folder(): string {
    const dir = mkdtempSync(join(tmpdir(), "tools-spec-"));
    onTestFinished(() => {
      rmSync(dir, { recursive: true, force: true });
    });
    return dir;
  }

  /** An executable shell script at `dir/name` that runs `body`. */
  function script(dir: string, name: string, body: string): string {
    mkdirSync(dir, { recursive: true });
    const path = join(dir, name);
    writeFileSync(path, `#!/bin/sh\n${body}\n`);
    chmodSync(path, 0o755);
    return path;
  }

  it("finds a browser by CHROME_PATH first, then CHROMIUM_PATH, then its names on PATH in order", () => {
    const dir = folder();
    const bin1 = join(dir, "bin1");
    const bin2 = join(dir, "bin2");
    const stable = script(bin1, "google-chrome-stable", "exit 0");
    const browser = script(bin2, "chromium-browser", "exit 0");
    const PATH = [bin1, bin2].join(delimiter);
    // chromium-browser comes before google-chrome-stable in the list, whatever PATH's order.
    expect(locateTool("chromium", { PATH })).toBe(browser);
    const named = script(dir, "my-chrome", "exit 0");
    expect(locateTool("chromium", { PATH, CHROMIUM_PATH: stable })).toBe(stable);
    expect(locateTool("chromium", { PATH, CHROME_PATH: named, CHROMIUM_PATH: stable })).toBe(named);
    // A variable that names no executable is passed over.
    expect(locateTool("chromium", { PATH, CHROME_PATH: join(dir, "absent") })).toBe(browser);
    writeFileSync(join(dir, "not-executable"), "");
    expect(locateTool("chromium", { PATH, CHROME_PATH: join(dir, "not-executable") })).toBe(
      browser,
    );
    expect(locateTool("chromium", { PATH: bin1, CHROME_PATH: bin2 })).toBe(stable); // a folder is no browser
  });

  it("finds nothing on an empty PATH, and nothing that SELECTORS_TS_HIDE_TOOLS hides", () => {
    const dir = folder();
    const tshark = script(dir, "tshark", "exit 0");
    expect(locateTool("tshark", { PATH: dir })).toBe(tshark);
    expect(locateTool("tshark", { PATH: dir, SELECTORS_TS_HIDE_TOOLS: "python3, tshark" })).toBe(
      null,
    );
    expect(locateTool("tshark", { PATH: join(dir, "empty") })).toBe(null);
    const chrome = script(dir, "chrome", "exit 0");
    expect(
      locateTool("chromium", {
        PATH: dir,
        CHROME_PATH: chrome,
        SELECTORS_TS_HIDE_TOOLS: "chromium",
      }),
    ).toBe(null);
  });

  it("python3 is the interpreter's own path, and a python3 that does not run is none", () => {
    const dir = folder();
    script(join(dir, "works"), "python3", `echo ${join(dir, "real-python")}`);
    script(
      join(dir, "broken"),
      "python3",
      "echo 'pyenv: python3: command not found' >&2; exit 127",
    );
    expect(locateTool("python3", { PATH: join(dir, "works") })).toBe(join(dir, "real-python"));
    expect(locateTool("python3", { PATH: join(dir, "broken") })).toBe(null);
    // The first that runs wins.
    const both = [join(dir, "broken"), join(dir, "works")].join(delimiter);
    expect(locateTool("python3", { PATH: both })).toBe(join(dir, "real-python"));
  });

  it("says how to install each tool, on Debian and on macOS", () => {
    expect(installHint("chromium", "linux")).toBe("apt-get install chromium, or set CHROME_PATH");
    expect(installHint("chromium", "darwin")).toBe(
      "brew install --cask chromium, or set CHROME_PATH",
    );
    expect(installHint("python3", "linux")).toBe("apt-get install python3");
    expect(installHint("tshark", "linux")).toBe("apt-get install tshark");
    expect(missingReason("chromium")).toMatch(/^no Chromium found \(install: .*CHROME_PATH\)$/);
  });

  it("CI is CI=true (or any value but false and 0)", () => {
    expect(inCI({ CI: "true" })).toBe(true);
    expect(inCI({ CI: "1" })).toBe(true);
    expect(inCI({ CI: "false" })).toBe(false);
    expect(inCI({ CI: "0" })).toBe(false);
    expect(inCI({})).toBe(false);
  });

  it("the summary counts skipped tests by their marker, one line per tool", () => {
    const test = (fullName: string, status: string): object => ({ fullName, status });
    const report = {
      testResults: [
        {
          assertionResults: [
            test(`the --explore page, in Chromium ${skipMarker("chromium")} one`, "skipped"),
            test(`the --explore page, in Chromium ${skipMarker("chromium")} two`, "pending"),
            test(`the --explore page, in Chromium ${skipMarker("chromium")} three`, "skipped"),
            test(`Python peers ${skipMarker("python3")} only one`, "skipped"),
            test(`Python peers ${skipMarker("python3")} ran anyway`, "failed"),
            test("a test skipped for another reason", "skipped"),
          ],
        },
        { assertionResults: [test(`x ${skipMarker("chromium")} four`, "skipped")] },
      ],
    };
    expect(skipLines(report)).toEqual([
      `skipped 4 browser tests: ${missingReason("chromium")}`,
      `skipped 1 Python interop test: ${missingReason("python3")}`,
    ]);
    expect(skipLines({ testResults: [] })).toEqual([]);
    expect(skipLines(null)).toEqual([]);
  });
});
