/**
 * `Message`, `libclient` and `libserver` take their socket and selector by what they use of them (`MessageSocket`,
 * `MessageSelector`): plain objects stand in for both, with no cast, and the course's exchange runs on them.
 */
import { describe, expect, it } from "vitest";

import { BlockingIOError } from "../lib/python/errors.ts";
import * as libclient from "../lib/app/libclient.ts";
import * as libserver from "../lib/app/libserver.ts";
import type { Message, MessageSelector, MessageSocket } from "../lib/app/message.ts";
import { printer } from "../lib/python/print.ts";
import { EVENT_READ, EVENT_WRITE } from "../lib/python/selectors.ts";

/** A socket double: `recv` hands out `input` `chunk` bytes at a time, `send` takes at most `room` bytes. */
class FakeSocket implements MessageSocket {
  input: Buffer = Buffer.alloc(0);
  readonly output: Buffer[] = [];
  closed = false;
  constructor(
    private readonly chunk: number,
    private readonly room: number,
  ) {}
  fileno(): number {
    return this.closed ? -1 : 7;
  }
  recv(bufsize: number): Buffer {
    if (this.input.length === 0) throw new BlockingIOError(11, "Resource temporarily unavailable");
    const n = Math.min(bufsize, this.chunk, this.input.length);
    const data = this.input.subarray(0, n);
    this.input = this.input.subarray(n);
    return data;
  }
  send(data: Uint8Array): number {
    const n = Math.min(this.room, data.length);
    this.output.push(Buffer.from(data.subarray(0, n)));
    return n;
  }
  close(): void {
    this.closed = true;
  }
}

/** A selector double: records the calls `Message` makes. */
class FakeSelector implements MessageSelector {
  readonly calls: string[] = [];
  modify(_fileobj: MessageSocket | number, events: number, data?: Message | null): void {
    this.calls.push(`modify ${events} ${data === undefined || data === null ? "none" : "message"}`);
  }
  unregister(_fileobj: MessageSocket | number): void {
    this.calls.push("unregister");
  }
}

describe("Message with a socket and a selector that are not ours", () => {
  it("the client's request, read by the server one byte a time, is answered and both sides close", () => {
    const quiet = { log: printer(true) };
    const clientSel = new FakeSelector();
    const clientSock = new FakeSocket(1, 3);
    const request = {
      type: "text/json",
      encoding: "utf-8",
      content: { action: "search", value: "morpheus" },
    };
    const client = new libclient.Message(
      clientSel,
      clientSock,
      ["127.0.0.1", 65432],
      request,
      quiet,
    );
    // The client writes its request 3 bytes a time, then listens for the answer.
    while (clientSel.calls.length === 0) client.processEvents(EVENT_WRITE);
    expect(clientSel.calls).toEqual([`modify ${EVENT_READ} message`]);

    const serverSel = new FakeSelector();
    const serverSock = new FakeSocket(1, 5);
    serverSock.input = Buffer.concat(clientSock.output);
    const server = new libserver.Message(serverSel, serverSock, ["127.0.0.1", 50000], quiet);
    while (serverSel.calls.length === 0) server.processEvents(EVENT_READ);
    expect(server.request).toEqual({ action: "search", value: "morpheus" });
    while (!serverSock.closed) server.processEvents(EVENT_WRITE);
    expect(serverSel.calls).toEqual([`modify ${EVENT_WRITE} message`, "unregister"]);

    // The client reads the answer one byte a time and closes.
    clientSock.input = Buffer.concat(serverSock.output);
    while (!clientSock.closed) client.processEvents(EVENT_READ);
    expect(client.response).toEqual({ result: "Follow the white rabbit. \u{1f430}" });
    expect(clientSel.calls).toEqual([`modify ${EVENT_READ} message`, "unregister"]);
  });
});
