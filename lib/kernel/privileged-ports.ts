/**
 * Privileged ports, as Linux decides them: a port below `net.ipv4.ip_unprivileged_port_start`
 * (`/proc/sys/net/ipv4/ip_unprivileged_port_start`, 1024 by default) is bound only by a process with
 * CAP_NET_BIND_SERVICE, bit 10 of `CapEff` in `/proc/self/status` (root has it). Without `/proc` (not Linux):
 * 1024, and root (uid 0) only. Both are read once, at the first bind of a port that needs them.
 * @module
 */
import { readFileSync } from "node:fs";

import type { BindPrivilege } from "./bind-rules.ts";

const CAP_NET_BIND_SERVICE = 10n;
let cached: BindPrivilege | null = null;

/** `net.ipv4.ip_unprivileged_port_start`, 1024 where it cannot be read. */
export function unprivilegedPortStart(): number {
  try {
    const value = Number(readFileSync("/proc/sys/net/ipv4/ip_unprivileged_port_start", "utf8"));
    return Number.isInteger(value) ? value : 1024;
  } catch {
    return 1024;
  }
}

/** Does this process have CAP_NET_BIND_SERVICE (from `/proc/self/status`; else: is it root)? */
export function canBindPrivilegedPorts(): boolean {
  try {
    const status = readFileSync("/proc/self/status", "utf8");
    const hex = /^CapEff:\s*([0-9a-fA-F]+)$/m.exec(status)?.[1];
    if (hex !== undefined) return ((BigInt(`0x${hex}`) >> CAP_NET_BIND_SERVICE) & 1n) === 1n;
  } catch {
    // no /proc: fall back to the uid
  }
  return process.getuid?.() === 0;
}

/** This process's privilege for `bind()` (read once). */
export function processPrivilege(): BindPrivilege {
  return (cached ??= {
    unprivilegedPortStart: unprivilegedPortStart(),
    administrator: canBindPrivilegedPorts(),
  });
}
