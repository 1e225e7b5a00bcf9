// Errors that teach: Python's exception and message, word for word, plus a note for a person (Python 3.11's
// `add_note()`), which traceback() prints after the stack.
import { describe, expect, it } from "vitest";

import { ConnectionRefusedError, KeyError, OSError, ValueError } from "../lib/python/errors.ts";
import { DefaultSelector, EVENT_READ } from "../lib/python/selectors.ts";
import * as socket from "../lib/python/socket.ts";
import { traceback } from "../lib/python/traceback.ts";
import { freePort } from "./helpers/ports.ts";

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected an exception");
}

describe("notes on errors a learner meets", () => {
  it("registering twice: Python's KeyError, and what to do instead", () => {
    using sel = new DefaultSelector<null>();
    using sock = socket.socket();
    const nb = sock.setblocking(false);
    sel.register(nb, EVENT_READ);
    const error = caught(() => sel.register(nb, EVENT_READ));
    expect(error).toBeInstanceOf(KeyError);
    if (!(error instanceof KeyError)) return;
    // The repr holds single quotes (the address), so Python quotes it with double quotes.
    expect(error.message).toMatch(
      /^"<socket\.socket fd=\d+, .*> \(FD \d+\) is already registered"$/,
    );
    expect(error.notes).toEqual([
      "A file object is registered once; use modify() to change its events or data, or unregister() it first.",
    ]);
    expect(traceback(error).trimEnd().split("\n").at(-1)).toBe(error.notes[0]);
  });

  it("a mask of 0: Python's ValueError, and which events there are", () => {
    using sel = new DefaultSelector<null>();
    using sock = socket.socket();
    const error = caught(() => sel.register(sock.setblocking(false), 0));
    expect(error).toBeInstanceOf(ValueError);
    if (!(error instanceof ValueError)) return;
    expect(error.message).toBe("Invalid events: 0");
    expect(error.notes).toEqual([
      "events is EVENT_READ (1), EVENT_WRITE (2), or both: EVENT_READ | EVENT_WRITE.",
    ]);
  });

  it("recv on a closed socket: OSError 9, and why", () => {
    const sock = socket.socket().setblocking(false);
    sock.close();
    const error = caught(() => sock.recv(1));
    expect(error).toBeInstanceOf(OSError);
    if (!(error instanceof OSError)) return;
    expect([error.errno, error.message]).toEqual([9, "[Errno 9] Bad file descriptor"]);
    expect(error.notes).toEqual([
      "The socket was closed (its fileno() is -1): a closed socket cannot be used again.",
    ]);
  });

  it("recv on a socket that was never connected: OSError 107, and what to recv from", () => {
    using sock = socket.socket();
    const error = caught(() => sock.setblocking(false).recv(1));
    expect(error).toBeInstanceOf(OSError);
    if (!(error instanceof OSError)) return;
    expect(error.errno).toBe(107);
    expect(error.notes[0]).toMatch(/^recv\(\) reads from a connected socket/);
  });

  it("connecting where nobody listens: ConnectionRefusedError 111, and a hint", async () => {
    const port = await freePort();
    using sock = socket.socket();
    const error: unknown = await sock.connect(["127.0.0.1", port]).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConnectionRefusedError);
    if (!(error instanceof ConnectionRefusedError)) return;
    expect(error.message).toBe("[Errno 111] Connection refused");
    expect(error.notes).toEqual([
      "Nobody listens at that address and port: start the server first, or check them.",
    ]);
  });
});
