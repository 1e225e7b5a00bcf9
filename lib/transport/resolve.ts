/**
 * Name lookup for a listener's host, shared by the wires: an IP literal is taken as it is (at once, in the same
 * turn), a name is looked up in the socket's own IP version, as Python's `bind()` does (a name without an address
 * there fails with `gaierror` -2, "Name or service not known").
 * @module
 */
import { lookup } from "node:dns";
import { isIP } from "node:net";

import { errnoOfNodeError } from "./node-errno.ts";

/**
 * Resolve `host` for an IPv`version` socket; `done(0, address)` on success, `done(errno, "")` on failure (a
 * negative `gaierror` number).
 */
export function resolveHost(
  host: string,
  version: 4 | 6,
  done: (errno: number, address: string) => void,
): void {
  if (isIP(host) !== 0) {
    done(0, host);
    return;
  }
  lookup(host, { family: version }, (err, address) => {
    if (err) done(errnoOfNodeError(err), "");
    else done(0, address);
  });
}
