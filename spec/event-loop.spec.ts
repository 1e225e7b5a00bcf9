// The EventLoop runs above the socket: these tests run on the in-memory network (lib/transport/memory-network.ts), installed
// for each test, so they take no port and deliver in the same order every run.
import { afterEach, beforeEach, describe, expect, test } from "vitest";

import { EventLoop, type Handler, type HandlerObject } from "../lib/app/event-loop.ts";
import { ConnectionResetError } from "../lib/python/errors.ts";
import {
  DefaultSelector,
  EVENT_READ,
  EVENT_WRITE,
  type SelectorKey,
} from "../lib/python/selectors.ts";
import { MemoryNetwork } from "../lib/transport/memory-network.ts";
import * as socket from "../lib/python/socket.ts";

const opened: socket.Socket[] = [];
let network: MemoryNetwork | null = null;

beforeEach(() => {
  network = new MemoryNetwork().install();
});

afterEach(() => {
  for (const s of opened.splice(0)) s.close();
  network?.uninstall();
  network = null;
});

/** A connected pair on the memory network: ours non-blocking, the peer blocking. */
async function pair(): Promise<[socket.NonBlockingSocket, socket.BlockingSocket]> {
  const lsock = socket.socket();
  opened.push(lsock);
  lsock.bind(["127.0.0.1", 0]);
  await lsock.listen();
  const peer = socket.socket();
  opened.push(peer);
  const [[conn]] = await Promise.all([lsock.accept(), peer.connect(lsock.getsockname())]);
  opened.push(conn);
  lsock.close();
  return [conn.setblocking(false), peer];
}

/** Wait (bounded) until `sock` has something to read. */
async function readable(sock: socket.NonBlockingSocket): Promise<void> {
  using sel = new DefaultSelector();
  sel.register(sock, EVENT_READ);
  expect(await sel.select(10)).toHaveLength(1);
}

type Key = SelectorKey<socket.NonBlockingSocket, Handler<socket.NonBlockingSocket>>;

describe("EventLoop", () => {
  test("dispatches a ready key to a handler function with its mask", async () => {
    const [conn, peer] = await pair();
    const loop = new EventLoop();
    const seen: [Key, number, Buffer][] = [];
    const key = loop.register(conn, EVENT_READ, (k, mask) => {
      seen.push([k, mask, k.fileobj.recv(1024)]);
      loop.stop();
    });
    await peer.sendall(Buffer.from("ping"));
    await loop.run();
    expect(seen).toEqual([[key, EVENT_READ, Buffer.from("ping")]]);
  });

  test("dispatches to an object's processEvents(mask), like the course's Message", async () => {
    const [conn, peer] = await pair();
    const loop = new EventLoop();
    const masks: number[] = [];
    const message: HandlerObject = {
      processEvents(mask) {
        masks.push(mask);
        if (mask & EVENT_READ) {
          conn.recv(1024);
          loop.stop();
        }
      },
    };
    loop.register(conn, EVENT_READ | EVENT_WRITE, message);
    await peer.sendall(Buffer.from("x"));
    await loop.run();
    expect(masks.at(-1)).toBe(EVENT_READ | EVENT_WRITE);
  });

  test("a handler's exception closes only its own connection and goes to onError", async () => {
    const [bad, badPeer] = await pair();
    const [good, goodPeer] = await pair();
    const errors: [unknown, Key | null][] = [];
    const received: Buffer[] = [];
    // The two connections may be served in either order: stop once both things happened.
    const stopWhenDone = (): void => {
      if (errors.length > 0 && Buffer.concat(received).length === "still served".length)
        loop.stop();
    };
    const loop = new EventLoop(undefined, {
      onError: (e, k) => {
        errors.push([e, k]);
        stopWhenDone();
      },
    });
    const boom = new Error("boom");
    const badKey = loop.register(bad, EVENT_READ, () => {
      throw boom;
    });
    loop.register(good, EVENT_READ, (k) => {
      received.push(k.fileobj.recv(1024));
      stopWhenDone();
    });
    await badPeer.sendall(Buffer.from("x"));
    await goodPeer.sendall(Buffer.from("still served"));
    await loop.run();
    expect(errors).toEqual([[boom, badKey]]);
    expect(bad.fileno()).toBe(-1);
    expect(loop.selector.getMap()?.has(good)).toBe(true);
    expect(Buffer.concat(received).toString()).toBe("still served");
    // The bad connection was closed with its data unread: its peer sees a reset, as from a kernel.
    await expect(badPeer.recv(10)).rejects.toBeInstanceOf(ConnectionResetError);
  });

  test("a throwing handler object is closed through its own close()", async () => {
    const [conn, peer] = await pair();
    const loop = new EventLoop(undefined, { onError: () => undefined, stopWhenIdle: true });
    const calls: string[] = [];
    const message: HandlerObject = {
      processEvents() {
        calls.push("processEvents");
        throw new Error("bad frame");
      },
      close() {
        calls.push("close");
        loop.selector.unregister(conn);
        conn.close();
      },
    };
    loop.register(conn, EVENT_READ, message);
    await peer.sendall(Buffer.from("x"));
    await loop.run();
    expect(calls).toEqual(["processEvents", "close"]);
  });

  test("timers run in order of time, then of creation; cancel() skips one", async () => {
    const loop = new EventLoop();
    const order: string[] = [];
    loop.callLater(0.002, () => order.push("later"));
    loop.callLater(0, () => order.push("first"));
    loop.callLater(0, () => order.push("second")).cancel();
    loop.callLater(0, () => order.push("third"));
    loop.callLater(0.003, () => {
      order.push("stop");
      loop.stop();
    });
    await loop.run();
    expect(order).toEqual(["first", "third", "later", "stop"]);
  });

  test("a timer added by a timer runs on a later iteration, after I/O had its turn", async () => {
    const [conn, peer] = await pair();
    const loop = new EventLoop();
    const order: string[] = [];
    await peer.sendall(Buffer.from("data"));
    await readable(conn);
    loop.register(conn, EVENT_READ, (k) => {
      k.fileobj.recv(1024);
      order.push("io");
    });
    loop.callLater(0, () => {
      order.push("timer 1");
      loop.callLater(0, () => {
        order.push("timer 2");
        loop.stop();
      });
    });
    await loop.run();
    expect(order).toEqual(["timer 1", "io", "timer 2"]);
  });

  test("stop() wakes a select() that waits without a timeout", async () => {
    const [conn] = await pair();
    const loop = new EventLoop();
    loop.register(conn, EVENT_READ, () => undefined);
    const running = loop.run();
    setImmediate(() => {
      loop.stop();
    });
    await running;
    expect(loop.isRunning).toBe(false);
  });

  test("stopWhenIdle ends run() once the last registration is gone", async () => {
    const [conn, peer] = await pair();
    const loop = new EventLoop(undefined, { stopWhenIdle: true });
    loop.register(conn, EVENT_READ, (k) => {
      if (k.fileobj.recv(1024).length === 0) {
        loop.selector.unregister(k.fileobj);
        k.fileobj.close();
      }
    });
    peer.shutdown(socket.SHUT_WR);
    await loop.run();
    expect(loop.selector.getMap()?.size).toBe(0);
    expect(conn.fileno()).toBe(-1);
  });

  test("a timer's exception goes to onError with a null key and the loop goes on", async () => {
    const errors: unknown[] = [];
    const loop = new EventLoop(undefined, { onError: (e, k) => errors.push([e, k]) });
    const boom = new Error("timer failed");
    loop.callLater(0, () => {
      throw boom;
    });
    loop.callLater(0, () => {
      loop.stop();
    });
    await loop.run();
    expect(errors).toEqual([[boom, null]]);
  });
});
