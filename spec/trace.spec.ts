// NODE_DEBUG=selectors: Node's own debuglog convention traces registrations and every select() call.
import { describe, expect, it } from "vitest";

import { freePort } from "./helpers/ports.ts";
import { tsDemo } from "./helpers/process.ts";

describe("NODE_DEBUG=selectors", () => {
  it("logs register, each select() with its timeout and ready fds, and unregister", async () => {
    // Nobody listens on the port: the client's socket turns readable and writable (refused), once.
    const port = await freePort();
    const env = { ...process.env, NODE_DEBUG: "selectors" };
    const client = tsDemo("app-client", ["127.0.0.1", String(port), "search", "x"], { env });
    const { code, stderr } = await client.waitForExit();
    expect(code).toBe(0);
    const lines = stderr.split("\n").filter((line) => line.startsWith("SELECTORS "));
    const events = lines.map((line) => line.replace(/^SELECTORS \d+: /, ""));
    expect(events).toEqual([
      "register fd=4 events=RW",
      "select(1) epfd=3 -> [4:RW]",
      "unregister fd=4",
    ]);
  });

  it("logs nothing when NODE_DEBUG does not name selectors", async () => {
    const port = await freePort();
    const env = { ...process.env, NODE_DEBUG: "net" };
    const client = tsDemo("app-client", ["127.0.0.1", String(port), "search", "x"], { env });
    const { stderr } = await client.waitForExit();
    expect(stderr).not.toMatch(/^SELECTORS /m);
    expect(stderr).toMatch(/^NET \d+: /m);
  });
});
