/**
 * The ports this process's sockets have bound, per wire: what `bind()` checks before the kernel (or Node, which
 * binds only at `listen()`) knows of them, so that two sockets bound to one port without SO_REUSEADDR fail at the
 * second `bind()`, as on Linux (`bind-rules.ts`).
 *
 * The rules: a socket claims its address at `bind()` (port 0 claims nothing: the port is picked later); the claim
 * follows the socket's state (bound, listening, connected) and ends when it closes. The table also remembers,
 * per port, the SO_REUSEADDR of the last socket that held it: a TIME_WAIT left on that port by its connections
 * is judged with it.
 * @module
 */
import type { PortUse } from "./bind-rules.ts";

/** A socket as the table sees it: its state and its SO_REUSEADDR, read when asked. */
export interface PortOwner {
  readonly state: string;
  readonly reuseaddr: number;
}

interface Claim {
  readonly owner: PortOwner;
  readonly host: string;
  readonly port: number;
}

/** One wire's claimed ports. */
export class PortTable {
  private claims: Claim[] = [];
  private readonly lastReuse = new Map<number, boolean>();

  /** `owner` has bound `host`:`port`. */
  claim(owner: PortOwner, host: string, port: number): void {
    if (port !== 0) this.claims.push({ owner, host, port });
  }

  /** The live claims of `port`, as uses (closed sockets drop out, leaving their SO_REUSEADDR). */
  uses(port: number): PortUse[] {
    this.prune();
    return this.claims
      .filter((c) => c.port === port)
      .map((c) => ({
        host: c.host,
        port: c.port,
        state:
          c.owner.state === "listening"
            ? "listening"
            : c.owner.state === "fresh"
              ? "bound"
              : "connected",
        reuseaddr: c.owner.reuseaddr !== 0,
      }));
  }

  /** The SO_REUSEADDR of the last socket of ours on `port`, or `null` when none was there. */
  reuseOf(port: number): boolean | null {
    this.prune();
    const live = this.claims.find((c) => c.port === port);
    return live !== undefined ? live.owner.reuseaddr !== 0 : (this.lastReuse.get(port) ?? null);
  }

  private prune(): void {
    if (!this.claims.some((c) => c.owner.state === "closed")) return;
    for (const c of this.claims) {
      if (c.owner.state === "closed") this.lastReuse.set(c.port, c.owner.reuseaddr !== 0);
    }
    this.claims = this.claims.filter((c) => c.owner.state !== "closed");
  }
}

const tables = new WeakMap<object, PortTable>();

/** The table of the sockets on `wire`. */
export function portTable(wire: object): PortTable {
  let table = tables.get(wire);
  if (table === undefined) {
    table = new PortTable();
    tables.set(wire, table);
  }
  return table;
}
