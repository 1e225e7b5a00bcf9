// When a program fails, it fails as Python's does: each failure of the course's programs, run as the README says
// (`node --import tsx demos/NAME.ts`), against what the Python programs printed for the same failure
// (spec/fixtures/failures/, recorded by its record.py from the peers in spec/peers/).
//
// Compared: stdout (ports masked), stderr (the traceback, masked by maskTraceback: paths, line numbers, source
// lines), and how the program ended (exit status, or death by SIGINT). Our programs print Python's lines and
// then, where the library has one, a note for a person (Python 3.11's add_note()); each case says which.
//
// The children run together, a few at a time, in the `beforeAll`; each case is then one test on the recorded run.
import { readFileSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { freePort, HOST, waitForListening } from "./helpers/ports.ts";
import {
  FIXTURES_DIR,
  maskPorts,
  PROJECT_ROOT,
  spawnProgram,
  tsDemo,
  type Exit,
  type Program,
} from "./helpers/process.ts";

/** What a Python program printed when it failed, from `spec/fixtures/failures/NAME.txt`. */
interface Recorded {
  stdout: string;
  stderr: string;
  /** `1`, or `signal SIGINT`. */
  ended: string;
}

function loadFailure(name: string): Recorded {
  const text = readFileSync(`${FIXTURES_DIR}failures/${name}.txt`, "utf8");
  const match = /^\$ [^\n]*\n\[stdout\]\n([\s\S]*?)\[stderr\]\n([\s\S]*?)\[exit\]\n(.*)\n$/.exec(
    text,
  );
  if (match === null) throw new Error(`${name}.txt: not a recorded failure`);
  return { stdout: match[1] ?? "", stderr: match[2] ?? "", ended: match[3] ?? "" };
}

/** How a run ended, written as the recordings write it. */
function ended(exit: Exit): string {
  return exit.signal === null ? String(exit.code) : `signal ${exit.signal}`;
}

const FRAME = /^ {2}File "(?:.*\/)?([^/"]+)\.(?:py|ts)", line \d+, in (\S+)$/;

/**
 * A traceback with what must differ between Python and TypeScript masked: each frame of the program's own files
 * becomes `File "NAME", line <N>, in function_name` (camelCase names as Python's snake_case) and its source
 * line `<source>`; the caret lines (`^^^^`) under a source line go with it; frames of other files go (Python's `socket.py` and
 * `selectors.py`: our library leaves its own frames out, as Python does for its C code).
 * @param files - The program's files, by name without extension: `"echo-client"`, or a table from each file's
 *   name to the name it shows as, where the two sides split a program differently (the course's `libclient.py`
 *   methods are in our `message.ts`: `{ libclient: "libclient", message: "libclient" }`).
 */
export function maskTraceback(
  text: string,
  files: string | Readonly<Record<string, string>>,
): string {
  const names = typeof files === "string" ? { [files]: files } : files;
  const out: string[] = [];
  let inFrame = false;
  let keep = false;
  for (const line of text.split("\n")) {
    const frame = FRAME.exec(line);
    if (frame !== null) {
      inFrame = true;
      const file = names[frame[1] ?? ""];
      keep = file !== undefined;
      const name = (frame[2] ?? "").replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
      if (file !== undefined) out.push(`  File "${file}", line <N>, in ${name}`);
    } else if (inFrame && /^ {4}\S/.test(line)) {
      if (keep) out.push("    <source>");
    } else if (inFrame && /^\s+[~^]+$/.test(line)) {
      // Python 3.11's carets under the failing expression
    } else {
      inFrame = false;
      out.push(line);
    }
  }
  return out.join("\n");
}

/** `text` with `notes` after the exception line of its traceback, as ours prints them; `text` if it has none. */
function withNotes(text: string, notes: readonly string[]): string {
  const lines = text.split("\n");
  const start = lines.indexOf("Traceback (most recent call last):");
  if (start === -1 || notes.length === 0) return text;
  const at = lines.findIndex((line, i) => i > start && /^\S/.test(line));
  lines.splice(at + 1, 0, ...notes);
  return lines.join("\n");
}

/** One failure: how to make our program fail, and which Python recording it must match. */
interface FailureCase {
  /** The recording's name (spec/fixtures/failures/NAME.txt). */
  readonly name: string;
  /** The demo (and Python program) that fails. */
  readonly program: string;
  /** Its files, for {@link maskTraceback}; the program's own file unless told. */
  readonly files?: Readonly<Record<string, string>>;
  /** Run our demo into the failure; resolves with how it ended. */
  readonly run: (context: Context) => Promise<Exit>;
  /** The lines our program prints after Python's exception line (the library's notes). */
  readonly notes?: readonly string[];
}

/** What the cases share: a port this file keeps busy, a port nobody listens on. */
interface Context {
  readonly busyPort: string;
  readonly refusedPort: string;
}

const REFUSED_NOTE =
  "Nobody listens at that address and port: start the server first, or check them.";
const BUSY_NOTE =
  "Another program listens on that port. Pick another port, or stop it; SO_REUSEADDR only helps with a port left in TIME_WAIT.";

/** Bound on each child's run. */
const EXIT_TIMEOUT_MS = 15_000;

/** Run `demo` with `args` until it ends by itself. */
function failing(demo: string, args: (context: Context) => string[]): FailureCase["run"] {
  return (context) => start(demo, args(context)).waitForExit(EXIT_TIMEOUT_MS);
}

const programs: Program[] = [];

function start(demo: string, args: readonly string[]): Program {
  const program = tsDemo(demo, args, { killOnTestFinished: false });
  programs.push(program);
  return program;
}

/** A node:net server on a free port that calls `onData` with the first bytes a client sends, and answers nothing. */
async function silentServer(onData: () => void): Promise<{ port: number; server: Server }> {
  const sockets: Socket[] = [];
  const server = createServer((sock) => {
    sockets.push(sock);
    sock.once("data", onData);
  });
  server.on("close", () => {
    for (const sock of sockets) sock.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return { port: address.port, server };
}

const CASES: readonly FailureCase[] = [
  {
    name: "echo-client-refused",
    program: "echo-client",
    run: failing("echo-client", ({ refusedPort }) => [HOST, refusedPort]),
    notes: [REFUSED_NOTE],
  },
  {
    name: "multiconn-client-refused",
    program: "multiconn-client",
    run: failing("multiconn-client", ({ refusedPort }) => [HOST, refusedPort, "2"]),
    notes: [REFUSED_NOTE],
  },
  {
    // Caught by app-client's main loop: Python's format_exc() on stdout, the connection closed, exit 0.
    name: "app-client-refused",
    program: "app-client",
    files: { "app-client": "app-client", libclient: "libclient", message: "libclient" },
    run: failing("app-client", ({ refusedPort }) => [HOST, refusedPort, "search", "x"]),
    notes: [REFUSED_NOTE],
  },
  {
    // Ctrl-C while echo-server waits in accept(): the traceback, then death by SIGINT.
    name: "echo-server-interrupted",
    program: "echo-server",
    run: async () => {
      const port = await freePort();
      const program = start("echo-server", [HOST, String(port)]);
      await waitForListening(port); // once listening, the next thing it does is wait in accept()
      program.signal("SIGINT");
      return program.waitForExit(EXIT_TIMEOUT_MS);
    },
  },
  {
    // Ctrl-C while echo-client waits in recv() for an answer that does not come.
    name: "echo-client-interrupted",
    program: "echo-client",
    run: async () => {
      let program: Program | undefined;
      const { port, server } = await silentServer(() => program?.signal("SIGINT"));
      try {
        program = start("echo-client", [HOST, String(port)]);
        return await program.waitForExit(EXIT_TIMEOUT_MS);
      } finally {
        server.close();
      }
    },
  },
  {
    // A client resets its connection: the course's multiconn-server has no try around recv().
    name: "multiconn-server-reset",
    program: "multiconn-server",
    run: async () => {
      const port = await freePort();
      const program = start("multiconn-server", [HOST, String(port)]);
      await program.waitForLine(/^Listening on /);
      const sock = connect(port, HOST);
      await program.waitForLine(/^Accepted connection from /);
      sock.resetAndDestroy();
      return program.waitForExit(EXIT_TIMEOUT_MS);
    },
  },
  ...["multiconn-server", "app-server", "echo-server"].map((demo): FailureCase => ({
    name: `${demo}-busy`,
    program: demo,
    run: failing(demo, ({ busyPort }) => [HOST, busyPort]),
    notes: [BUSY_NOTE],
  })),
  {
    // A host name that does not resolve: a server's listen() raises it where Python's bind() does.
    name: "multiconn-server-gaierror",
    program: "multiconn-server",
    run: failing("multiconn-server", () => ["no-such-host.invalid", "0"]),
  },
  {
    name: "multiconn-server-port-abc",
    program: "multiconn-server",
    run: failing("multiconn-server", () => [HOST, "abc"]),
    notes: ["The <port> argument must be a whole number, not 'abc'."],
  },
  {
    name: "multiconn-server-port-negative",
    program: "multiconn-server",
    run: failing("multiconn-server", () => [HOST, "-1"]),
  },
  {
    name: "app-client-port-abc",
    program: "app-client",
    run: failing("app-client", () => [HOST, "abc", "search", "x"]),
    notes: ["The <port> argument must be a whole number, not 'abc'."],
  },
  {
    name: "multiconn-client-count-abc",
    program: "multiconn-client",
    run: failing("multiconn-client", () => [HOST, "65432", "abc"]),
    notes: ["The <num_connections> argument must be a whole number, not 'abc'."],
  },
];

/** How many demos run at once: each is a node start-up with tsx, about 0.3 s of CPU. */
const PARALLEL = 4;

describe("failures print what Python prints, on the same stream, with the same exit", () => {
  const exits = new Map<string, Exit | Error>();
  let busy: Server | undefined;

  beforeAll(async () => {
    const holder = createServer((sock) => sock.destroy());
    busy = holder;
    await new Promise<void>((resolve) => holder.listen(0, HOST, resolve));
    const address = holder.address();
    if (address === null || typeof address === "string") throw new Error("no busy port");
    const context: Context = {
      busyPort: String(address.port),
      refusedPort: String(await freePort()),
    };
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < CASES.length) {
        const failure = CASES[next++];
        if (failure === undefined) break;
        try {
          exits.set(failure.name, await failure.run(context));
        } catch (e) {
          exits.set(failure.name, e instanceof Error ? e : new Error(String(e)));
        }
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
  }, 90_000);

  afterAll(async () => {
    await Promise.all(programs.map((program) => program.kill()));
    await new Promise<void>((resolve) => {
      if (busy === undefined) resolve();
      else
        busy.close(() => {
          resolve();
        });
    });
  });

  for (const failure of CASES) {
    it(failure.name, () => {
      const exit = exits.get(failure.name);
      if (exit === undefined) throw new Error(`no run recorded for ${failure.name}`);
      if (exit instanceof Error) throw exit;
      const python = loadFailure(failure.name);
      const context = `stdout:\n${exit.stdout}\nstderr:\n${exit.stderr}`;
      const files = failure.files ?? failure.program;
      const notes = failure.notes ?? [];
      expect(maskTraceback(maskPorts(exit.stdout), files), context).toBe(
        maskTraceback(maskPorts(withNotes(python.stdout, notes)), files),
      );
      expect(maskTraceback(exit.stderr, files), context).toBe(
        maskTraceback(withNotes(python.stderr, notes), files),
      );
      expect(ended(exit), context).toBe(python.ended);
    });
  }
});

describe("the README's command, node --import tsx demos/NAME.ts: Ctrl-C to the process group gives Python's statuses", () => {
  /** The demo run exactly as the README says (the other tests run the same code from the test build). */
  function asTheReadmeSays(demo: string, args: readonly string[]): Program {
    return spawnProgram(process.execPath, ["--import", "tsx", `demos/${demo}.ts`, ...args], {
      cwd: PROJECT_ROOT,
    });
  }

  it("multiconn-server: 'Caught keyboard interrupt, exiting', status 0", async () => {
    const port = await freePort();
    const server = asTheReadmeSays("multiconn-server", [HOST, String(port)]);
    await server.waitForLine(/^Listening on /);
    server.signal("SIGINT");
    const exit = await server.waitForExit(EXIT_TIMEOUT_MS);
    expect(exit.stdout).toBe(
      `Listening on ('127.0.0.1', ${String(port)})\nCaught keyboard interrupt, exiting\n`,
    );
    expect(exit.stderr).toBe("");
    expect(exit).toMatchObject({ code: 0, signal: null });
  });

  it("echo-server in accept(): the KeyboardInterrupt traceback, death by SIGINT (status 130 in a shell)", async () => {
    const port = await freePort();
    const server = asTheReadmeSays("echo-server", [HOST, String(port)]);
    await waitForListening(port);
    server.signal("SIGINT");
    const exit = await server.waitForExit(EXIT_TIMEOUT_MS);
    expect(exit.stderr).toMatch(
      /^Traceback \(most recent call last\):\n[\s\S]*\nKeyboardInterrupt\n$/,
    );
    expect(exit).toMatchObject({ code: null, signal: "SIGINT" });
  });
});

describe("documented differences (docs/python-to-typescript.md, Why the differences)", () => {
  it("app-client with a host name that does not resolve: Python's traceback and exit 1; ours the main loop's error block and exit 0", async () => {
    const python = loadFailure("app-client-gaierror");
    expect(python.stderr).toMatch(/\nsocket\.gaierror: \[Errno -\d+\] .*\n$/);
    expect(python.ended).toBe("1");

    const exit = await tsDemo("app-client", [
      "no-such-host.invalid",
      "65432",
      "search",
      "x",
    ]).waitForExit(EXIT_TIMEOUT_MS);
    const addr = "('no-such-host.invalid', 65432)";
    const lines = exit.stdout.split("\n");
    expect(lines.slice(0, 3)).toEqual([
      `Starting connection to ${addr}`,
      `Main: Error: Exception for ${addr}:`,
      "Traceback (most recent call last):",
    ]);
    expect(lines.slice(-4)).toEqual([
      expect.stringMatching(
        /^socket\.gaierror: \[Errno -[23]\] (?:Name or service not known|Temporary failure in name resolution)$/,
      ),
      "",
      `Closing connection to ${addr}`,
      "",
    ]);
    expect(exit.stderr).toBe("");
    expect(exit).toMatchObject({ code: 0, signal: null });
  });
});

describe("maskTraceback", () => {
  it("masks paths, line numbers, source lines and carets; drops other files' frames", () => {
    const python = [
      "Traceback (most recent call last):",
      '  File "/x/spec/peers/echo-server.py", line 21, in <module>',
      "    conn, addr = s.accept()",
      "                 ^^^^^^^^^^",
      '  File "/usr/lib/python3.11/socket.py", line 294, in accept',
      "    fd, addr = self._accept()",
      "               ^^^^^^^^^^^^^^",
      "KeyboardInterrupt",
      "",
    ].join("\n");
    const ours = [
      "Traceback (most recent call last):",
      '  File "/y/demos/echo-server.ts", line 23, in <module>',
      "    const [conn, addr] = await s.accept();",
      "KeyboardInterrupt",
      "",
    ].join("\n");
    const masked = maskTraceback(python, "echo-server");
    expect(masked).toBe(
      'Traceback (most recent call last):\n  File "echo-server", line <N>, in <module>\n    <source>\nKeyboardInterrupt\n',
    );
    expect(maskTraceback(ours, "echo-server")).toBe(masked);
    // A different function, or a frame more, still shows.
    expect(maskTraceback(ours.replace("<module>", "serviceConnection"), "echo-server")).toContain(
      "in service_connection",
    );
  });
});
