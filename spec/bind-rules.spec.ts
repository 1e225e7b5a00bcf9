// bind()'s port rules as Linux has them (lib/kernel/bind-rules.ts): a port in use or left in TIME_WAIT (Errno 98
// unless SO_REUSEADDR on both sockets), two bound sockets, privileged ports (Errno 13), on real sockets and on the
// memory network. spec/fixtures/bind-rules/restart.py prints what Python does; the cases here print the same lines.
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { describe, expect, inject, it } from "vitest";

import { bindErrno, overlaps, type PortUse } from "../lib/kernel/bind-rules.ts";
import { parseProcNet, procAddress, procPortUses } from "../lib/kernel/proc-net.ts";
import { PermissionError } from "../lib/python/errors.ts";
import { repr } from "../lib/python/repr.ts";
import * as socket from "../lib/python/socket.ts";
import { MemoryNetwork } from "../lib/transport/memory-network.ts";
import { itNeeding } from "./helpers/needs-tool.ts";
import { FIXTURES_DIR, pythonExecutable } from "./helpers/process.ts";
import { eventually, thrown, track } from "./helpers/sockets.ts";

const USER = { unprivilegedPortStart: 1024, administrator: false };
const ROOT = { unprivilegedPortStart: 1024, administrator: true };
const use = (state: PortUse["state"], reuseaddr: boolean | null, host = "127.0.0.1"): PortUse => ({
  host,
  port: 5000,
  state,
  reuseaddr,
});

describe("the rules (lib/kernel/bind-rules.ts)", () => {
  it("a listener holds its port whatever SO_REUSEADDR; a bound socket or TIME_WAIT only without it on both", () => {
    const bind = (reuseaddr: boolean, uses: PortUse[]): number =>
      bindErrno({ host: "127.0.0.1", port: 5000, reuseaddr }, uses, USER);
    expect(bind(true, [use("listening", true)])).toBe(98);
    for (const state of ["bound", "time-wait", "connected"] as const) {
      expect([bind(false, [use(state, false)]), bind(true, [use(state, false)])]).toEqual([98, 98]);
      expect([bind(false, [use(state, true)]), bind(true, [use(state, true)])]).toEqual([98, 0]);
    }
    expect(bind(false, [])).toBe(0);
  });

  it("an unknown old SO_REUSEADDR (another process's) is taken as the caller says (default: set)", () => {
    const request = { host: "127.0.0.1", port: 5000, reuseaddr: true };
    expect(bindErrno(request, [use("time-wait", null)], USER)).toBe(0);
    expect(bindErrno(request, [use("time-wait", null)], USER, () => false)).toBe(98);
  });

  it("addresses overlap when equal or one is the wildcard; IPv6's wildcard is dual-stack", () => {
    expect(overlaps("127.0.0.1", "127.0.0.1")).toBe(true);
    expect(overlaps("0.0.0.0", "127.0.0.1")).toBe(true);
    expect(overlaps("127.0.0.1", "127.0.0.2")).toBe(false);
    expect(overlaps("::", "127.0.0.1")).toBe(true);
    expect(overlaps("::1", "127.0.0.1")).toBe(false);
    expect(overlaps("::ffff:127.0.0.1", "127.0.0.1")).toBe(true);
    expect(overlaps("::1", "::")).toBe(true);
  });

  it("ports below the unprivileged start need the right (13 before 98); port 0 is always free", () => {
    const at = (port: number, who = USER): number =>
      bindErrno(
        { host: "127.0.0.1", port, reuseaddr: false },
        [{ ...use("listening", true), port }],
        who,
      );
    expect(at(80)).toBe(13);
    expect(at(80, ROOT)).toBe(98);
    expect(at(1023)).toBe(13);
    expect(at(1024)).toBe(98);
    expect(at(0)).toBe(0);
  });

  it("reads the kernel's table: addresses, ports and states of /proc/net/tcp and tcp6", () => {
    const tcp = [
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
      "   0: 0100007F:B32B 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 53312",
      "   1: 0100007F:E559 0100007F:C39E 06 00000000:00000000 03:00001764 00000000     0        0 0",
      "   2: 00000000:E559 0100007F:C39E 01 00000000:00000000 00:00000000 00000000     0        0 1",
    ].join("\n");
    expect(parseProcNet(tcp, 0xe559)).toEqual([
      { host: "127.0.0.1", port: 58713, state: "time-wait", reuseaddr: null },
      { host: "0.0.0.0", port: 58713, state: "connected", reuseaddr: null },
    ]);
    expect(parseProcNet(tcp).map((u) => u.state)).toEqual(["listening", "time-wait", "connected"]);
    expect(procAddress("00000000000000000000000001000000")).toBe("::1");
    expect(procAddress("00000000000000000000000000000000")).toBe("::");
    expect(procAddress("0000000000000000FFFF00000100007F")).toBe("::ffff:127.0.0.1");
  });
});

/** One way of making sockets for the Python cases: real ones, or on a memory network. */
interface Maker {
  readonly name: string;
  socket(): socket.BlockingSocket;
  /** Wait until a connection closed on both ends is gone from the kernel's table, but for TIME_WAIT. */
  settled(port: number): Promise<void>;
}

const REAL: Maker = {
  name: "node:net",
  socket: () => track(socket.socket()),
  // One read of the kernel's table is usually enough (loopback's last ACK is quick); each read is slow where the
  // table is long, so it is polled only when needed.
  settled: async (port) => {
    const closed = (): boolean => procPortUses(port).every((u) => u.state === "time-wait");
    if (!closed()) await eventually(closed, `port ${String(port)} closed but for TIME_WAIT`);
  },
};

function memory(network: MemoryNetwork): Maker {
  return {
    name: "memory network",
    socket: () => track(network.socket()),
    // The network's next steps deliver the last FIN and its ACK (TIME-WAIT begins when the FIN arrives).
    settled: () => {
      network.settle();
      return Promise.resolve();
    },
  };
}

async function freePort(make: Maker): Promise<number> {
  const s = make.socket();
  s.bind(["127.0.0.1", 0]);
  await s.listen();
  const [, port] = s.getsockname() as socket.InetAddress;
  s.close();
  return port;
}

function outcome(fn: () => void): string {
  try {
    fn();
    return "ok";
  } catch (e) {
    return repr(e);
  }
}

async function restart(make: Maker, first: string, oldRa: number, newRa: number): Promise<string> {
  const port = await freePort(make);
  const ls = make.socket();
  ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, oldRa);
  ls.bind(["127.0.0.1", port]);
  await ls.listen();
  const c = make.socket();
  await c.connect(["127.0.0.1", port]);
  const [a] = await ls.accept();
  track(a);
  const [closer, other] = first === "server" ? [a, c] : [c, a];
  closer.close();
  expect((await other.recv(10)).length).toBe(0); // the FIN arrived
  other.close();
  ls.close();
  await make.settled(port);
  const n = make.socket();
  n.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, newRa);
  return outcome(() => {
    n.bind(["127.0.0.1", port]);
  });
}

async function twoBound(
  make: Maker,
  aRa: number,
  bRa: number,
  listen: boolean,
  hostA: string,
  hostB: string,
): Promise<string> {
  const port = await freePort(make);
  const [a, b] = [make.socket(), make.socket()];
  a.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, aRa);
  b.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, bRa);
  a.bind([hostA, port]);
  if (listen) await a.listen();
  const result = outcome(() => {
    b.bind([hostB, port]);
  });
  a.close();
  b.close();
  return result;
}

/** The lines restart.py prints first (the restarts), from our sockets. */
async function restartLines(make: Maker): Promise<string[]> {
  const lines: string[] = [];
  for (const first of ["server", "client"]) {
    for (const old of [0, 1]) {
      for (const next of [0, 1]) {
        const result = await restart(make, first, old, next);
        lines.push(
          `restart ${first} closed first, old ${String(old)}, new ${String(next)}: ${result}`,
        );
      }
    }
  }
  return lines;
}

/** The lines restart.py prints next (two sockets on one port), from our sockets. */
async function twoBoundLines(make: Maker): Promise<string[]> {
  const lines: string[] = [];
  for (const aRa of [0, 1]) {
    for (const bRa of [0, 1]) {
      for (const listen of [false, true]) {
        for (const [hostA, hostB] of [
          ["127.0.0.1", "127.0.0.1"],
          ["0.0.0.0", "127.0.0.1"],
        ] as const) {
          const result = await twoBound(make, aRa, bRa, listen, hostA, hostB);
          const state = listen ? "listening" : "bound";
          lines.push(`two ${state} ${hostA}/${hostB}, ${String(aRa)} ${String(bRa)}: ${result}`);
        }
      }
    }
  }
  return lines;
}

/** What Python printed here (or, without python3, the table measured when this test was written). */
function pythonLines(): string[] {
  const python = pythonExecutable();
  if (python === null) return MEASURED;
  const run = spawnSync(python, [join(FIXTURES_DIR, "bind-rules", "restart.py")], {
    encoding: "utf8",
    timeout: 20_000,
  });
  expect(run.status, run.stderr).toBe(0);
  return run.stdout.trimEnd().split("\n");
}

const IN_USE = "OSError(98, 'Address already in use')";
/** restart.py's output with CPython 3.11.7 on Linux 6. */
const MEASURED = [
  ...["0, new 0", "0, new 1", "1, new 0"].map(
    (c) => `restart server closed first, old ${c}: ${IN_USE}`,
  ),
  "restart server closed first, old 1, new 1: ok",
  ...["0, new 0", "0, new 1", "1, new 0", "1, new 1"].map(
    (c) => `restart client closed first, old ${c}: ok`,
  ),
  ...["0 0", "0 1", "1 0", "1 1"].flatMap((ra) =>
    ["bound", "listening"].flatMap((state) =>
      ["127.0.0.1/127.0.0.1", "0.0.0.0/127.0.0.1"].map(
        (hosts) =>
          `two ${state} ${hosts}, ${ra}: ${ra === "1 1" && state === "bound" ? "ok" : IN_USE}`,
      ),
    ),
  ),
];

describe("restarts as Linux has them: Python's lines, ours the same", () => {
  itNeeding("python3", "restart.py's table is the one measured (python3 here)", () => {
    expect(pythonLines()).toEqual(MEASURED);
  });

  // Each bind() of a named port reads the kernel's table: on a machine whose table holds tens of thousands of
  // TIME_WAIT connections (a busy test machine) that is up to a second, hence the longer timeouts.
  it(
    "on real sockets: the restarts (TIME_WAIT found in /proc/net/tcp)",
    { timeout: 180_000 },
    async () => {
      expect(await restartLines(REAL)).toEqual(MEASURED.slice(0, 8));
    },
  );

  it("on real sockets: two sockets on one port", { timeout: 180_000 }, async () => {
    expect(await twoBoundLines(REAL)).toEqual(MEASURED.slice(8));
  });

  it("on the memory network", async () => {
    const make = memory(new MemoryNetwork());
    expect([...(await restartLines(make)), ...(await twoBoundLines(make))]).toEqual(MEASURED);
  });
});

describe("TIME_WAIT on the memory network's clock", () => {
  async function closedByServer(network: MemoryNetwork, port: number): Promise<void> {
    const make = memory(network);
    const ls = make.socket();
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1);
    ls.bind(["127.0.0.1", port]);
    await ls.listen();
    const c = make.socket();
    await c.connect(["127.0.0.1", port]);
    const [a] = await ls.accept();
    a.close();
    await c.recv(1);
    c.close();
    ls.close();
    network.settle(); // the client's FIN arrives: the server's end goes to TIME-WAIT
  }

  it("lasts 60 s by default, then the port binds without SO_REUSEADDR", async () => {
    const network = new MemoryNetwork();
    await closedByServer(network, 65432);
    expect(network.timeWaitCount).toBe(1);
    const s = track(network.socket());
    expect(
      repr(
        thrown(() => {
          s.bind(["127.0.0.1", 65432]);
        }),
      ),
    ).toBe(IN_USE);
    network.advance(59.999);
    expect(
      repr(
        thrown(() => {
          s.bind(["127.0.0.1", 65432]);
        }),
      ),
    ).toBe(IN_USE);
    network.advance(0.001);
    expect(network.timeWaitCount).toBe(0);
    s.bind(["127.0.0.1", 65432]);
    expect(s.getsockname()).toEqual(["127.0.0.1", 65432]);
  });

  it("lasts as long as the test sets", async () => {
    const network = new MemoryNetwork({ timeWait: 2 });
    await closedByServer(network, 65432);
    network.advance(1);
    expect(network.timeWaitCount).toBe(1);
    network.advance(1);
    expect(network.timeWaitCount).toBe(0);
  });

  it("is left by the end that closed first only", async () => {
    const network = new MemoryNetwork();
    const make = memory(network);
    const ls = make.socket();
    ls.bind(["127.0.0.1", 65432]);
    await ls.listen();
    const c = make.socket();
    await c.connect(["127.0.0.1", 65432]);
    const [a] = await ls.accept();
    c.close();
    await a.recv(1);
    a.close();
    ls.close();
    network.settle(); // the server's FIN arrives: the client's end goes to TIME-WAIT
    expect(network.timeWaitCount).toBe(1); // the client's port
    make.socket().bind(["127.0.0.1", 65432]);
  });
});

describe("privileged ports", () => {
  it("on the memory network: PermissionError 13 below 1024, unless run as administrator", () => {
    const user = track(new MemoryNetwork().socket());
    const error = thrown(() => {
      user.bind(["127.0.0.1", 80]);
    });
    expect(error).toBeInstanceOf(PermissionError);
    expect(repr(error)).toBe("PermissionError(13, 'Permission denied')");
    const admin = track(new MemoryNetwork({ administrator: true }).socket());
    admin.bind(["127.0.0.1", 80]);
    const start = track(new MemoryNetwork({ unprivilegedPortStart: 80 }).socket());
    start.bind(["127.0.0.1", 80]);
  });

  it("UDP too: Linux applies the rule to every protocol (python3 as nobody: PermissionError 13)", () => {
    const udp = track(new MemoryNetwork().socket(socket.AF_INET, socket.SOCK_DGRAM));
    const error = thrown(() => {
      udp.bind(["127.0.0.1", 80]);
    });
    expect(repr(error)).toBe("PermissionError(13, 'Permission denied')");
    udp.bind(["127.0.0.1", 1024]);
    expect(udp.getsockname()).toEqual(["127.0.0.1", 1024]);
    const admin = track(
      new MemoryNetwork({ administrator: true }).socket(socket.AF_INET, socket.SOCK_DGRAM),
    );
    admin.bind(["127.0.0.1", 80]);
    expect(admin.getsockname()).toEqual(["127.0.0.1", 80]);
  });

  // CI runs as root: the program runs as `nobody`, as a learner's normal user would.
  const setpriv = spawnSync("setpriv", ["--version"]).status === 0;
  const asUser = ["--reuid=nobody", "--regid=nogroup", "--clear-groups"];
  const rooted = process.getuid?.() === 0;
  const reason = !rooted
    ? "the tests do not run as root: nobody to drop rights from (the user's own run shows it)"
    : !setpriv
      ? "no setpriv on this machine to run as nobody"
      : null;
  if (reason !== null) console.log(`skipped: privileged ports as a normal user: ${reason}`);

  it.skipIf(reason !== null)("as a normal user (nobody): Python's traceback ends as ours", () => {
    // The program bundle, where `nobody` can read it.
    const dir = mkdtempSync(join(tmpdir(), "selectors-ts-privileged-"));
    try {
      chmodSync(dir, 0o755);
      const program = join(dir, "bind-privileged.mjs");
      copyFileSync(`${inject("programs").dir}spec/fixtures/programs/bind-privileged.ts`, program);
      chmodSync(program, 0o644);
      const ours = spawnSync("setpriv", [...asUser, process.execPath, program], {
        encoding: "utf8",
        cwd: dir,
        timeout: 20_000,
      });
      expect(ours.status).toBe(1);
      const lines = ours.stderr.trimEnd().split("\n");
      expect(lines[0]).toBe("Traceback (most recent call last):");
      expect(lines).toContain("PermissionError: [Errno 13] Permission denied");
      const python = spawnSync(
        "setpriv",
        [
          ...asUser,
          "/usr/bin/python3",
          "-c",
          "import socket; socket.socket().bind(('127.0.0.1', 80))",
        ],
        { encoding: "utf8", cwd: dir, timeout: 20_000 },
      );
      if (python.status !== null && python.stderr.includes("Traceback")) {
        expect(python.stderr.trimEnd().split("\n").at(-1)).toBe(
          "PermissionError: [Errno 13] Permission denied",
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
