// `npm run demo`: the guided tour runs the app-server and five app-client requests, and exits 0.
import { describe, expect, it } from "vitest";

import { tsDemo } from "./helpers/process.ts";

describe("the guided demo (npm run demo)", () => {
  it("shows both sides of each request and stops the server with Ctrl-C", async () => {
    const tour = tsDemo("demo", []);
    const { code, stdout, stderr } = await tour.waitForExit(60_000);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    for (const line of [
      "Got result: Follow the white rabbit. \u{1f430}",
      "Got result: In the caves beneath the Misty Mountains. \u{1f48d}",
      "Got result: \u{1f43e} Playing ball! \u{1f3d0}",
      "Got result: No match for 'neo'.",
      "Got response: b'First 10 bytes of request: findx'",
      "Received request {'action': 'search', 'value': 'morpheus'} from ('127.0.0.1', ",
      "Received binary/custom-client-binary-type request from ('127.0.0.1', ",
      "Caught keyboard interrupt, exiting",
      "The server exited with status 0.",
    ]) {
      expect(stdout).toContain(line);
    }
    expect(stdout.match(/^ {4}Closing connection to /gm)).toHaveLength(5);
  }, 90_000);
});
