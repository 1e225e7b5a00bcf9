/**
 * The in-memory network (lib/transport/memory-network.ts): the course's Message classes over it, the test's controls
 * (deliveries of at most N bytes, hold and release, reset, refuse, manual steps), Python's errors, and install().
 * The socket and selector contract tests also run on it (the vitest project "memory wire").
 */
import { describe, expect, it } from "vitest";

import {
  BlockingIOError,
  BrokenPipeError,
  ConnectionRefusedError,
  ConnectionResetError,
  OSError,
  RuntimeError,
  TimeoutError,
} from "../lib/python/errors.ts";
import * as libclient from "../lib/app/libclient.ts";
import * as libserver from "../lib/app/libserver.ts";
import { MemoryNetwork } from "../lib/transport/memory-network.ts";
import { printer } from "../lib/python/print.ts";
import { DefaultSelector, EVENT_READ, EVENT_WRITE } from "../lib/python/selectors.ts";
import * as socket from "../lib/python/socket.ts";
import { waitUntilReady } from "../lib/testing/index.ts";
import { expectOSError, recvExactly, rejection, thrown } from "./helpers/sockets.ts";
import { memoryNetwork as network, track as closing } from "./helpers/sockets.ts";

/** A connected pair of blocking sockets on `net`: `[client, server]`. */
async function pair(net: MemoryNetwork): Promise<[socket.BlockingSocket, socket.BlockingSocket]> {
  const listener = closing(net.socket());
  listener.bind(["127.0.0.1", 0]);
  await listener.listen();
  const client = closing(net.socket());
  const [[server]] = await Promise.all([listener.accept(), client.connect(listener.getsockname())]);
  closing(server);
  return [client, server];
}

const QUIET = { log: printer(true) };

/**
 * The course's app-server and app-client loops, both in this process on `net`: the server accepts one connection
 * and answers it; the client sends `search <value>`. Returns the client's response and the sizes of the server's
 * reads.
 */
async function searchOver(net: MemoryNetwork, value: string): Promise<unknown> {
  const lsock = closing(net.socket());
  lsock.bind(["127.0.0.1", 65432]);
  await lsock.listen();
  const serverSel = closing(new DefaultSelector<libserver.Message | null>());
  serverSel.register(lsock.setblocking(false), EVENT_READ, null);

  const clientSel = closing(new DefaultSelector<libclient.Message>());
  const sock = closing(net.socket()).setblocking(false);
  const addr: socket.InetAddress = ["127.0.0.1", 65432];
  expect(sock.connectEx(addr)).toBe(115);
  const request = { type: "text/json", encoding: "utf-8", content: { action: "search", value } };
  const client = new libclient.Message(clientSel, sock, addr, request, QUIET);
  clientSel.register(sock, EVENT_READ | EVENT_WRITE, client);

  for (let turn = 0; turn < 10_000 && (clientSel.getMap()?.size ?? 0) > 0; turn++) {
    for (const [key, mask] of await serverSel.select(0)) {
      if (key.data === null) {
        const [conn, from] = lsock.setblocking(false).accept();
        const nb = conn.setblocking(false);
        serverSel.register(nb, EVENT_READ, new libserver.Message(serverSel, nb, from, QUIET));
      } else key.data.processEvents(mask);
    }
    for (const [key, mask] of await clientSel.select(0)) key.data.processEvents(mask);
  }
  return client.response;
}

describe("the course's Message classes over the memory network", () => {
  it("answer search morpheus, with deliveries of any size", async () => {
    expect(await searchOver(network(), "morpheus")).toEqual({
      result: "Follow the white rabbit. \u{1f430}",
    });
  });

  it("answer search morpheus with 1-byte deliveries: each recv gets one byte", async () => {
    const net = network({ chunkSize: 1 });
    const [client, server] = await pair(net);
    await client.sendall(Buffer.from("abc"));
    const reads = [await server.recv(1024), await server.recv(1024), await server.recv(1024)];
    expect(reads.map((b) => b.toString())).toEqual(["a", "b", "c"]);
    expect(await searchOver(net, "morpheus")).toEqual({
      result: "Follow the white rabbit. \u{1f430}",
    });
  });

  it("runs the same way every time: same ports, same answer", async () => {
    const first = network();
    const second = network();
    const [a] = await pair(first);
    const [b] = await pair(second);
    expect(b.getsockname()).toEqual(a.getsockname());
    expect(b.getpeername()).toEqual(a.getpeername());
    const ring = { result: "In the caves beneath the Misty Mountains. \u{1f48d}" };
    expect(await searchOver(first, "ring")).toEqual(ring);
    expect(await searchOver(second, "ring")).toEqual(ring);
  });
});

describe("the test's controls", () => {
  it("hold: the peer gets nothing, the sender's buffer fills and send() goes partial; release delivers all", async () => {
    const net = network();
    const [client, server] = await pair(net);
    const nb = client.setblocking(false);
    nb.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1000);
    net.outgoing(nb).hold();
    expect(net.outgoing(nb).isHeld).toBe(true);
    expect(nb.send(Buffer.alloc(600, 1))).toBe(600);
    expect(nb.send(Buffer.alloc(600, 2))).toBe(400);
    expectOSError(
      thrown(() => nb.send(Buffer.alloc(1))),
      BlockingIOError,
      11,
      "Resource temporarily unavailable",
    );
    net.settle();
    expect(net.outgoing(nb).inFlight).toBe(1000);
    const sel = closing(new DefaultSelector());
    sel.register(nb, EVENT_WRITE);
    expect(await sel.select(0)).toEqual([]);
    net.outgoing(nb).release();
    const got = await recvExactly(server, 1000);
    expect(got.subarray(0, 600)).toEqual(Buffer.alloc(600, 1));
    expect(got.subarray(600)).toEqual(Buffer.alloc(400, 2));
    expect((await sel.select(0)).map(([, mask]) => mask)).toEqual([EVENT_WRITE]);
  });

  it("a reset: both ends raise ConnectionResetError 104, once; then recv is b''", async () => {
    const net = network();
    const [client, server] = await pair(net);
    net.reset(client);
    net.settle();
    for (const s of [client, server]) {
      const nb = s.setblocking(false);
      expectOSError(
        thrown(() => nb.recv(10)),
        ConnectionResetError,
        104,
        "Connection reset by peer",
      );
      expect(nb.recv(10).length).toBe(0);
    }
  });

  it("refuse(): connecting is refused (111) even while something listens there", async () => {
    const net = network();
    const listener = closing(net.socket());
    listener.bind(["127.0.0.1", 0]);
    await listener.listen();
    net.refuse(listener.getsockname());
    const client = closing(net.socket());
    expectOSError(
      await rejection(client.connect(listener.getsockname())),
      ConnectionRefusedError,
      111,
      "Connection refused",
    );
    net.refuse(listener.getsockname(), false);
    const again = closing(net.socket());
    expect(await again.connectEx(listener.getsockname())).toBe(0);
  });

  it("with auto: false, nothing moves until the test steps", () => {
    const net = network({ auto: false });
    const listener = closing(net.socket()).setblocking(false);
    listener.bind(["127.0.0.1", 0]);
    listener.listen();
    const client = closing(net.socket()).setblocking(false);
    expect(client.connectEx(listener.getsockname())).toBe(115);
    expectOSError(
      thrown(() => listener.accept()),
      BlockingIOError,
      11,
      "Resource temporarily unavailable",
    );
    expect(net.step()).toBe(true); // listening, and the connection made
    expect(net.step()).toBe(false); // nothing else to do
    const [conn] = listener.accept();
    const server = closing(conn).setblocking(false);
    expect(client.connectEx(listener.getsockname())).toBe(0);
    expect(client.send(Buffer.from("hi"))).toBe(2);
    client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1);
    expect(client.send(Buffer.from("!"))).toBe(1);
    assertNothing(server);
    net.settle();
    expect(server.recv(10).toString()).toBe("hi!");
  });

  it("a peer closed with unread data resets the sender; bytes to a closed socket break the pipe", async () => {
    const net = network();
    const [client, server] = await pair(net);
    await client.sendall(Buffer.from("unread"));
    await server.recv(1); // something arrived; the rest stays unread
    server.close();
    net.settle();
    const nb = client.setblocking(false);
    expectOSError(
      thrown(() => nb.recv(10)),
      ConnectionResetError,
      104,
      "Connection reset by peer",
    );

    const [c2, s2] = await pair(net);
    s2.close();
    net.settle();
    const nb2 = c2.setblocking(false);
    expect(nb2.recv(10).length).toBe(0); // end of stream
    nb2.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1);
    expect(nb2.send(Buffer.from("x"))).toBe(1); // taken; the peer's kernel answers with a reset
    net.settle();
    expectOSError(
      thrown(() => nb2.send(Buffer.from("y"))),
      BrokenPipeError,
      32,
      "Broken pipe",
    );
  });
});

describe("Python's errors and addresses", () => {
  it("a used address is [Errno 98], another host [Errno 99], a closed socket [Errno 9]", async () => {
    const net = network();
    const a = closing(net.socket());
    a.bind(["127.0.0.1", 5000]);
    await a.listen();
    const b = closing(net.socket());
    expectOSError(
      thrown(() => {
        b.bind(["0.0.0.0", 5000]);
      }),
      OSError,
      98,
      "Address already in use",
    );
    const c = closing(net.socket());
    c.bind(["10.1.2.3", 5000]);
    expectOSError(await rejection(c.listen()), OSError, 99, "Cannot assign requested address");
    a.close();
    expectOSError(
      thrown(() => a.getsockname()),
      OSError,
      9,
      "Bad file descriptor",
    );
  });

  it("ports come from the ephemeral range and are free again once closed; a used-up range is [Errno 99]", async () => {
    const net = network({ ephemeralPorts: [40000, 40002] });
    const listener = closing(net.socket());
    listener.bind(["127.0.0.1", 0]);
    await listener.listen();
    expect(listener.getsockname()).toEqual(["127.0.0.1", 40000]);
    const first = closing(net.socket());
    await first.connect(listener.getsockname());
    expect(first.getsockname()).toEqual(["127.0.0.1", 40001]);
    const second = closing(net.socket());
    await second.connect(listener.getsockname());
    expect(second.getsockname()).toEqual(["127.0.0.1", 40002]);
    const third = closing(net.socket());
    expectOSError(
      await rejection(third.connect(listener.getsockname())),
      OSError,
      99,
      "Cannot assign requested address",
    );
    first.close();
    net.settle(); // the close reaches the peer; the connection is gone
    const fourth = closing(net.socket());
    await fourth.connect(listener.getsockname());
    expect(fourth.getsockname()).toEqual(["127.0.0.1", 40001]); // the closed socket's port
  });

  it("AF_UNIX paths live in the network too", async () => {
    const net = network();
    const listener = closing(net.socket(socket.AF_UNIX));
    listener.bind("/nowhere/app.sock");
    await listener.listen();
    const client = closing(net.socket(socket.AF_UNIX));
    const [[server]] = await Promise.all([listener.accept(), client.connect("/nowhere/app.sock")]);
    closing(server);
    await server.sendall(Buffer.from("pong"));
    expect((await client.recv(10)).toString()).toBe("pong");
    expect(client.getpeername()).toBe("/nowhere/app.sock");
  });
});

describe("install()", () => {
  it("makes socket.socket() build in-memory sockets until uninstalled", async () => {
    const net = network();
    {
      using _installed = net.install();
      expect(() => net.install()).toThrow(RuntimeError);
      const s = closing(socket.socket());
      s.bind(["127.0.0.1", 0]);
      await s.listen();
      expect(s.getsockname()).toEqual(["127.0.0.1", 32768]); // the network's first port, not the kernel's
    }
    const real = closing(socket.socket());
    expect(() => net.outgoing(real)).toThrow(TypeError);
  });
});

function assertNothing(sock: socket.NonBlockingSocket): void {
  expectOSError(
    thrown(() => sock.recv(10)),
    BlockingIOError,
    11,
    "Resource temporarily unavailable",
  );
}

describe("waitUntilReady (selectors-ts/testing)", () => {
  it("waits for readiness of a real blocking socket, and says what it waited for when time runs out", async () => {
    const listener = closing(socket.socket());
    listener.bind(["127.0.0.1", 0]);
    await listener.listen();
    const client = closing(socket.socket());
    const [[server]] = await Promise.all([
      listener.accept(),
      client.connect(listener.getsockname()),
    ]);
    closing(server);
    const error = await rejection(waitUntilReady(server, EVENT_READ, 0.05));
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toHaveProperty(
      "message",
      `fd ${server.fileno()} not ready for events 1 within 0.05 s (last mask ${EVENT_WRITE})`,
    );
    await client.sendall(Buffer.from("x"));
    expect(await waitUntilReady(server, EVENT_READ)).toBe(EVENT_READ | EVENT_WRITE);
    expect(server.getblocking()).toBe(true);
  });
});
