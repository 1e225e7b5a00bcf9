/**
 * `bind()`'s checks of the port, made at `bind()` as on Linux (Node binds only at `listen()`): a privileged port
 * without the right raises `PermissionError: [Errno 13] Permission denied`; a port in use, or left in TIME_WAIT,
 * raises `OSError: [Errno 98] Address already in use` unless SO_REUSEADDR allows it. The rules are the kernel's
 * (`lib/kernel/bind-rules.ts`); the uses of the port come from this process's sockets (`port-table.ts`) and from
 * the wire (the kernel's table on real sockets, the memory network's own). A host name is checked as the
 * wildcard of its family (it is resolved at `listen()`), so it collides with any use of the port.
 * @module
 */
import { bindErrno, type BindPrivilege } from "../kernel/bind-rules.ts";
import { portTable, type PortOwner } from "../kernel/port-table.ts";
import type { Wire } from "../transport/wire.ts";
import { errno, fromErrno } from "./errors.ts";
import { needsLookup } from "./host-lookup.ts";
import { int } from "./int-enum.ts";

/** A wire that says nothing of privileges has none to enforce. */
const UNRESTRICTED: BindPrivilege = { unprivilegedPortStart: 0, administrator: true };

/** The socket that binds: its state and SO_REUSEADDR (read later too), its family and wire. */
export interface BindingSocket extends PortOwner {
  readonly family: number;
  readonly wire: Wire;
}

/**
 * Check that `sock` may bind `host`:`port`, and claim the port for it.
 * @throws PermissionError 13 for a privileged port without the right; OSError 98 for a port in use.
 */
export function checkBind(sock: BindingSocket, host: string, port: number): void {
  // Port 0 asks for a free port: nothing to check (and the kernel's table is not read, which is slow where it
  // holds many connections).
  if (port === 0) return;
  const table = portTable(sock.wire);
  const local = needsLookup(host) ? (int(sock.family) === 10 ? "::" : "0.0.0.0") : host;
  const request = { host: local, port, reuseaddr: sock.reuseaddr !== 0 };
  const privilege = sock.wire.privilege?.() ?? UNRESTRICTED;
  const assumeReuse = (p: number): boolean => table.reuseOf(p) ?? true;
  // This process's own sockets first; the wire's view (the kernel's table, slow to read where it is long) only
  // when they allow the bind.
  const uses = table.uses(port);
  let code = bindErrno(request, uses, privilege, assumeReuse);
  if (code === 0) {
    const wireUses = sock.wire.portUses?.(port) ?? [];
    uses.push(...wireUses);
    code = bindErrno(request, wireUses, privilege, assumeReuse);
  }
  if (code === errno.EACCES) throw permissionDenied(sock.wire);
  if (code !== 0) {
    const states = new Set(uses.filter((u) => u.port === port).map((u) => u.state));
    throw fromErrno(code).addNote(
      states.has("listening")
        ? "Another program listens on that port. Pick another port, or stop it; SO_REUSEADDR only helps with a port left in TIME_WAIT."
        : states.has("time-wait")
          ? "The port is in TIME_WAIT: a connection on it was closed from this side first. Set SO_REUSEADDR before bind() (the course's app-server does), or wait for TIME_WAIT to end (60 s)."
          : "Another socket holds that port: pick another port, or close that socket first.",
    );
  }
  table.claim(sock, local, port);
}

/**
 * The privileged-port rule alone, for a socket whose port space has no other rule here (UDP): Linux applies it
 * to every protocol.
 * @throws PermissionError 13 for a port below the unprivileged start without the right.
 */
export function checkPrivilegedPort(wire: Wire, port: number): void {
  if (port === 0) return;
  const privilege = wire.privilege?.() ?? UNRESTRICTED;
  if (port < privilege.unprivilegedPortStart && !privilege.administrator)
    throw permissionDenied(wire);
}

function permissionDenied(wire: Wire): Error {
  return fromErrno(errno.EACCES).addNote(
    `Ports below ${String(wire.privilege?.().unprivilegedPortStart ?? 1024)} are for the administrator (root): pick a port from 1024 up, as the course's 65432.`,
  );
}
