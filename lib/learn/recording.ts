/**
 * What the explorer records of a run, as plain data: the page (`explorer-page.ts`) draws it and the recorder
 * (`explorer.ts`) fills it, so both import it from here and neither imports the other's module for it.
 * @module
 */

/** Turns recorded unless told otherwise (`--explore-limit`). */
export const DEFAULT_TURN_LIMIT = 10_000;

/** Bytes of one `recv`/`send` kept for the page; the rest is counted. */
export const MAX_SHOWN_BYTES = 512;

/** What the program did with a socket, as the page names it. */
export type ActionKind =
  "register" | "accept" | "recv" | "send" | "modify" | "unregister" | "close" | "error";

/** One thing the program did: the socket's index in {@link Recording.sockets}, the kind, and what happened. */
export type Action = readonly [socket: number, kind: ActionKind, text: string];

/** One `select()` call and what followed it. */
export interface Turn {
  /** The call's number, from 1. */
  readonly n: number;
  /** The timeout given, in seconds; `null` for none (wait until something is ready). */
  readonly timeout: number | null;
  /** Milliseconds from the call to its return. */
  readonly waited: number;
  /** Milliseconds from the start of the recording to the call's return. */
  readonly at: number;
  /** The ready list: each ready socket's index and its mask (`EVENT_READ` 1, `EVENT_WRITE` 2, both 3). */
  readonly ready: (readonly [socket: number, mask: number])[];
  /** What the program did after the call, in order. */
  readonly actions: Action[];
  /** The `key.data` of each key ready (or registered) in this turn, after the program handled it. */
  readonly data: DataEntry[];
}

/** A socket's index in {@link Recording.sockets} and its `key.data`, described. */
export type DataEntry = readonly [socket: number, text: string];

/** One socket of the run (one row of the overview). */
export interface SocketRow {
  /** `fd 5 ('127.0.0.1', 55892)`: fd and peer address (own address for a listening socket). */
  label: string;
  /** The turn in which it was registered (0: before the first `select()`). */
  opened: number;
  /** The turn in which it was unregistered or closed, or `null` while it was still open at the end. */
  closed: number | null;
}

/** A whole run, as the page shows it. */
export interface Recording {
  /** The program and its arguments: `app-client.ts 127.0.0.1 65432 search morpheus`. */
  readonly program: string;
  /** The turn limit in force. */
  readonly limit: number;
  /** `select()` calls made, recorded or not. */
  readonly calls: number;
  /** Every socket the program registered, in order. */
  readonly sockets: SocketRow[];
  /** What the program did before its first `select()` (registrations). */
  readonly before: Action[];
  /** The `key.data` of the keys registered before the first `select()`. */
  readonly beforeData: DataEntry[];
  /** The recorded turns (at most `limit`). */
  readonly turns: Turn[];
  /** What was left out past the limit: how many actions of each kind. */
  readonly omitted: Partial<Record<ActionKind, number>>;
}

/**
 * Is `value` a {@link Recording} (as read back from a `.json` file)? Checks the shape of each part, not every
 * entry's.
 */
export function isRecording(value: unknown): value is Recording {
  if (typeof value !== "object" || value === null) return false;
  const fields = [
    "program",
    "limit",
    "calls",
    "sockets",
    "before",
    "beforeData",
    "turns",
    "omitted",
  ];
  if (!fields.every((field) => Object.hasOwn(value, field))) return false;
  const get = (field: string): unknown => Reflect.get(value, field);
  return (
    typeof get("program") === "string" &&
    typeof get("limit") === "number" &&
    typeof get("calls") === "number" &&
    Array.isArray(get("sockets")) &&
    Array.isArray(get("before")) &&
    Array.isArray(get("beforeData")) &&
    Array.isArray(get("turns")) &&
    typeof get("omitted") === "object"
  );
}
