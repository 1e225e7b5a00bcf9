// Python's tracebacks (lib/python/traceback.ts): formatException() in process, on errors with known stacks; the
// uncaught-exception behaviour and a program's own SIGINT handler in a child process. What each demo prints for
// each failure, against Python's own output, is in spec/failures.spec.ts.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

import { afterAll, describe, expect, it } from "vitest";

import {
  ConnectionRefusedError,
  KeyboardInterrupt,
  ValueError,
  gaierror,
  raisedHere,
} from "../lib/python/errors.ts";
import { ProtocolError } from "../lib/app/protocol.ts";
import { caretLine, formatException, programFrames } from "../lib/python/traceback.ts";
import { PROJECT_ROOT, tsProgram } from "./helpers/process.ts";

const LIB = `${PROJECT_ROOT}lib/`;

/** A program file with known lines, for frames to point at. */
const DEMO = join(mkdtempSync(join(tmpdir(), "traceback-")), "client.ts");
writeFileSync(
  DEMO,
  [
    "function serviceConnection(key, mask) {",
    "  const recvData = sock.recv(1024); // Should be ready to read",
    "}",
    "    serviceConnection(key, mask);",
  ].join("\n"),
);
afterAll(() => {
  rmSync(dirname(DEMO), { recursive: true, force: true });
});

/** An error with the stack V8 would give a recv() refused inside the program's serviceConnection. */
function refusedInDemo(): ConnectionRefusedError {
  const error = new ConnectionRefusedError(111, "Connection refused");
  error.stack = [
    "ConnectionRefusedError: [Errno 111] Connection refused",
    `    at fromErrno (${LIB}python/errors.ts:209:10)`,
    `    at SocketCore.recvNow (${LIB}python/socket.ts:448:24)`,
    `    at NonBlockingSocket.recv (file://${LIB}python/socket.ts:1265:22)`,
    `    at serviceConnection (${DEMO}:2:25)`,
    `    at async <anonymous> (${DEMO}:4:5)`,
    "    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)",
    `    at run (${PROJECT_ROOT}node_modules/tsx/dist/x.mjs:1:1)`,
  ].join("\n");
  return error;
}

describe("formatException", () => {
  it("prints Python's traceback: the program's frames oldest first, with their lines, then the exception", () => {
    expect(formatException(refusedInDemo())).toBe(
      [
        "Traceback (most recent call last):",
        `  File "${DEMO}", line 4, in <module>`,
        "    serviceConnection(key, mask);",
        `  File "${DEMO}", line 2, in serviceConnection`,
        "    const recvData = sock.recv(1024); // Should be ready to read",
        "                     ^^^^^^^^^^^^^^^",
        "ConnectionRefusedError: [Errno 111] Connection refused",
        "",
      ].join("\n"),
    );
  });

  it("leaves out the library's frames, Node's and node_modules'", () => {
    expect(programFrames(refusedInDemo())).toEqual([
      { file: DEMO, line: 4, column: 5, name: "<module>" },
      { file: DEMO, line: 2, column: 25, name: "serviceConnection" },
    ]);
  });

  it("names a method by its own name, as Python does", () => {
    const error = new Error("x");
    error.stack = `Error: x\n    at Message.processEvents (${LIB}app/message.ts:131:33)\n    at new Thing (${DEMO}:1:1)`;
    expect(programFrames(error).map((frame) => frame.name)).toEqual(["Thing", "processEvents"]);
  });

  it("prints the notes after the exception line, as Python 3.11", () => {
    const error = refusedInDemo().addNote("first note").addNote("second note");
    expect(formatException(error).split("\n").slice(-4)).toEqual([
      "ConnectionRefusedError: [Errno 111] Connection refused",
      "first note",
      "second note",
      "",
    ]);
  });

  it("without frames of the program: the exception line alone, no Traceback line", () => {
    const error = new KeyboardInterrupt();
    error.stack = "KeyboardInterrupt\n    at Process.onSigint (node:internal/x:1:1)";
    expect(formatException(error)).toBe("KeyboardInterrupt\n");
  });

  it("prints a class by its module where Python does: socket.gaierror", () => {
    const error = new gaierror(-2, "Name or service not known");
    error.stack = "";
    expect(formatException(error)).toBe("socket.gaierror: [Errno -2] Name or service not known\n");
  });

  it("a ProtocolError shows its code, as in the servers' error lines", () => {
    const error = new ProtocolError("PROTOCOL_MISSING_HEADER", "Missing required header 'x'.");
    error.stack = "";
    expect(formatException(error)).toBe(
      "ProtocolError [PROTOCOL_MISSING_HEADER]: Missing required header 'x'.\n",
    );
  });

  it("prints a cause first, then Python's 'direct cause' line", () => {
    const cause = new ValueError("inner");
    cause.stack = "";
    const error = new Error("outer", { cause });
    error.stack = "";
    expect(formatException(error)).toBe(
      "ValueError: inner\n\nThe above exception was the direct cause of the following exception:\n\nError: outer\n",
    );
  });

  it("a thrown value that is no Error: Python's TypeError for raising it", () => {
    expect(formatException("oops")).toBe(
      "TypeError: exceptions must derive from BaseException (JavaScript threw 'oops')\n",
    );
  });
});

describe("caretLine: Python 3.11's ^^^ under the failing call", () => {
  it.each([
    // [source line, V8's column, markers or null]
    [
      "  const recvData = sock.recv(1024); // Should be ready to read",
      25,
      "                     ^^^^^^^^^^^^^^^",
    ],
    ["      data = this.socket().recv(RECV_SIZE);", 28, "           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^"],
    ["  const [conn, addr] = await s.accept();", 24, "                         ^^^^^^^^^^^^^^^^"],
    ['  x = f(")", g(1));', 7, "        ^^^^^^^^^^^^"],
    // The whole statement (a trailing `;` aside): none, as Python prints none.
    ["    serviceConnection(key, mask);", 5, null],
    ["  await s.connect([HOST, PORT]);", 3, null],
    // No call at the column, or one that goes on to the next line: none.
    ["  throw error;", 3, null],
    ["  console.log(", 11, null],
  ])("%j at column %i", (source, column, expected) => {
    expect(caretLine(source, column)).toBe(expected);
  });
});

describe("raisedHere", () => {
  it("gives an error made in a callback the stack of the call that awaited it", async () => {
    const made = await new Promise<Error>((resolve) => {
      setImmediate(() => {
        resolve(new Error("made in a callback"));
      });
    });
    expect(made.stack).not.toContain("awaitingCall");
    async function awaitingCall(): Promise<never> {
      try {
        await Promise.reject(made);
      } catch (e) {
        throw raisedHere(e);
      }
      throw new Error("unreachable");
    }
    await expect(awaitingCall()).rejects.toSatisfy(
      (e: unknown) => e === made && made.stack?.includes("awaitingCall") === true,
    );
  });
});

describe("Ctrl-C from installExceptHook() on, in child processes", () => {
  it("a SIGINT during synchronous work interrupts the select() that follows; while a timer waits, it raises KeyboardInterrupt: death by SIGINT", async () => {
    const program = tsProgram("spec/fixtures/programs/sigint-anytime.ts", []);
    await program.waitForLine(/^ready$/);
    // The program is in its synchronous work from `ready` until it reads a line: the SIGINT lands there.
    program.signal("SIGINT");
    program.writeStdin("go\n");
    await program.waitForLine(/^waiting on a timer$/);
    program.signal("SIGINT");
    const exit = await program.waitForExit();
    expect(exit.stdout).toBe("ready\nCaught keyboard interrupt in select()\nwaiting on a timer\n");
    expect(exit.stderr).toBe("KeyboardInterrupt\n");
    expect(exit.signal).toBe("SIGINT");
  });

  it("a program's own SIGINT handler replaces KeyboardInterrupt; removed, Ctrl-C is KeyboardInterrupt: traceback, death by SIGINT", async () => {
    const program = tsProgram("spec/fixtures/programs/sigint-handler.ts", []);
    await program.waitForLine(/^ready$/);
    program.signal("SIGINT");
    await program.waitForLine(/^handler removed$/);
    program.signal("SIGINT");
    const exit = await program.waitForExit();
    expect(exit.stdout).toBe("ready\nhandler ran\nselect() returned 0 events\nhandler removed\n");
    expect(exit.stderr).toBe(
      [
        "Traceback (most recent call last):",
        `  File "${PROJECT_ROOT}spec/fixtures/programs/sigint-handler.ts", line 20, in <module>`,
        "    await sel.select(); // Ctrl-C: KeyboardInterrupt",
        "    ^^^^^^^^^^^^^^^^^^",
        "KeyboardInterrupt",
        "",
      ].join("\n"),
    );
    expect(exit.signal).toBe("SIGINT");
  });
});
