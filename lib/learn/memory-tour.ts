/**
 * The guided tour (`npm run demo`) in one process, on a memory network: the course's app-server and app-client
 * loops (`lib/app/libserver.ts`, `lib/app/libclient.ts`) take turns in this process, one connection per request, and
 * the network's capture and socket table show what happened on the wire.
 *
 * The rules:
 * - The network runs with `{ auto: false }`: this module steps it, one step per turn of the two loops, so a tour
 *   gives the same printed lines, the same ports and the same capture (timestamps too) on every run.
 * - Each side prints what the course's programs print (through `serverLog` and `clientLog`), and a request that
 *   fails to get an answer in 100,000 turns stops the tour with an Error.
 * - The server listens on `127.0.0.1:65432` (the course's address: on a memory network it is always free), and is
 *   closed at the end instead of being interrupted.
 * @module
 */
import * as libclient from "../app/libclient.ts";
import * as libserver from "../app/libserver.ts";
import { printer } from "../python/print.ts";
import { repr } from "../python/repr.ts";
import { DefaultSelector, EVENT_READ, EVENT_WRITE } from "../python/selectors.ts";
import type { InetAddress } from "../python/socket.ts";
import { MemoryNetwork } from "../transport/memory-network.ts";

/** The course's address. */
export const TOUR_ADDRESS: InetAddress = ["127.0.0.1", 65432];

/** What {@link memoryTour} runs, and where it prints. */
export interface MemoryTourOptions {
  /** The requests, `[action, value]`: `search` sends JSON text, anything else binary (as app-client does). */
  readonly requests: readonly (readonly [action: string, value: string])[];
  /** The server's printed lines. */
  readonly serverLog: (line: string) => void;
  /** The client's printed lines. */
  readonly clientLog: (line: string) => void;
  /** Called before each request starts (`index` from 0), e.g. to print a heading. */
  readonly onRequest?: (index: number, action: string, value: string) => void;
  /** Called after each request's connection is closed on both sides. */
  readonly afterRequest?: (index: number, response: unknown) => void;
  /** Most bytes one delivery hands over (`MemoryNetwork`'s `chunkSize`; default no limit). */
  readonly chunkSize?: number | null;
  /** Write the tour's segments to this pcap file. */
  readonly capture?: string;
}

/** What a tour did. */
export interface MemoryTourResult {
  /** The response of each request, in order. */
  readonly responses: readonly unknown[];
  /** The network it ran on (its socket table, its clock). */
  readonly network: MemoryNetwork;
  /** Packets written to the capture, or 0 without one. */
  readonly packets: number;
}

/** The course's app-client request for `action value`. */
export function tourRequest(action: string, value: string): libclient.Request {
  if (action === "search")
    return { type: "text/json", encoding: "utf-8", content: { action, value } };
  return {
    type: "binary/custom-client-binary-type",
    encoding: "binary",
    content: Buffer.from(action + value, "utf-8"),
  };
}

/**
 * Run the tour (see the module rules).
 * @throws Error when a request gets no answer in 100,000 turns; the course's errors as its programs raise them.
 */
export async function memoryTour(options: MemoryTourOptions): Promise<MemoryTourResult> {
  const network = new MemoryNetwork({ auto: false, chunkSize: options.chunkSize ?? null });
  const capture = options.capture === undefined ? null : network.capture(options.capture);
  const serverPrint = printer(false, options.serverLog);
  const clientPrint = printer(false, options.clientLog);
  const responses: unknown[] = [];
  const serverSel = new DefaultSelector<libserver.Message | null>();
  const clientSel = new DefaultSelector<libclient.Message>();
  const lsock = network.socket();
  try {
    lsock.bind(TOUR_ADDRESS);
    const listening = lsock.listen();
    network.settle();
    await listening;
    options.serverLog(`Listening on ${repr(TOUR_ADDRESS)}`);
    const listener = lsock.setblocking(false);
    serverSel.register(listener, EVENT_READ, null);
    let open = 0;

    /** One turn: a step of the network, then each loop's ready events. */
    const turn = async (): Promise<void> => {
      network.step();
      for (const [key, mask] of await serverSel.select(0)) {
        if (key.data === null) {
          const [conn, addr] = listener.accept();
          serverPrint`Accepted connection from ${addr}`;
          const nb = conn.setblocking(false);
          open++;
          const message = new libserver.Message(serverSel, nb, addr, {
            log: serverPrint,
            onClose: () => open--,
          });
          serverSel.register(nb, EVENT_READ, message);
        } else key.data.processEvents(mask);
      }
      for (const [key, mask] of await clientSel.select(0)) key.data.processEvents(mask);
    };

    for (const [index, [action, value]] of options.requests.entries()) {
      options.onRequest?.(index, action, value);
      clientPrint`Starting connection to ${TOUR_ADDRESS}`;
      const sock = network.socket().setblocking(false);
      sock.connectEx(TOUR_ADDRESS);
      const message = new libclient.Message(
        clientSel,
        sock,
        TOUR_ADDRESS,
        tourRequest(action, value),
        { log: clientPrint },
      );
      clientSel.register(sock, EVENT_READ | EVENT_WRITE, message);
      let turns = 0;
      while ((clientSel.getMap()?.size ?? 0) > 0 || open > 0 || network.step()) {
        if (++turns > 100_000) throw new Error(`no answer to ${action} ${value}`);
        await turn();
      }
      responses.push(message.response);
      options.afterRequest?.(index, message.response);
    }
  } finally {
    serverSel.close();
    clientSel.close();
    lsock.close();
    network.settle();
    capture?.close();
  }
  return { responses, network, packets: capture?.packets ?? 0 };
}
