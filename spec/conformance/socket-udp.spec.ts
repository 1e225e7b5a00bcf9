// CPython's Lib/test/test_socket.py, ported: the datagram classes BasicUDPTest (ThreadedUDPSocketTest's tests),
// UDPTimeoutTest (SocketUDPTest's), and GeneralModuleTests.testSendtoErrors (a datagram socket's argument
// checks). Each test is named after the CPython test it ports and keeps its expected values; every adaptation is
// said at the test. What does not apply is in spec/conformance/README.md, with the reason.
//
// Adaptations common to all: CPython's threaded client/server pair (`testX` in the server thread, `_testX` in the
// client thread) → both halves in one test, the client's first (a datagram waits in the server's queue); a
// blocking call → `await`.
import { describe, expect, it } from "vitest";

import { BlockingIOError, TimeoutError, ValueError } from "../../lib/python/errors.ts";
import * as socket from "../../lib/python/socket.ts";
import { HOST, expectError, expectOSError, rejection, thrown } from "../helpers/sockets.ts";
import { MSG, WIRES, fixtures } from "./wire.ts";

for (const wire of WIRES) {
  const { udp } = fixtures(wire);

  describe(`test_socket.py BasicUDPTest (${wire.name})`, () => {
    it("BasicUDPTest.testSendtoAndRecv", async () => {
      const { serv, port, cli } = udp();
      await cli.sendto(MSG, 0, [HOST, port]);
      const msg = await serv.recv(MSG.length);
      expect(msg).toEqual(MSG);
    });

    it("BasicUDPTest.testRecvFrom", async () => {
      const { serv, port, cli } = udp();
      await cli.sendto(MSG, 0, [HOST, port]);
      const [msg] = await serv.recvfrom(MSG.length);
      expect(msg).toEqual(MSG);
    });

    it("BasicUDPTest.testRecvFromNegative", async () => {
      const { serv, port, cli } = udp();
      await cli.sendto(MSG, 0, [HOST, port]);
      // A blocking call's error rejects its Promise (CPython: assertRaises(ValueError, serv.recvfrom, -1)).
      expectError(
        await rejection(serv.recvfrom(-1)),
        ValueError,
        "negative buffersize in recvfrom",
      );
    });
  });

  describe(`test_socket.py UDPTimeoutTest (${wire.name})`, () => {
    it("UDPTimeoutTest.testUDPTimeout", async () => {
      const { serv } = udp();
      serv.settimeout(1.0);
      expectError(await rejection(serv.recv(1024)), TimeoutError, "timed out");
    });

    it("UDPTimeoutTest.testTimeoutZero", async () => {
      // CPython accepts any OSError but TimeoutError; 3.11 raises BlockingIOError(11).
      const { serv } = udp();
      serv.settimeout(0.0);
      const error = await rejection(serv.recv(1024));
      expect(error).not.toBeInstanceOf(TimeoutError);
      expectOSError(error, BlockingIOError, 11, "Resource temporarily unavailable");
    });
  });

  describe(`test_socket.py GeneralModuleTests, datagram (${wire.name})`, () => {
    it("GeneralModuleTests.testSendtoErrors", () => {
      const s = wire.socket(socket.AF_INET, socket.SOCK_DGRAM);
      try {
        s.bind(["", 0]);
        const sockname = s.getsockname();
        const nb = s.setblocking(false);
        // Untyped calls, as a Python program may make them: the casts give `sendto` what Python is given.
        const sendto = nb.sendto.bind(nb) as (...args: unknown[]) => number;
        // 2 args
        expectError(
          thrown(() => sendto("\u2620", sockname)),
          TypeError,
          "a bytes-like object is required, not 'str'",
        );
        expect(String(thrown(() => sendto(Buffer.from("foo"), null)))).toContain("not NoneType");
        // 3 args
        expectError(
          thrown(() => sendto("\u2620", 0, sockname)),
          TypeError,
          "a bytes-like object is required, not 'str'",
        );
        expect(String(thrown(() => sendto(Buffer.from("foo"), 0, null)))).toContain("not NoneType");
        expect(thrown(() => sendto(Buffer.from("foo"), "bar", sockname))).toBeInstanceOf(TypeError);
        expect(thrown(() => sendto(Buffer.from("foo"), null, null))).toBeInstanceOf(TypeError);
        // wrong number of args
        expect(String(thrown(() => sendto(Buffer.from("foo"))))).toContain("(1 given)");
        expect(String(thrown(() => sendto(Buffer.from("foo"), 0, sockname, 4)))).toContain(
          "(4 given)",
        );
      } finally {
        s.close();
      }
    });
  });
}
