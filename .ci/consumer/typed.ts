// Type-checked in a fresh project with an ordinary strict NodeNext config (no allowImportingTsExtensions,
// skipLibCheck off, target ES2020): the package's declarations must check there.
import { EventLoop, socket } from "selectors-ts";
import { ConnectionRefusedError } from "selectors-ts/errors";
import { Message as ClientMessage } from "selectors-ts/libclient";
import { Message as ServerMessage } from "selectors-ts/libserver";
import { createMessage } from "selectors-ts/protocol";
import { DefaultSelector, EVENT_READ, type SelectorKey } from "selectors-ts/selectors";
import type * as entry_root from "selectors-ts";
import type * as entry_socket from "selectors-ts/socket";
import type * as entry_selectors from "selectors-ts/selectors";
import type * as entry_select from "selectors-ts/select";
import type * as entry_errors from "selectors-ts/errors";
import type * as entry_os from "selectors-ts/os";
import type * as entry_sys from "selectors-ts/sys";
import type * as entry_protocol from "selectors-ts/protocol";
import type * as entry_message from "selectors-ts/message";
import type * as entry_libclient from "selectors-ts/libclient";
import type * as entry_libserver from "selectors-ts/libserver";
import type * as entry_limits from "selectors-ts/limits";
import type * as entry_event_loop from "selectors-ts/event-loop";
import type * as entry_repr from "selectors-ts/repr";
import type * as entry_print from "selectors-ts/print";
import type * as entry_traceback from "selectors-ts/traceback";
import type * as entry_timeline from "selectors-ts/timeline";
import type * as entry_cli from "selectors-ts/cli";
import type * as entry_fd from "selectors-ts/fd";
import type * as entry_keyboard_interrupt from "selectors-ts/keyboard-interrupt";
import type * as entry_explorer from "selectors-ts/explorer";
import type * as entry_wire from "selectors-ts/wire";
import type * as entry_memory_network from "selectors-ts/memory-network";
import type * as entry_testing from "selectors-ts/testing";
import type * as entry_testing_contract from "selectors-ts/testing/contract";

const sel = new DefaultSelector<ClientMessage | ServerMessage | null>();
const lsock: socket.NonBlockingSocket = socket
  .socket(socket.AF_INET, socket.SOCK_STREAM)
  .setblocking(false);
const key: SelectorKey<socket.NonBlockingSocket, ClientMessage | ServerMessage | null> =
  sel.register(lsock, EVENT_READ);
const loop: EventLoop = new EventLoop();
const refused: number = new ConnectionRefusedError(111, "Connection refused").errno ?? 0;
export { createMessage, key, loop, refused };

// Every entry, so that each declaration file is checked.
export type Entries = [
  typeof entry_root,
  typeof entry_socket,
  typeof entry_selectors,
  typeof entry_select,
  typeof entry_errors,
  typeof entry_os,
  typeof entry_sys,
  typeof entry_protocol,
  typeof entry_message,
  typeof entry_libclient,
  typeof entry_libserver,
  typeof entry_limits,
  typeof entry_event_loop,
  typeof entry_repr,
  typeof entry_print,
  typeof entry_traceback,
  typeof entry_timeline,
  typeof entry_cli,
  typeof entry_fd,
  typeof entry_keyboard_interrupt,
  typeof entry_explorer,
  typeof entry_wire,
  typeof entry_memory_network,
  typeof entry_testing,
  typeof entry_testing_contract,
];
