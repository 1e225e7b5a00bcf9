// The UDP echo programs (demos/udp-echo-server.ts, demos/udp-echo-client.ts) and their Python twins
// (spec/peers/udp-echo-*.py), run as child processes against each other both ways; and the same exchange in
// one process on the memory network, where the test decides what the network does to the datagrams.
import { createSocket } from "node:dgram";

import { describe, expect, it, onTestFinished } from "vitest";

import { HOST } from "./helpers/ports.ts";
import { hasPython, pythonPeer, tsDemo, type Program } from "./helpers/process.ts";
import { TimeoutError } from "../lib/python/errors.ts";
import * as socket from "../lib/python/socket.ts";
import { MemoryNetwork } from "../lib/transport/memory-network.ts";

/** A UDP port free on loopback now (bound and let go). */
async function freeUdpPort(): Promise<number> {
  const probe = createSocket("udp4");
  await new Promise<void>((resolve) => {
    probe.bind(0, HOST, resolve);
  });
  const { port } = probe.address();
  await new Promise<void>((resolve) => {
    probe.close(resolve);
  });
  return port;
}

interface Implementation {
  readonly label: string;
  readonly run: (name: string, args: readonly string[]) => Program;
  readonly needsPython: boolean;
}

const TS: Implementation = { label: "TypeScript", run: tsDemo, needsPython: false };
const PY: Implementation = { label: "Python", run: pythonPeer, needsPython: true };
const noPython = !hasPython();

describe("udp-echo-server and udp-echo-client", () => {
  for (const [client, server] of [
    [TS, TS],
    [TS, PY],
    [PY, TS],
    [PY, PY],
  ] as const) {
    const skip = noPython && (client.needsPython || server.needsPython);
    describe.skipIf(skip)(`${client.label} client ↔ ${server.label} server`, () => {
      it("the client prints Received b'Hello, world'; the server echoes until Ctrl-C, then exits 0", async () => {
        const port = await freeUdpPort();
        const serverProgram = server.run("udp-echo-server", [HOST, String(port)]);
        // Nothing listens for a datagram sent before the bind: wait for the server to say it is bound.
        await serverProgram.waitForLine(/^Listening on /);
        const clientExit = await client.run("udp-echo-client", [HOST, String(port)]).waitForExit();
        expect(clientExit.stdout).toBe("Received b'Hello, world'\n");
        expect(clientExit.stderr).toBe("");
        expect(clientExit.code).toBe(0);
        const echoed = await serverProgram.waitForLine(/^Echoing /);
        expect(echoed).toMatch(/^Echoing b'Hello, world' to \('127\.0\.0\.1', \d+\)$/);
        serverProgram.signal("SIGINT");
        const serverExit = await serverProgram.waitForExit();
        expect(serverExit.stdout).toBe(
          `Listening on ('${HOST}', ${String(port)})\n${echoed}\nCaught keyboard interrupt, exiting\n`,
        );
        expect(serverExit.stderr).toBe("");
        expect(serverExit.code).toBe(0);
      });
    });
  }
});

/** A network for this test, with the sockets made on it closed when the test finishes. */
function network(options: ConstructorParameters<typeof MemoryNetwork>[0] = {}): MemoryNetwork {
  const net = new MemoryNetwork(options);
  onTestFinished(() => {
    net.uninstall();
  });
  return net;
}

function closing<T extends { close(): void }>(closable: T): T {
  onTestFinished(() => {
    closable.close();
  });
  return closable;
}

/**
 * The demos' exchange on `net`, in this process: a server answering each datagram where it came from, and a
 * client that sends `count` datagrams (`Hello, world #i`) and reads what comes back within `timeout` seconds.
 * @returns the datagrams the client received, in order.
 */
async function exchange(net: MemoryNetwork, count: number, timeout = 1): Promise<string[]> {
  const server = closing(net.socket(socket.AF_INET, socket.SOCK_DGRAM));
  server.bind([HOST, 65432]);
  const serving = (async () => {
    for (;;) {
      const [data, addr] = await server.recvfrom(1024);
      if (addr !== null) await server.sendto(data, addr);
    }
  })();
  serving.catch(() => undefined); // ends with the server's close (Bad file descriptor)
  const client = closing(net.socket(socket.AF_INET, socket.SOCK_DGRAM));
  client.settimeout(timeout);
  for (let i = 1; i <= count; i++)
    await client.sendto(Buffer.from(`Hello, world #${i}`), [HOST, 65432]);
  const received: string[] = [];
  for (;;) {
    try {
      const [data] = await client.recvfrom(1024);
      received.push(data.toString());
    } catch (e) {
      if (e instanceof TimeoutError) return received;
      throw e;
    }
  }
}

/**
 * The same exchange over TCP on `net`: a server echoing one connection, a client sending `count` messages, each
 * read back whole before the next is sent.
 * @returns what came back, message by message.
 */
async function tcpExchange(net: MemoryNetwork, count: number): Promise<string[]> {
  const listener = closing(net.socket(socket.AF_INET, socket.SOCK_STREAM));
  listener.bind([HOST, 65433]);
  await listener.listen();
  const serving = (async () => {
    const [conn] = await listener.accept();
    using _conn = conn;
    for (;;) {
      const data = await conn.recv(1024);
      if (data.length === 0) break;
      await conn.sendall(data);
    }
  })();
  const client = closing(net.socket(socket.AF_INET, socket.SOCK_STREAM));
  await client.connect([HOST, 65433]);
  const received: string[] = [];
  for (let i = 1; i <= count; i++) {
    const message = Buffer.from(`Hello, world #${i}`);
    await client.sendall(message);
    let echoed = Buffer.alloc(0);
    while (echoed.length < message.length)
      echoed = Buffer.concat([echoed, await client.recv(1024)]);
    received.push(echoed.toString());
  }
  client.shutdown(socket.SHUT_WR);
  await serving;
  return received;
}

describe("TCP and UDP side by side", () => {
  it("on a network that loses 30% of the datagrams (seed 7): TCP delivers all, UDP loses some", async () => {
    const net = network({ seed: 7 }).loss(0.3);
    const overTcp = await tcpExchange(net, 10);
    const overUdp = await exchange(net, 10, 0.2);
    expect(overTcp).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((i) => `Hello, world #${i}`));
    expect(overUdp).toEqual([2, 3, 4, 5, 6, 8, 10].map((i) => `Hello, world #${i}`));
  });
});

describe("the UDP echo on the memory network", () => {
  it("delivers every datagram, once, in order, when the network does nothing to them", async () => {
    const got = await exchange(network(), 5, 0.2);
    expect(got).toEqual([1, 2, 3, 4, 5].map((i) => `Hello, world #${i}`));
  });

  it("with loss at a fixed seed, the same datagrams are lost on every run", async () => {
    const first = await exchange(network({ seed: 7 }).loss(0.3), 10, 0.2);
    const second = await exchange(network({ seed: 7 }).loss(0.3), 10, 0.2);
    expect(first.length).toBeLessThan(10);
    expect(first.length).toBeGreaterThan(0);
    expect(second).toEqual(first);
  });

  it("reorder and duplicate change the order and the count, the same way for a seed", async () => {
    const run = async (): Promise<string[]> =>
      exchange(network({ seed: 3 }).reorder(4).duplicate(0.3), 8, 0.2);
    const first = await run();
    expect(first).toEqual([3, 2, 8, 8, 4, 4, 7, 1, 5, 5, 6, 6].map((i) => `Hello, world #${i}`));
    expect(await run()).toEqual(first);
  });

  it("delay(n) holds each datagram n steps; with { auto: false } nothing moves until the test steps", () => {
    const net = network({ auto: false }).delay(2);
    const a = closing(net.socket(socket.AF_INET, socket.SOCK_DGRAM)).setblocking(false);
    const b = closing(net.socket(socket.AF_INET, socket.SOCK_DGRAM)).setblocking(false);
    b.bind([HOST, 9000]);
    expect(a.sendto(Buffer.from("late"), [HOST, 9000])).toBe(4);
    expect(net.step()).toBe(true); // sent: into the delay
    expect(() => b.recvfrom(10)).toThrow(/Resource temporarily unavailable/);
    expect(net.step()).toBe(true); // one step later: still held
    expect(() => b.recvfrom(10)).toThrow(/Resource temporarily unavailable/);
    net.step(); // two steps after sending: delivered
    const [data, from] = b.recvfrom(10);
    expect(data.toString()).toBe("late");
    expect(from).toEqual([HOST, 32768]); // the sender's port, taken at its first sendto()
    expect(a.getsockname()).toEqual(["0.0.0.0", 32768]); // autobound, as Linux shows it
  });
});
