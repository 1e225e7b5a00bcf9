/**
 * File descriptors and readiness: the small part of a kernel that our sockets and selectors share.
 *
 * Node gives no public file descriptor for a socket, so we number our own, the way the kernel does: each open
 * {@link Selectable} takes the lowest free number from 3 up (0–2 are stdin, stdout, stderr), and gives it back on
 * close. The numbers appear where Python shows fds: `fileno()`, `SelectorKey.fd`, reprs and `KeyError` texts.
 *
 * A selectable reports its readiness as bits ({@link READABLE}, {@link WRITABLE}, {@link HANGUP}) computed from its
 * state on demand, and tells its {@link Watcher}s when that state may have changed. That is all a selector needs:
 * it re-checks only the sources that said something changed, so a `select()` costs the ready sources, not all
 * registered ones (as epoll does).
 * @module
 */
import { setTimeout as kernelTimeout } from "node:timers";

/** Readiness bit: a read (`recv`, `accept`) would not block. Same value as `EVENT_READ`. */
export const READABLE = 1;
/** Readiness bit: a write (`send`) would not block. Same value as `EVENT_WRITE`. */
export const WRITABLE = 2;
/**
 * Readiness bit: hang-up or error (epoll's HUP/ERR). Reported to a key even when it asked for no events, as epoll
 * does; it always comes with {@link READABLE} and {@link WRITABLE}.
 */
export const HANGUP = 4;

/** Told when a {@link Selectable}'s readiness may have changed. It re-reads {@link Selectable.readiness}. */
export interface Watcher {
  /** Called synchronously from I/O callbacks; must be cheap and must not throw. */
  readinessChanged(): void;
}

/** Something a selector can watch: it has an fd, a readiness, and watchers. */
export interface Selectable {
  /** The fd it holds, or -1 once closed. */
  fileno(): number;
  /** The current readiness bits; 0 once closed. */
  readiness(): number;
  /** Start telling `watcher` about changes. */
  watch(watcher: Watcher): void;
  /** Stop telling `watcher` about changes. */
  unwatch(watcher: Watcher): void;
  /** A regular file: always ready, and refused by epoll (`EPERM`). */
  readonly regularFile?: boolean;
}

/** A set of watchers: a source usually has one (its selector), kept in a field; more go in an array. */
export class Watchers {
  private first: Watcher | null = null;
  private more: Watcher[] | null = null;

  /** Add a watcher (once). */
  add(watcher: Watcher): void {
    if (this.first === watcher || this.more?.includes(watcher)) return;
    if (this.first === null) this.first = watcher;
    else (this.more ??= []).push(watcher);
  }

  /** Remove a watcher, if present. */
  delete(watcher: Watcher): void {
    const more = this.more;
    if (this.first === watcher) this.first = more?.shift() ?? null;
    else if (more !== null) {
      const i = more.indexOf(watcher);
      if (i >= 0) more.splice(i, 1);
    }
  }

  /** Tell every watcher that readiness may have changed. */
  notify(): void {
    const first = this.first;
    const more = this.more;
    if (more === null || more.length === 0) first?.readinessChanged();
    else {
      // A watcher may remove itself while told (a blocking call that finishes waiting): tell a snapshot.
      const all = first === null ? [...more] : [first, ...more];
      for (const watcher of all) watcher.readinessChanged();
    }
  }
}

/**
 * The open fds: `slots[fd]`, the owner or `undefined`. An array rather than a Map: fds are small numbers, reused
 * lowest first, and a Map that connections keep entering and leaving rebuilds its table (a new one each time,
 * promoted by the next young-generation GC, since the Map is old). A number that is no slot (negative, not an
 * integer, or beyond {@link MAX_SLOT}: only `dup2()` makes such) is kept in {@link others}.
 */
const slots: (Selectable | object | undefined)[] = [];
const others = new Map<number, Selectable | object>();
/** Fds above this one are kept in {@link others}: an array with a far index would turn into a dictionary. */
const MAX_SLOT = 0xffff;
/** Freed numbers, kept as a binary min-heap so the lowest is reused first. */
const freed: number[] = [];
let nextFd = 3;

function isSlot(fd: number): boolean {
  return Number.isInteger(fd) && fd >= 0 && fd <= MAX_SLOT;
}

function owner(fd: number): Selectable | object | undefined {
  return isSlot(fd) ? slots[fd] : others.get(fd);
}

function setOwner(fd: number, value: Selectable | object): void {
  if (!isSlot(fd)) others.set(fd, value);
  else {
    // Grown one slot at a time, so that the array never has holes beyond its end.
    while (slots.length < fd) slots.push(undefined);
    slots[fd] = value;
  }
}

/** Take the lowest free fd for `owner`. */
export function allocateFd(owner: Selectable | object): number {
  let fd = freed.length > 0 ? heapPop() : nextFd++;
  // A number taken by allocateFdAt() (dup2 onto a high fd) is skipped.
  while (ownerOfFd(fd) !== undefined) fd = freed.length > 0 ? heapPop() : nextFd++;
  setOwner(fd, owner);
  return fd;
}

/**
 * Put `owner` at the given `fd` (stdin's 0, or the target of `dup2()`), taking it off the free list.
 * @returns whether `fd` was free (when it was not, nothing changes).
 */
export function allocateFdAt(fd: number, owner: Selectable | object): boolean {
  if (ownerOfFd(fd) !== undefined) return false;
  const i = freed.indexOf(fd);
  if (i >= 0) {
    // Rare (dup2 onto a freed number): take it out and restore the heap order.
    freed.splice(i, 1);
    freed.sort((a, b) => a - b);
  }
  setOwner(fd, owner);
  return true;
}

/** Whatever is open at `fd` (a socket's state, a pipe end, a file, a selector), or `undefined`. */
export function ownerOfFd(fd: number): object | undefined {
  return owner(fd);
}

/** The open fds and what holds each, lowest first (a socket table reads them, as `ss -p` reads /proc). */
export function openFds(): [fd: number, owner: Selectable | object][] {
  const open: [number, Selectable | object][] = [...others];
  for (let fd = 0; fd < slots.length; fd++) {
    const held = slots[fd];
    if (held !== undefined) open.push([fd, held]);
  }
  return open.sort((a, b) => a[0] - b[0]);
}

/** Give `fd` back; the next {@link allocateFd} may reuse it. */
export function releaseFd(fd: number): void {
  if (isSlot(fd)) {
    if (slots[fd] === undefined) return;
    slots[fd] = undefined;
  } else if (!others.delete(fd)) return;
  freed.push(fd);
  let i = freed.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    const p = freed[parent] ?? 0;
    if (p <= fd) break;
    freed[i] = p;
    i = parent;
  }
  freed[i] = fd;
}

/** The selectable open at `fd`, or `undefined` when `fd` is not open or not selectable. */
export function lookupFd(fd: number): Selectable | undefined {
  const held = owner(fd);
  return held !== undefined && isSelectable(held) ? held : undefined;
}

function isSelectable(owner: object): owner is Selectable {
  return "readiness" in owner && "watch" in owner;
}

function heapPop(): number {
  const top = freed[0] ?? 0;
  const last = freed.pop() ?? 0;
  const n = freed.length;
  if (n > 0) {
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && (freed[r] ?? 0) < (freed[l] ?? 0) ? r : l;
      const c = freed[child] ?? 0;
      if (c >= last) break;
      freed[i] = c;
      i = child;
    }
    freed[i] = last;
  }
  return top;
}

/**
 * Output queued by sockets, not yet handed to the network: like a kernel, a socket may gather several small
 * `send()`s into one write. A selector calls {@link flushQueued} on every `select()`, and a short timer does it for
 * programs that do not call `select()`, so queued bytes always go out.
 */
export interface Flushable {
  /**
   * Hand queued output to the network, or (unless `force`) keep gathering while more is obviously coming.
   * @returns whether output is still queued.
   */
  flushQueued(force: boolean): boolean;
}

let queued: Flushable[] = [];
let spare: Flushable[] = [];
/**
 * The timer that flushes for programs that do not call `select()`: made once, re-armed (`refresh()`) when output is
 * queued, and keeping the process alive (ref'd) only while some is. It is the kernel's, so it is made with
 * `node:timers`' own `setTimeout`, not the global one: a test's fake clock replaces the global, and a timer made
 * under it would never fire once the test has put the real clock back, for every later test in the process.
 */
let timer: NodeJS.Timeout | null = null;
/** How long queued output may wait for a `select()` before the timer sends it, in ms. */
const FLUSH_DELAY_MS = 1;

/** Note that `source` has queued output (once until it is flushed). */
export function queueFlush(source: Flushable): void {
  queued.push(source);
  if (queued.length > 1) return;
  if (timer === null) timer = kernelTimeout(onFlushTimer, FLUSH_DELAY_MS);
  else timer.refresh().ref();
}

/** Flush every queued source; with `force` false, sources may keep gathering (see {@link Flushable}). */
export function flushQueued(force: boolean): void {
  if (queued.length === 0) return;
  const sources = queued;
  queued = spare;
  for (const source of sources) if (source.flushQueued(force)) queued.push(source);
  // pop() is inlined by the optimizing compiler; the length setter is a runtime call at every flush.
  while (sources.length > 0) sources.pop();
  spare = sources;
  // Nothing queued: the timer may still fire, but does not keep the process alive.
  if (queued.length === 0) timer?.unref();
}

function onFlushTimer(): void {
  flushQueued(true);
}
