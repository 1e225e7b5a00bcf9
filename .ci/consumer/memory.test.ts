// Run by vitest in a fresh project where the package tarball is installed: the course's app-server and
// app-client Message classes, over the in-memory network with 1-byte deliveries, answer `search morpheus`.
import { expect, it } from "vitest";

import { Message as ClientMessage, type Request } from "selectors-ts/libclient";
import { Message as ServerMessage } from "selectors-ts/libserver";
import { printer } from "selectors-ts/print";
import { DefaultSelector, EVENT_READ, EVENT_WRITE } from "selectors-ts/selectors";
import * as socket from "selectors-ts/socket";
import { MemoryNetwork } from "selectors-ts/testing";

it("answers search morpheus over the memory network, one byte per delivery", async () => {
  using _network = new MemoryNetwork({ chunkSize: 1 }).install();
  const log = printer(true);
  const addr: socket.InetAddress = ["127.0.0.1", 65432];

  const lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM);
  lsock.bind(addr);
  await lsock.listen();
  const listener = lsock.setblocking(false);
  using serverSel = new DefaultSelector<ServerMessage | null>();
  serverSel.register(listener, EVENT_READ, null);

  using clientSel = new DefaultSelector<ClientMessage>();
  const sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM).setblocking(false);
  sock.connectEx(addr);
  const request: Request = {
    type: "text/json",
    encoding: "utf-8",
    content: { action: "search", value: "morpheus" },
  };
  const client = new ClientMessage(clientSel, sock, addr, request, { log });
  clientSel.register(sock, EVENT_READ | EVENT_WRITE, client);

  let reads = 0;
  for (let turn = 0; turn < 10_000 && (clientSel.getMap()?.size ?? 0) > 0; turn++) {
    for (const [key, mask] of await serverSel.select(0)) {
      if (key.data === null) {
        const [conn, from] = listener.accept();
        const nb = conn.setblocking(false);
        serverSel.register(nb, EVENT_READ, new ServerMessage(serverSel, nb, from, { log }));
      } else {
        if (mask & EVENT_READ) reads++;
        key.data.processEvents(mask);
      }
    }
    for (const [key, mask] of await clientSel.select(0)) key.data.processEvents(mask);
  }
  lsock.close();
  expect(client.response).toEqual({ result: "Follow the white rabbit. \u{1f430}" });
  // One byte per delivery: the server read the request in as many reads as it has bytes.
  expect(reads).toBeGreaterThan(50);
});
