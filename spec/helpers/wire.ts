import { describe, it } from "vitest";

/**
 * The wire a spec file runs on. `vitest.config.ts` runs the socket and selector specs twice: on `node:net` (real
 * loopback sockets), and as the project "memory wire", where `memory-wire-setup.ts` installs a fresh
 * `MemoryNetwork` for each test, so `socket.socket()` makes in-memory sockets. Tests of what only the kernel path
 * has (a `node:net` peer, `/proc/net/tcp`, Nagle's algorithm in the real socket) skip themselves there.
 */

/** Is this run on the memory wire? */
export const ON_MEMORY_WIRE = process.env["SELECTORS_TS_WIRE"] === "memory";

/** `it()` for a test of what only the kernel path has: defined on the `node:net` wire only. */
export function itOnKernelPath(name: string, fn: () => Promise<void>, timeout?: number): void {
  if (!ON_MEMORY_WIRE) it(name, fn, timeout);
}

/**
 * `describe()` for tests of what only the kernel path has: defined on the `node:net` wire only, and there skipped
 * when `available` is false (the machine lacks what they read).
 */
export function describeOnKernelPath(name: string, fn: () => void, available = true): void {
  if (!ON_MEMORY_WIRE) describe.skipIf(!available)(name, fn);
}
