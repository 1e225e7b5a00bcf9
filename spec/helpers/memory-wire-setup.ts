/**
 * Setup file of the vitest project "memory wire" (see `wire.ts`): each test runs with a fresh `MemoryNetwork`
 * installed, so the sockets it makes with `socket.socket()` are in-memory ones.
 */
import { afterEach, beforeEach } from "vitest";

import { MemoryNetwork } from "../../lib/transport/memory-network.ts";

let network: MemoryNetwork | null = null;

beforeEach(() => {
  network = new MemoryNetwork().install();
});

afterEach(() => {
  network?.uninstall();
  network = null;
});
