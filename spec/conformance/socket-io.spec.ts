// CPython's Lib/test/test_socket.py, ported: the calls beside recv and send: `recv_into`/`recvfrom_into`
// (BufferIOTest), `makefile()` (GeneralModuleTests' makefile tests, FileObjectClassTestCase), `create_server()`
// (CreateServerTest, CreateServerFunctionalTest), and `recv()`'s flags. Each test is named after the CPython test
// it ports and keeps its expected values; every adaptation is said at the test. Common adaptations: CPython's
// client thread (`_testX`) runs as an awaited step before or beside the server's part; blocking calls and the
// file's reads and writes are awaited; `recv_into` → `recvInto`, `recvfrom_into` → `recvfromInto`,
// `create_server` → `createServer`; `array.array('B')`, `bytearray` and `memoryview` → `Uint8Array`/`Buffer`.
import { describe, expect, it } from "vitest";

import { OSError, TimeoutError, ValueError } from "../../lib/python/errors.ts";
import { repr } from "../../lib/python/repr.ts";
import * as socket from "../../lib/python/socket.ts";
import { rejection, thrown, track } from "../helpers/sockets.ts";
import { ON_MEMORY_WIRE } from "../helpers/wire.ts";
import { LOOPBACK_TIMEOUT, MSG, WIRES, fixtures } from "./wire.ts";

for (const wire of WIRES) {
  const { sock, connected } = fixtures(wire);

  describe(`test_socket.py BufferIOTest (${wire.name})`, () => {
    // `_testRecvIntoArray` (the client's part, shared by every test here): `self.serv_conn.send(MSG)`.
    const sent = async (): Promise<{ cliConn: socket.BlockingSocket }> => {
      const { cliConn, servConn } = await connected();
      await servConn.send(MSG);
      return { cliConn };
    };

    for (const [name, size] of [
      ["testRecvIntoArray", MSG.length],
      ["testRecvIntoBytearray", 1024],
      ["testRecvIntoMemoryview", 1024],
    ] as const) {
      it(`BufferIOTest.${name}`, async () => {
        const { cliConn } = await sent();
        const buf = new Uint8Array(size);
        const nbytes = await cliConn.recvInto(buf);
        expect(nbytes).toBe(MSG.length);
        expect(Buffer.from(buf.subarray(0, MSG.length))).toEqual(MSG);
      });
    }

    for (const [name, size] of [
      ["testRecvFromIntoArray", MSG.length],
      ["testRecvFromIntoBytearray", 1024],
      ["testRecvFromIntoMemoryview", 1024],
    ] as const) {
      it(`BufferIOTest.${name}`, async () => {
        const { cliConn } = await sent();
        const buf = new Uint8Array(size);
        const [nbytes] = await cliConn.recvfromInto(buf);
        expect(nbytes).toBe(MSG.length);
        expect(Buffer.from(buf.subarray(0, MSG.length))).toEqual(MSG);
      });
    }

    it("BufferIOTest.testRecvFromIntoSmallBuffer", async () => {
      const { cliConn } = await sent();
      const error = await rejection(cliConn.recvfromInto(new Uint8Array(8), 1024));
      expect(error).toBeInstanceOf(ValueError);
      expect((error as Error).message).toBe("buffer too small for requested bytes");
    });

    it("BufferIOTest.testRecvFromIntoEmptyBuffer", async () => {
      const { cliConn } = await sent();
      const buf = new Uint8Array(0);
      await cliConn.recvfromInto(buf);
      await cliConn.recvfromInto(buf, 0);
    });

    it("recv()'s flags, as python3 gives them: MSG_PEEK, MSG_DONTWAIT, MSG_WAITALL, MSG_OOB", async () => {
      // Not a CPython test (CPython tests the flags through recvmsg()): what python3 printed for the same calls.
      const { cliConn, servConn } = await connected();
      await servConn.sendall(Buffer.from("hello world"));
      expect(await cliConn.recv(5, socket.MSG_PEEK)).toEqual(Buffer.from("hello"));
      expect(await cliConn.recv(5)).toEqual(Buffer.from("hello"));
      expect(await cliConn.recv(6, socket.MSG_WAITALL)).toEqual(Buffer.from(" world"));
      expect(repr(await rejection(cliConn.recv(1, socket.MSG_DONTWAIT)))).toBe(
        "BlockingIOError(11, 'Resource temporarily unavailable')",
      );
      expect(repr(await rejection(cliConn.recv(5, socket.MSG_OOB)))).toBe(
        "OSError(22, 'Invalid argument')",
      );
      const waiting = cliConn.recv(6, socket.MSG_WAITALL);
      await servConn.sendall(Buffer.from("abc"));
      await servConn.sendall(Buffer.from("def"));
      expect(await waiting).toEqual(Buffer.from("abcdef"));
      const nb = cliConn.setblocking(false);
      await servConn.sendall(Buffer.from("xy"));
      await cliConn.setblocking(true).recv(2, socket.MSG_PEEK);
      expect(nb.recv(10, socket.MSG_PEEK)).toEqual(Buffer.from("xy"));
      expect(nb.recvInto(Buffer.alloc(10), 0)).toBe(2);
      expect(repr(thrown(() => nb.recvInto(Buffer.alloc(2), -1)))).toBe(
        "ValueError('negative buffersize in recv_into')",
      );
    });
  });

  describe(`test_socket.py GeneralModuleTests: makefile (${wire.name})`, () => {
    it("GeneralModuleTests.test_name_closed_socketio", async () => {
      const s = sock();
      const fp = s.makefile("rb");
      await fp.close();
      s.close();
      expect(repr(fp)).toBe("<_io.BufferedReader name=-1>");
    });

    it("GeneralModuleTests.test_unusable_closed_socketio", async () => {
      const s = sock();
      const fp = s.makefile("rb", { buffering: 0 });
      expect(fp).toBeInstanceOf(Object);
      const raw = fp as socket.SocketIO;
      expect(raw.readable()).toBe(true);
      expect(raw.writable()).toBe(false);
      expect(raw.seekable()).toBe(false);
      await raw.close();
      expect(thrown(() => raw.readable())).toBeInstanceOf(ValueError);
      expect(thrown(() => raw.writable())).toBeInstanceOf(ValueError);
      expect(thrown(() => raw.seekable())).toBeInstanceOf(ValueError);
    });

    it("GeneralModuleTests.test_makefile_mode", async () => {
      for (const mode of ["r", "rb", "rw", "w", "wb"]) {
        const s = sock();
        const encoding = mode.includes("b") ? null : "utf-8";
        const fp = s.makefile(mode, { encoding });
        expect(fp.mode).toBe(mode);
        await fp.close();
      }
    });

    it("GeneralModuleTests.test_makefile_invalid_mode", () => {
      for (const mode of ["rt", "x", "+", "a"]) {
        const s = sock();
        expect((thrown(() => s.makefile(mode)) as Error).message).toMatch(/invalid mode/);
      }
    });
  });

  describe(`test_socket.py FileObjectClassTestCase (${wire.name})`, () => {
    // setUp / clientSetUp: `read_file = cli_conn.makefile('rb')`, `write_file = serv_conn.makefile('wb')`.
    const files = async (): Promise<{
      cliConn: socket.BlockingSocket;
      servConn: socket.BlockingSocket;
      readFile: socket.SocketFile;
      writeFile: socket.SocketFile;
    }> => {
      const { cliConn, servConn } = await connected();
      return {
        cliConn,
        servConn,
        readFile: cliConn.makefile("rb"),
        writeFile: servConn.makefile("wb"),
      };
    };

    it("FileObjectClassTestCase.testReadAfterTimeout", async () => {
      const { cliConn, readFile, writeFile } = await files();
      await writeFile.write(MSG.subarray(0, 3));
      await writeFile.flush();
      cliConn.settimeout(1);
      await readFile.read(3);
      expect(await rejection(readFile.read(1))).toBeInstanceOf(TimeoutError);
      const error = await rejection(readFile.read(1));
      expect(error).toBeInstanceOf(OSError);
      expect((error as Error).message).toContain("cannot read from timed out object");
    });

    it("FileObjectClassTestCase.testSmallRead", async () => {
      const { readFile, writeFile } = await files();
      await writeFile.write(MSG);
      await writeFile.flush();
      const first = await readFile.read(MSG.length - 3);
      const second = await readFile.read(3);
      expect(Buffer.concat([first ?? Buffer.alloc(0), second ?? Buffer.alloc(0)])).toEqual(MSG);
    });

    it("FileObjectClassTestCase.testFullRead", async () => {
      // `_testFullRead` closes the file; the client's tearDown closes its socket: end of stream.
      const { servConn, readFile, writeFile } = await files();
      await writeFile.write(MSG);
      await writeFile.close();
      servConn.close();
      expect(await readFile.read()).toEqual(MSG);
    });

    it("FileObjectClassTestCase.testUnbufferedRead", async () => {
      const { servConn, readFile, writeFile } = await files();
      await writeFile.write(MSG);
      await writeFile.close();
      servConn.close();
      const parts: Buffer[] = [];
      for (;;) {
        const char = await readFile.read(1);
        if (char === null || char.length === 0) break;
        parts.push(char);
      }
      expect(Buffer.concat(parts)).toEqual(MSG);
    });

    it("FileObjectClassTestCase.testReadline", async () => {
      const { readFile, writeFile } = await files();
      await writeFile.write(MSG);
      await writeFile.flush();
      expect(await readFile.readline()).toEqual(MSG);
    });

    it("FileObjectClassTestCase.testCloseAfterMakefile", async () => {
      // The file returned by makefile keeps the socket open.
      const { cliConn, servConn, readFile, writeFile } = await files();
      await writeFile.write(MSG);
      await writeFile.flush();
      cliConn.close();
      expect(cliConn.fileno()).not.toBe(-1);
      await writeFile.close();
      servConn.close();
      expect(await readFile.read()).toEqual(MSG);
      await readFile.close();
      expect(cliConn.fileno()).toBe(-1); // the last file closed the socket
    });

    it("FileObjectClassTestCase.testMakefileAfterMakefileClose", async () => {
      const { cliConn, readFile, writeFile } = await files();
      await writeFile.write(MSG);
      await writeFile.flush();
      await readFile.close();
      const parts: Buffer[] = [];
      let got = 0;
      while (got < MSG.length) {
        const chunk = await cliConn.recv(MSG.length - got);
        parts.push(chunk);
        got += chunk.length;
      }
      expect(Buffer.concat(parts)).toEqual(MSG);
    });

    it("FileObjectClassTestCase.testClosedAttr", async () => {
      const { readFile, writeFile } = await files();
      expect(readFile.closed).toBe(false);
      expect(writeFile.closed).toBe(false);
    });

    it("FileObjectClassTestCase.testAttributes", async () => {
      const { cliConn, servConn, readFile, writeFile } = await files();
      expect(readFile.mode).toBe("rb");
      expect(readFile.name).toBe(cliConn.fileno());
      expect(writeFile.mode).toBe("wb");
      expect(writeFile.name).toBe(servConn.fileno());
    });

    it("FileObjectClassTestCase.testRealClose", async () => {
      const { cliConn, readFile } = await files();
      await readFile.close();
      expect(thrown(() => readFile.fileno())).toBeInstanceOf(ValueError);
      cliConn.close();
      expect(thrown(() => cliConn.getsockname())).toBeInstanceOf(OSError);
    });
  });

  describe(`test_socket.py CreateServerTest (${wire.name})`, () => {
    it("CreateServerTest.test_address", async () => {
      const probe = track(await socket.createServer(["127.0.0.1", 0]));
      const [, port] = probe.getsockname() as socket.InetAddress;
      probe.close(); // find_unused_port()
      const s = track(await socket.createServer(["127.0.0.1", port]));
      expect(s.getsockname()).toEqual(["127.0.0.1", port]);
      s.close();
      const s6 = track(await socket.createServer(["::1", port], { family: socket.AF_INET6 }));
      expect((s6.getsockname() as socket.Inet6Address).slice(0, 2)).toEqual(["::1", port]);
    });

    it("CreateServerTest.test_family_and_type", async () => {
      const s = track(await socket.createServer(["127.0.0.1", 0]));
      expect(s.family).toBe(socket.AF_INET);
      expect(s.type).toBe(socket.SOCK_STREAM);
      const s6 = track(await socket.createServer(["::1", 0], { family: socket.AF_INET6 }));
      expect(s6.family).toBe(socket.AF_INET6);
      expect(s6.type).toBe(socket.SOCK_STREAM);
    });

    it("CreateServerTest.test_dualstack_ipv6_family", async () => {
      const s = track(
        await socket.createServer(["::1", 0], { family: socket.AF_INET6, dualstackIpv6: true }),
      );
      expect(s.family).toBe(socket.AF_INET6);
    });

    it("create_server's errors, as python3 gives them", async () => {
      // Not a CPython test: what python3 printed for the same calls.
      expect(
        repr(await rejection(socket.createServer(["127.0.0.1", 0], { family: socket.AF_INET6 }))),
      ).toBe(
        `OSError(-9, "Address family for hostname not supported (while attempting to bind on address ('127.0.0.1', 0))")`,
      );
      expect(repr(await rejection(socket.createServer(["", 0], { dualstackIpv6: true })))).toBe(
        "ValueError('dualstack_ipv6 requires AF_INET6 family')",
      );
      const s = track(await socket.createServer(["127.0.0.1", 0]));
      expect(s.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR)).toBe(1);
      const [, port] = s.getsockname() as socket.InetAddress;
      expect(repr(await rejection(socket.createServer(["127.0.0.1", port])))).toBe(
        `OSError(98, "Address already in use (while attempting to bind on address ('127.0.0.1', ${String(port)}))")`,
      );
    });
  });

  describe(`test_socket.py CreateServerFunctionalTest (${wire.name})`, () => {
    // echo_server: a task that accepts one connection and echoes one recv(); echo_client connects and checks.
    const echoServer = (s: socket.BlockingSocket): Promise<void> => {
      s.settimeout(LOOPBACK_TIMEOUT);
      return (async () => {
        const [conn] = await s.accept();
        track(conn);
        const msg = await conn.recv(1024);
        if (msg.length > 0) await conn.sendall(msg);
        conn.close();
        s.close();
      })();
    };
    const echoClient = async (addr: socket.Address, family: number): Promise<void> => {
      const c = sock(family);
      c.settimeout(LOOPBACK_TIMEOUT);
      await c.connect(addr);
      await c.sendall(Buffer.from("foo"));
      expect(await c.recv(1024)).toEqual(Buffer.from("foo"));
    };
    const unusedPort = async (): Promise<number> => {
      const probe = track(await socket.createServer(["127.0.0.1", 0]));
      const [, port] = probe.getsockname() as socket.InetAddress;
      probe.close();
      return port;
    };

    it("CreateServerFunctionalTest.test_tcp4", async () => {
      const port = await unusedPort();
      const server = echoServer(track(await socket.createServer(["", port])));
      await echoClient(["127.0.0.1", port], socket.AF_INET);
      await server;
    });

    it("CreateServerFunctionalTest.test_tcp6", async () => {
      const port = await unusedPort();
      const server = echoServer(
        track(await socket.createServer(["", port], { family: socket.AF_INET6 })),
      );
      await echoClient(["::1", port, 0, 0], socket.AF_INET6);
      await server;
    });

    // The memory network keeps the families apart: an IPv4 client does not reach an IPv6 wildcard there.
    it.skipIf(ON_MEMORY_WIRE)("CreateServerFunctionalTest.test_dual_stack_client_v4", async () => {
      const port = await unusedPort();
      const server = echoServer(
        track(
          await socket.createServer(["", port], { family: socket.AF_INET6, dualstackIpv6: true }),
        ),
      );
      await echoClient(["127.0.0.1", port], socket.AF_INET);
      await server;
    });

    it("CreateServerFunctionalTest.test_dual_stack_client_v6", async () => {
      const port = await unusedPort();
      const server = echoServer(
        track(
          await socket.createServer(["", port], { family: socket.AF_INET6, dualstackIpv6: true }),
        ),
      );
      await echoClient(["::1", port, 0, 0], socket.AF_INET6);
      await server;
    });
  });
}
