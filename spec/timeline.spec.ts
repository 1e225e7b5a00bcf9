// The --timeline picture: one row per socket, one column per select() call, runs of identical calls folded.
import { describe, expect, it } from "vitest";

import { MemoryNetwork } from "../lib/transport/memory-network.ts";
import { repr } from "../lib/python/repr.ts";
import { DefaultSelector, EVENT_READ, EVENT_WRITE } from "../lib/python/selectors.ts";
import * as socket from "../lib/python/socket.ts";
import { Timeline } from "../lib/learn/timeline.ts";
import { freePort } from "./helpers/ports.ts";
import { tsDemo } from "./helpers/process.ts";

describe("Timeline", () => {
  it("pins a scripted run: accept, read, write twice (folded), read and write", async () => {
    // On the in-memory network: the timeline is above the socket, and the run is the same every time.
    using _network = new MemoryNetwork().install();
    using lsock = socket.socket();
    lsock.bind(["127.0.0.1", 0]);
    await lsock.listen();
    const port = lsock.getsockname()[1];
    using peer = socket.socket();
    using sel = new DefaultSelector<string>();
    const timeline = new Timeline(sel);
    sel.register(lsock.setblocking(false), EVENT_READ, "listener");

    await peer.connect(["127.0.0.1", Number(port)]);
    expect((await sel.select()).map(([k, m]) => [k.data, m])).toEqual([["listener", EVENT_READ]]);
    const [blocking] = lsock.setblocking(false).accept();
    using conn = blocking.setblocking(false);
    sel.register(conn, EVENT_READ, "conn");

    await peer.sendall(Buffer.from("x"));
    expect((await sel.select()).map(([k, m]) => [k.data, m])).toEqual([["conn", EVENT_READ]]);
    expect(conn.recv(10).toString()).toBe("x");
    sel.modify(conn, EVENT_WRITE, "conn");
    expect((await sel.select()).map(([, m]) => m)).toEqual([EVENT_WRITE]);
    expect((await sel.select()).map(([, m]) => m)).toEqual([EVENT_WRITE]);
    sel.modify(conn, EVENT_READ, "conn");
    await peer.sendall(Buffer.from("y"));
    expect((await sel.select()).map(([, m]) => m)).toEqual([EVENT_READ]);
    sel.modify(conn, EVENT_READ | EVENT_WRITE, "conn");
    expect((await sel.select()).map(([, m]) => m)).toEqual([EVENT_READ | EVENT_WRITE]);

    const listener = `fd ${lsock.fileno()} ('127.0.0.1', ${port})`;
    const connection = `fd ${conn.fileno()} ${repr(peer.getsockname())}`;
    const width = Math.max("select() call".length, listener.length, connection.length);
    expect(timeline.length).toBe(6);
    expect(timeline.render()).toBe(
      [
        `${"select() call".padEnd(width)}  1   2   3-4  5   6`,
        `${listener.padEnd(width)}  R   .   .    .   .`,
        `${connection.padEnd(width)}  .   R   W    R   RW`,
      ].join("\n"),
    );
  });

  it("says so when select() was never called", () => {
    using sel = new DefaultSelector();
    expect(new Timeline(sel).render()).toBe("select() was not called");
  });

  it("is printed at exit by a demo run with --timeline", async () => {
    // Nobody listens: the app-client's one select() reports its socket readable and writable (refused).
    const port = await freePort();
    const client = tsDemo("app-client", [
      "127.0.0.1",
      String(port),
      "search",
      "x",
      "-q",
      "--timeline",
    ]);
    const { code, stdout } = await client.waitForExit();
    expect(code).toBe(0);
    expect(stdout.trimEnd().split("\n").slice(-2)).toEqual([
      "select() call        1",
      "fd 4 ('0.0.0.0', 0)  RW",
    ]);
  });
});
