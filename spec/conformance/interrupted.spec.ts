// CPython's tests of blocking socket calls interrupted by a signal, from Lib/test/test_socket.py (3.11):
// GeneralModuleTests.test_sendall_interrupted and test_sendall_interrupted_with_timeout,
// InterruptedSendTimeoutTest.testInterruptedSendTimeout, InterruptedRecvTimeoutTest.testInterruptedRecvTimeout,
// TCPTimeoutTest.testInterruptedTimeout. Each runs spec/fixtures/programs/interrupted-call.ts in a child process
// (a signal to the test runner would hit the runner), on both wires: the child installs the in-memory network
// itself for "memory". This file runs in the vitest project "node:net" only (its children cover both wires).
//
// Adaptations common to every test:
// - CPython's SIGALRM handler that raises (`1 // 0`, `raise Alarm`) → Ctrl-C (SIGINT) with Python's default
//   handler, which raises KeyboardInterrupt: the one signal our waiting calls turn into an exception. The test sends
//   SIGINT once the child prints `ready`, where CPython arms `signal.alarm(1)` / `setitimer(0.05)`.
// - CPython's handler that does not raise (`ok_handler`) → the program's own SIGINT handler, which replaces the
//   default one as `signal.signal()` does: the call goes on (PEP 475) and raises TimeoutError at its timeout.
// - "Interrupted at once, not at the timeout": the child prints how long the call took; a KeyboardInterrupt must
//   come before the timeout, and a TimeoutError after the handler never before it (lower bound, 1 ms for libuv's
//   whole-ms timers; upper bound 5 s more).
// - InterruptedRecvTimeoutTest is a UDP test in CPython; here recv() waits on a TCP socketpair (no UDP here).
import { describe, expect, it } from "vitest";

import { type Exit, tsProgram } from "../helpers/process.ts";
import { ON_MEMORY_WIRE } from "../helpers/wire.ts";

/** Run interrupted-call.ts for `call` on `wire` in `mode`, SIGINT it once it waits, and wait for its end. */
async function interrupted(
  call: string,
  wire: string,
  mode: "raise" | "handle",
): Promise<{ ready: string; exit: Exit; lines: string[] }> {
  const program = tsProgram("spec/fixtures/programs/interrupted-call.ts", [call, wire, mode]);
  const ready = await program.waitForLine(/^ready pid=\d+$/);
  process.kill(Number(/\d+/.exec(ready)?.[0]), "SIGINT");
  const exit = await program.waitForExit(20_000);
  return { ready, exit, lines: exit.stdout.trimEnd().split("\n") };
}

/** The milliseconds in `<call> raised … after <ms> ms`. */
function elapsed(line: string | undefined): number {
  const match = / after (\d+) ms$/.exec(line ?? "");
  if (match === null) return expect.fail(`no duration in ${String(line)}`);
  return Number(match[1]);
}

/** Each call, with the timeout the program gives it (seconds; null: none), as CPython's tests do. */
const CALLS: [test: string, call: string, timeout: number | null][] = [
  ["GeneralModuleTests.test_sendall_interrupted", "sendall", null],
  ["GeneralModuleTests.test_sendall_interrupted_with_timeout", "sendall-timeout", 1.5],
  ["InterruptedSendTimeoutTest.testInterruptedSendTimeout", "send-timeout", 10],
  ["InterruptedRecvTimeoutTest.testInterruptedRecvTimeout", "recv-timeout", 10],
  ["TCPTimeoutTest.testInterruptedTimeout", "accept-timeout", 5],
];

if (!ON_MEMORY_WIRE) {
  for (const wire of ["node:net", "memory"]) {
    describe(`interrupted calls (${wire})`, () => {
      for (const [test, call, timeout] of CALLS) {
        it(`${test}: Ctrl-C raises KeyboardInterrupt out of ${call}() at once`, async () => {
          const { ready, exit, lines } = await interrupted(call, wire, "raise");
          expect(lines[0]).toBe(ready);
          expect(lines[1]).toMatch(
            new RegExp(`^${call} raised KeyboardInterrupt\\(\\) after \\d+ ms$`),
          );
          expect(lines).toHaveLength(2);
          // Not TimeoutError later: well before the timeout (the sendall without one is bounded by the test's).
          if (timeout !== null) expect(elapsed(lines[1])).toBeLessThan(timeout * 1000);
          expect(exit.code).toBe(0);
        });
      }

      it("GeneralModuleTests.test_sendall_interrupted_with_timeout: with a handler that does not raise, sendall() goes on and raises TimeoutError at its timeout", async () => {
        const { ready, exit, lines } = await interrupted("sendall-timeout", wire, "handle");
        expect(lines.slice(0, 2)).toEqual([ready, "handler ran"]);
        expect(lines[2]).toMatch(
          /^sendall-timeout raised TimeoutError\('timed out'\) after \d+ ms$/,
        );
        expect(lines).toHaveLength(3);
        expect(elapsed(lines[2])).toBeGreaterThanOrEqual(1499);
        expect(elapsed(lines[2])).toBeLessThan(1500 + 5000);
        expect(exit.code).toBe(0);
      });
    });
  }
}
