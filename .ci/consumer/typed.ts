// Type-checked in a fresh project with an ordinary strict NodeNext config (no allowImportingTsExtensions,
// skipLibCheck off, target ES2020): the package's declarations must check there.
import { EventLoop, socket } from "selectors-ts";
import { ConnectionRefusedError } from "selectors-ts/errors";
import { Message as ClientMessage } from "selectors-ts/libclient";
import { Message as ServerMessage } from "selectors-ts/libserver";
import { createMessage } from "selectors-ts/protocol";
import { DefaultSelector, EVENT_READ, type SelectorKey } from "selectors-ts/selectors";

const sel = new DefaultSelector<ClientMessage | ServerMessage | null>();
const lsock: socket.NonBlockingSocket = socket
  .socket(socket.AF_INET, socket.SOCK_STREAM)
  .setblocking(false);
const key: SelectorKey<socket.NonBlockingSocket, ClientMessage | ServerMessage | null> =
  sel.register(lsock, EVENT_READ);
const loop: EventLoop = new EventLoop();
const refused: number = new ConnectionRefusedError(111, "Connection refused").errno ?? 0;
export { createMessage, key, loop, refused };
