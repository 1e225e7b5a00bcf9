// The explorer's recording (--explore): what each select() returned and what the program did with each key.
// The page itself is tested in a real browser, in explorer.browser.spec.ts.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { describe, expect, it, onTestFinished } from "vitest";

import { BlockingIOError, KeyError } from "../lib/python/errors.ts";
import {
  Explorer,
  MAX_SHOWN_BYTES,
  explorerFromFlags,
  isRecording,
  type Recording,
} from "../lib/learn/explorer.ts";
import * as libserver from "../lib/app/libserver.ts";
import { printer } from "../lib/python/print.ts";
import { createMessage } from "../lib/app/protocol.ts";
import { repr } from "../lib/python/repr.ts";
import {
  DefaultSelector,
  EVENT_READ,
  EVENT_WRITE,
  EpollSelector,
  PollSelector,
  SelectSelector,
} from "../lib/python/selectors.ts";
import * as socket from "../lib/python/socket.ts";
import { Timeline } from "../lib/learn/timeline.ts";
import { freePort } from "./helpers/ports.ts";
import { tsDemo } from "./helpers/process.ts";
import { closeAfterTest, listeningSocket, socketPair } from "./helpers/selectors.ts";

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "explorer-"));
  onTestFinished(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** The page's embedded recordings, parsed back. */
function embedded(page: string): unknown {
  const match = /<script type="application\/json" id="recordings">(.*?)<\/script>/s.exec(page);
  expect(match, "the page embeds its recordings").not.toBeNull();
  return JSON.parse(match?.[1] ?? "null");
}

describe("Explorer", () => {
  it("records each select() call and what the program did with each ready key", async () => {
    const { listener, address } = await listeningSocket();
    using sel = new DefaultSelector<string | null>();
    const explorer = new Explorer(sel, { file: "unused.html", program: "scripted" });
    sel.register(listener, EVENT_READ, null);
    const peer = closeAfterTest(socket.socket());
    peer.settimeout(5);
    await peer.connect(address);

    expect((await sel.select()).map(([key, mask]) => [key.data, mask])).toEqual([[null, 1]]);
    const [blocking, addr] = listener.accept();
    const conn = closeAfterTest(blocking.setblocking(false));
    sel.register(conn, EVENT_READ, "conn");
    expect(() => conn.recv(10)).toThrow(BlockingIOError);

    await peer.sendall(Buffer.from("hello"));
    expect((await sel.select()).map(([key, mask]) => [key.data, mask])).toEqual([["conn", 1]]);
    expect(conn.recv(1024).toString()).toBe("hello");
    sel.modify(conn, EVENT_WRITE, "conn");

    expect((await sel.select()).map(([key, mask]) => [key.data, mask])).toEqual([["conn", 2]]);
    const big = Buffer.alloc(1 << 20, "x");
    const sent = conn.send(big);
    expect(sent).toBeLessThan(big.length);
    const connFd = conn.fileno();
    sel.unregister(conn);
    conn.close();

    const recording = explorer.recording();
    expect(recording.program).toBe("scripted");
    expect(recording.calls).toBe(3);
    expect(recording.sockets).toEqual([
      { label: `fd ${listener.fileno()} ${repr(address)}`, opened: 0, closed: null },
      { label: `fd ${connFd} ${repr(addr)}`, opened: 1, closed: 3 },
    ]);
    expect(recording.before).toEqual([[0, "register", "register(events=R, data=None)"]]);
    const [first, second, third] = recording.turns;
    expect(first?.n).toBe(1);
    expect(first?.timeout).toBeNull();
    expect(first?.ready).toEqual([[0, EVENT_READ]]);
    expect(first?.actions.map(([id, kind]) => [id, kind])).toEqual([
      [0, "accept"],
      [1, "register"],
      [1, "error"],
    ]);
    expect(first?.actions[0]?.[2]).toMatch(
      /^accept\(\) → new socket fd \d+ from \('127\.0\.0\.1', \d+\)$/,
    );
    expect(first?.actions[1]?.[2]).toBe("register(events=R, data='conn')");
    expect(first?.actions[2]?.[2]).toBe(
      "recv(10) raised BlockingIOError(11, 'Resource temporarily unavailable')",
    );
    expect(recording.beforeData).toEqual([[0, "None"]]);
    // The ready key's data, then the data of the key registered in the turn.
    expect(first?.data).toEqual([
      [0, "None"],
      [1, "'conn'"],
    ]);
    expect(second?.ready).toEqual([[1, EVENT_READ]]);
    expect(second?.actions).toEqual([
      [1, "recv", "recv(1024) → 5 bytes: b'hello'"],
      [1, "modify", "modify(R → W)"],
    ]);
    expect(second?.data).toEqual([[1, "'conn'"]]);
    expect(third?.ready).toEqual([[1, EVENT_WRITE]]);
    const [send, unregister, close] = third?.actions ?? [];
    expect(send?.[1]).toBe("send");
    expect(send?.[2]).toBe(
      `send(1,048,576 bytes) → ${sent} (partial: ${(big.length - sent).toLocaleString("en-US")} bytes not taken): ` +
        `b'${"x".repeat(MAX_SHOWN_BYTES)}'… (${(sent - MAX_SHOWN_BYTES).toLocaleString("en-US")} more bytes not shown)`,
    );
    expect(unregister).toEqual([1, "unregister", "unregister()"]);
    expect(close).toEqual([1, "close", "close()"]);
    expect(recording.omitted).toEqual({});
  });

  it("notes the selector's errors on the socket's row", async () => {
    const [client] = await socketPair();
    using sel = new DefaultSelector<string>();
    const explorer = new Explorer(sel, { file: "unused.html" });
    const fd = client.fileno();
    sel.register(client, EVENT_READ, "c");
    expect(() => sel.register(client, EVENT_READ, "c")).toThrow(KeyError);
    sel.unregister(client);
    expect(() => sel.modify(client, EVENT_WRITE, "c")).toThrow(KeyError);
    const recording = explorer.recording();
    expect(recording.sockets).toHaveLength(1);
    expect(recording.sockets[0]?.label).toBe(`fd ${fd} ${repr(client.getpeername())}`);
    expect(recording.before.map(([id, kind]) => [id, kind])).toEqual([
      [0, "register"],
      [0, "error"],
      [0, "unregister"],
      [0, "error"],
    ]);
    expect(recording.before[1]?.[2]).toMatch(
      /^register\(\) raised KeyError\(.*is already registered/,
    );
    expect(recording.before[3]?.[2]).toMatch(/^modify\(\) raised KeyError\(.*is not registered/);
  });

  it("stops recording at its limit and counts what it left out", async () => {
    const [client] = await socketPair();
    using sel = new DefaultSelector<string>();
    const explorer = new Explorer(sel, { file: "unused.html", program: "limited", limit: 2 });
    sel.register(client, EVENT_WRITE, "c");
    for (let i = 0; i < 4; i++) {
      expect(await sel.select(0)).toHaveLength(1);
      client.send(Buffer.from("x"));
    }
    sel.unregister(client);
    const recording = explorer.recording();
    expect(recording.calls).toBe(4);
    expect(recording.turns.map((t) => t.n)).toEqual([1, 2]);
    expect(recording.turns.map((t) => t.actions.map(([, kind]) => kind))).toEqual([
      ["send"],
      ["send"],
    ]);
    expect(recording.omitted).toEqual({ send: 2, unregister: 1 });
  });

  it("shares the selector's observer with --timeline", async () => {
    const [client] = await socketPair();
    using sel = new DefaultSelector<string>();
    const timeline = new Timeline(sel);
    const explorer = new Explorer(sel, { file: "unused.html" });
    const later = new Timeline(sel);
    sel.register(client, EVENT_WRITE, "c");
    await sel.select(0);
    await sel.select(0);
    expect(timeline.length).toBe(2);
    expect(later.length).toBe(2);
    expect(explorer.recording().turns).toHaveLength(2);
  });

  it.each([
    ["EpollSelector", () => new EpollSelector<string>()],
    ["PollSelector", () => new PollSelector<string>()],
    ["SelectSelector", () => new SelectSelector<string>()],
  ])("records a %s", async (_name, make) => {
    const [client, server] = await socketPair();
    using sel = make();
    const explorer = new Explorer(sel, { file: "unused.html" });
    sel.register(server, EVENT_READ, "s");
    client.send(Buffer.from("ping"));
    for (const [key] of await sel.select(5)) key.fileobj.recv(16);
    expect(explorer.recording().turns.map((t) => [t.ready, t.actions])).toEqual([
      [[[0, EVENT_READ]], [[0, "recv", "recv(16) → 4 bytes: b'ping'"]]],
    ]);
  });

  it("shows a Message's phase and buffers as a request arrives in pieces", async () => {
    const [client, server] = await socketPair();
    using sel = new DefaultSelector<libserver.Message | null>();
    const explorer = new Explorer(sel, { file: "unused.html" });
    const message = new libserver.Message(sel, server, ["127.0.0.1", 1], { log: printer(true) });
    sel.register(server, EVENT_READ, message);
    const frame = createMessage({
      content: Buffer.from('{"action": "search", "value": "morpheus"}'),
      contentType: "text/json",
      contentEncoding: "utf-8",
    });
    const hdrlen = frame.readUInt16BE(0);
    /** Bytes taken by the phases done, by phase: with the buffered ones, all that was received. */
    const consumed = (phase: string): number =>
      ({ "proto-header": 0, "JSON header": 2, content: 2 + hdrlen })[phase] ?? frame.length;
    const cuts = [1, 10, frame.length - 5, frame.length];
    const seen: [string, number][] = [];
    let from = 0;
    for (const cut of cuts) {
      expect(client.send(frame.subarray(from, cut))).toBe(cut - from);
      from = cut;
      // Bytes may come in more than one read: go on until all sent so far are in.
      while (consumed(message.phase) + message.receivedBytes < cut) {
        for (const [key, mask] of await sel.select(5)) key.data?.processEvents(mask);
      }
      seen.push([message.phase, message.receivedBytes]);
    }
    expect(seen).toEqual([
      ["proto-header", 1],
      ["JSON header", 8],
      ["content", frame.length - 5 - 2 - hdrlen],
      ["request read", 0],
    ]);
    expect(message.queuedBytes).toBe(0);
    const data = explorer.recording().turns.flatMap((t) => t.data.map(([, text]) => text));
    expect(data.at(-1)).toBe(
      "Message phase: request read; receive buffer 0 bytes, send buffer 0 bytes",
    );
    message.createResponse();
    expect(message.phase).toBe("response queued");
    expect(message.queuedBytes).toBeGreaterThan(0);
    message.close();
    expect(message.phase).toBe("closed");
  });

  it("writes a page whose embedded data cannot close its script element, or JSON", async () => {
    const [client, server] = await socketPair();
    using sel = new DefaultSelector<string>();
    const dir = tempDir();
    const explorer = new Explorer(sel, { file: join(dir, "run.html"), program: "page" });
    sel.register(server, EVENT_READ, "s");
    client.send(Buffer.from("</script><b>x</b>"));
    for (const [key] of await sel.select(5)) key.fileobj.recv(1024);
    expect(explorer.save()).toBe(
      `Explorer page written to ${join(dir, "run.html")} (1 select() call, 1 socket)`,
    );
    const page = readFileSync(join(dir, "run.html"), "utf8");
    expect(page.startsWith("<!doctype html>")).toBe(true);
    expect(page).not.toMatch(/https?:\/\//);
    expect(page).toContain("\\u003c/script>\\u003cb>x\\u003c/b>");
    const recordings = embedded(page);
    const recording: unknown = Array.isArray(recordings) ? recordings[0] : null;
    if (!isRecording(recording)) throw new Error("the page's data is not a recording");
    expect(recording.turns[0]?.actions[0]?.[2]).toBe("recv(1024) → 17 bytes: b'</script><b>x</b>'");

    const json = new Explorer(sel, { file: join(dir, "run.json") });
    expect(json.save()).toMatch(
      /^Explorer recording written to .*run\.json \(0 select\(\) calls, 0 sockets\)$/,
    );
    expect(isRecording(JSON.parse(readFileSync(join(dir, "run.json"), "utf8")))).toBe(true);
    const exitCode = process.exitCode;
    expect(new Explorer(sel, { file: join(dir, "missing", "x.html") }).save()).toMatch(
      /^Error: could not write '.*x\.html': ENOENT/,
    );
    expect(process.exitCode).toBe(1);
    process.exitCode = exitCode;
  });
});

describe("--explore on the multiconn demos", () => {
  it("records both sides: accepts, sends, echoes, closes", async () => {
    const dir = tempDir();
    const port = String(await freePort());
    const server = tsDemo("multiconn-server", [
      "127.0.0.1",
      port,
      "--explore",
      join(dir, "server.json"),
    ]);
    await server.waitForLine(/^Listening on /);
    // The course's client spins on always-writable sockets until the echoes come, a turn each time: on a busy
    // machine that can pass the default 10,000 recorded turns before its closes, so it records them all.
    const client = tsDemo("multiconn-client", [
      "127.0.0.1",
      port,
      "2",
      "-q",
      "--explore",
      join(dir, "client.json"),
      "--explore-limit",
      "10000000",
    ]);
    const clientExit = await client.waitForExit();
    expect(clientExit.code).toBe(0);
    expect(clientExit.stdout).toMatch(
      /^Explorer recording written to .*client\.json \([\d,]+ select\(\) calls, 2 sockets\)$/m,
    );
    // Both closes seen by the server before Ctrl-C.
    await server.waitForLines(/^Closing connection to /, 2);
    server.signal("SIGINT");
    const serverExit = await server.waitForExit();
    expect(serverExit.stdout).toMatch(
      /^Explorer recording written to .*server\.json \([\d,]+ select\(\) calls, 3 sockets\)$/m,
    );

    const read = (name: string): Recording => {
      const recording: unknown = JSON.parse(readFileSync(join(dir, name), "utf8"));
      if (!isRecording(recording)) throw new Error(`${name} is not a recording`);
      return recording;
    };
    const texts = (recording: Recording, kind: string): string[] =>
      recording.turns.flatMap((t) =>
        t.actions.filter(([, k]) => k === kind).map(([, , text]) => text),
      );
    const clientRun = read("client.json");
    expect(clientRun.program).toBe(`multiconn-client.ts 127.0.0.1 ${port} 2 -q`);
    expect(clientRun.omitted).toEqual({});
    expect(clientRun.before.map(([id, kind]) => [id, kind])).toEqual([
      [0, "register"],
      [1, "register"],
    ]);
    expect(texts(clientRun, "send").sort()).toEqual([
      "send(22 bytes) → 22: b'Message 1 from client.'",
      "send(22 bytes) → 22: b'Message 1 from client.'",
      "send(22 bytes) → 22: b'Message 2 from client.'",
      "send(22 bytes) → 22: b'Message 2 from client.'",
    ]);
    expect(texts(clientRun, "close")).toHaveLength(2);
    expect(clientRun.sockets.map((row) => row.closed)).not.toContain(null);

    const serverRun = read("server.json");
    expect(texts(serverRun, "accept")).toHaveLength(2);
    // The echo: each connection's bytes come back (in one or more sends).
    const echoed = texts(serverRun, "send").join("");
    expect(echoed.match(/Message 1 from client\./g)).toHaveLength(2);
    expect(echoed.match(/Message 2 from client\./g)).toHaveLength(2);
    expect(
      texts(serverRun, "recv").filter((text) => text.includes("the peer closed")),
    ).toHaveLength(2);
    const data = serverRun.turns.flatMap((t) => t.data.map(([, text]) => text));
    expect(data).toContain("None");
    expect(
      data.some((text) => /^\{'addr': \('127\.0\.0\.1', \d+\), 'inb': b'', 'outb': b'/.test(text)),
    ).toBe(true);
  });
});

describe("--explore and --explore-limit", () => {
  it("are checked", () => {
    using sel = new DefaultSelector();
    expect(explorerFromFlags(sel, {})).toBeNull();
    expect(explorerFromFlags(sel, { "explore-limit": "5" })).toBe(
      "Error: --explore-limit needs --explore FILE",
    );
    expect(explorerFromFlags(sel, { explore: "" })).toBe("Error: --explore needs a file name");
    for (const bad of ["0", "-1", "1.5", "many", ""]) {
      expect(explorerFromFlags(sel, { explore: "x.html", "explore-limit": bad })).toBe(
        `Error: --explore-limit wants a whole number ≥ 1, not ${repr(bad)}`,
      );
    }
    expect(explorerFromFlags(sel, { explore: "x.html", "explore-limit": "3" })).toBeInstanceOf(
      Explorer,
    );
  });

  it("a bad limit gets the demo's usage line", async () => {
    const port = await freePort();
    const client = tsDemo("app-client", [
      "127.0.0.1",
      String(port),
      "search",
      "x",
      "--explore",
      "x.html",
      "--explore-limit",
      "0",
    ]);
    const { code, stdout, stderr } = await client.waitForExit();
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toBe(
      "Error: --explore-limit wants a whole number ≥ 1, not '0'\nUsage: app-client.ts <host> <port> <action> <value>\n",
    );
  });
});
