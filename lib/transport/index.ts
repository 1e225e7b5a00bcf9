/**
 * The transports that carry a socket's bytes: the interface the kernel drives (`Wire`, with events in the kernel's
 * terms and errors as errno numbers), Node's `node:net` and `node:dgram` under it by default, and the in-memory network for tests.
 * @module
 */
export * as wire from "./wire.ts";
export * as nodeNet from "./node-net.ts";
export * as nodeDgram from "./node-dgram.ts";
export * as memoryNetwork from "./memory-network.ts";
