/**
 * The kernel's model, below the Python faces: the file-descriptor table, the model of a socket (states,
 * buffers, readiness, errno) shared by the socket types, and the rules of `bind()` (ports in use, TIME_WAIT,
 * privileged ports). Knows no Node API for sockets and no Python exception: it
 * drives a wire (`lib/transport/`) and returns errno numbers.
 * @module
 */
export * as fd from "./fd.ts";
export * as constants from "./constants.ts";
export * as errno from "./errno.ts";
export * as socket from "./socket.ts";
export * as streamSocket from "./stream-socket.ts";
export * as datagramSocket from "./datagram-socket.ts";
export * as receiveQueue from "./receive-queue.ts";
export * as sendQueue from "./send-queue.ts";
export * as bindRules from "./bind-rules.ts";
export * as portTable from "./port-table.ts";
export * as privilegedPorts from "./privileged-ports.ts";
export * as procNet from "./proc-net.ts";
