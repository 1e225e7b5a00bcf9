// Guards that the Python peers (spec/peers/*.py) behave like the course's programs: app-client and
// app-server reproduce the transcripts in spec/fixtures/transcripts and put exactly the bytes of
// spec/fixtures/vectors on the wire. (The echo and multiconn peers are checked in spec/demos.spec.ts, where
// they run against each other and against our demos.) The whole file needs python3.
import { createServer, type Socket } from "node:net";

import { expect, it, onTestFinished } from "vitest";

import { connectWithRetry, freePort, HOST, readToEnd } from "../helpers/ports.ts";
import { describeNeeding } from "../helpers/needs-tool.ts";
import {
  loadTranscript,
  loadVector,
  maskPorts,
  pythonPeer,
  type Program,
} from "../helpers/process.ts";

/** The vectors app-client can produce: name, ACTION, VALUE. */
const CLIENT_VECTORS: [string, string, string][] = [
  ["search-morpheus", "search", "morpheus"],
  ["search-ring", "search", "ring"],
  ["search-dog", "search", "🐶"],
  ["search-miss", "search", 'neo "the one"'],
  // Any other action is sent as binary: the content is the UTF-8 bytes of ACTION + VALUE.
  ["binary", "double", "🐶 trouble"],
];

/** Every vector the server answers; `bad-action` is JSON with action "find", which app-client never sends. */
const SERVER_VECTORS = [...CLIENT_VECTORS.map(([name]) => name), "bad-action"];

/** Start app-server on a free port and wait for its `Listening on` line. */
async function startAppServer(): Promise<{ server: Program; port: number }> {
  const port = await freePort();
  const server = pythonPeer("app-server", [HOST, String(port)]);
  await server.waitForLine(/^Listening on /);
  return { server, port };
}

describeNeeding("python3", "Python app peers", () => {
  it("app-client and app-server reproduce the transcripts", async () => {
    const { server, port } = await startAppServer();
    const requests: [string, string][] = [
      ["search", "morpheus"],
      ["search", "🐶"],
      ["search", "neo"],
      ["find", "x"],
    ];
    const clientOutputs: string[] = [];
    for (const [action, value] of requests) {
      const exit = await pythonPeer("app-client", [
        HOST,
        String(port),
        action,
        value,
      ]).waitForExit();
      expect(exit.stderr).toBe("");
      expect(exit.code).toBe(0);
      clientOutputs.push(exit.stdout);
    }
    expect(maskPorts(clientOutputs[0] ?? "")).toBe(
      maskPorts(loadTranscript("app-client-search-morpheus").lines),
    );
    expect(maskPorts(clientOutputs[3] ?? "")).toBe(
      maskPorts(loadTranscript("app-client-binary").lines),
    );

    await server.waitForLines(/^Closing connection to /, requests.length);
    server.signal("SIGINT");
    const exit = await server.waitForExit();
    const transcript = loadTranscript("app-server");
    expect(maskPorts(exit.stdout)).toBe(maskPorts(transcript.lines));
    expect(exit.stderr).toBe("");
    expect(exit.code).toBe(transcript.rc);
  });

  it("app-client with the wrong argument count prints its usage line and exits 1", async () => {
    const transcript = loadTranscript("app-client-usage");
    for (const args of [[], [HOST, "1", "search"], [HOST, "1", "search", "x", "extra"]]) {
      const exit = await pythonPeer("app-client", args).waitForExit();
      expect(exit.stdout).toBe(transcript.lines);
      expect(exit.code).toBe(transcript.rc);
    }
  });

  it("app-server with the wrong argument count prints its usage line and exits 1", async () => {
    for (const args of [[], [HOST], [HOST, "1", "extra"]]) {
      const exit = await pythonPeer("app-server", args).waitForExit();
      expect(exit.stdout).toBe("Usage: app-server.py <host> <port>\n");
      expect(exit.code).toBe(1);
    }
  });

  it("app-client reports a refused connection through the main loop and exits 0", async () => {
    const port = await freePort(); // nothing listens there
    const exit = await pythonPeer("app-client", [HOST, String(port), "search", "x"]).waitForExit();
    const out = maskPorts(exit.stdout);
    expect(out).toMatch(
      /^Starting connection to \('127\.0\.0\.1', <P0>\)\n(Sending b'.*' to \('127\.0\.0\.1', <P0>\)\n)?Main: Error: Exception for \('127\.0\.0\.1', <P0>\):\nTraceback \(most recent call last\):\n/,
    );
    expect(out).toMatch(
      /\nConnectionRefusedError: \[Errno 111\] Connection refused\n\nClosing connection to \('127\.0\.0\.1', <P0>\)\n$/,
    );
    expect(exit.code).toBe(0);
  });

  for (const [name, action, value] of CLIENT_VECTORS) {
    it(`app-client ${action} ${JSON.stringify(value)} sends exactly ${name}.req`, async () => {
      const req = loadVector(name, "req");
      const res = loadVector(name, "res");
      const port = await freePort();
      const received: Buffer[] = [];
      let answered = false;
      const capture = createServer((socket: Socket) => {
        socket.on("data", (chunk: Buffer) => {
          received.push(chunk);
          // Answer as the server would once a whole request is in: the response, then close.
          if (!answered && Buffer.concat(received).length >= req.length) {
            answered = true;
            socket.end(res);
          }
        });
      });
      onTestFinished(() => {
        capture.close();
      });
      await new Promise<void>((resolve) => capture.listen(port, HOST, resolve));

      const exit = await pythonPeer("app-client", [
        HOST,
        String(port),
        action,
        value,
      ]).waitForExit();
      expect(Buffer.concat(received).toString("hex")).toBe(req.toString("hex"));
      expect(exit.stderr).toBe("");
      expect(exit.code).toBe(0);
      expect(exit.stdout).toMatch(/\nGot (result|response): .*\nClosing connection to /);
    });
  }

  for (const name of SERVER_VECTORS) {
    it(`app-server answers ${name}.req with exactly ${name}.res`, async () => {
      const { server, port } = await startAppServer();
      const sock = await connectWithRetry(port, HOST, 10_000);
      sock.write(loadVector(name, "req"));
      const answer = await readToEnd(sock);
      expect(answer.toString("hex")).toBe(loadVector(name, "res").toString("hex"));
      await server.waitForLine(/^Closing connection to /);
      expect(server.stderr).toBe("");
    });
  }

  it("app-server reports a peer that closes without a request, and goes on serving", async () => {
    const { server, port } = await startAppServer();
    const sock = await connectWithRetry(port, HOST, 10_000);
    sock.end();
    await readToEnd(sock);
    await server.waitForLine(/^Closing connection to /);
    expect(maskPorts(server.stdout)).toMatch(
      /\nMain: Error: Exception for \('127\.0\.0\.1', <P1>\):\nTraceback \(most recent call last\):\n[\s\S]*\nRuntimeError: Peer closed\.\n\nClosing connection to \('127\.0\.0\.1', <P1>\)\n$/,
    );

    const again = await connectWithRetry(port, HOST, 10_000);
    again.write(loadVector("search-ring", "req"));
    expect((await readToEnd(again)).equals(loadVector("search-ring", "res"))).toBe(true);
  });

  it("app-server rejects a JSON header without a required key", async () => {
    const { server, port } = await startAppServer();
    const header = Buffer.from(
      '{"content-type": "text/json", "content-encoding": "utf-8", "content-length": 2}',
    );
    const frame = Buffer.concat([Buffer.from([0, header.length]), header, Buffer.from("{}")]);
    const sock = await connectWithRetry(port, HOST, 10_000);
    sock.write(frame);
    expect((await readToEnd(sock)).length).toBe(0); // closed without an answer
    await server.waitForLine(/^Closing connection to /);
    expect(server.stdout).toMatch(
      /\nValueError: Missing required header 'byteorder'\.\n\nClosing connection to /,
    );
  });
});
