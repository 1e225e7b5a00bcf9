/**
 * A picture of the event loop, beyond the course: which sockets each `select()` call reported, with which mask.
 *
 * A {@link Timeline} watches a {@link DefaultSelector} and, when asked, renders one row per socket and one column
 * per `select()` call, each cell `R`, `W`, `RW` or `.` (not reported). Runs of identical calls are folded into one
 * column headed with their range (`4-152`), so the multiconn server's spin (every open connection writable on
 * every call) takes one column, and the app client's switch from `RW` to `R` shows as two.
 *
 * ```text
 * select() call              1   2   3-41  42
 * fd 3 ('127.0.0.1', 7020)   R   .   .     R
 * fd 4 ('127.0.0.1', 55892)  .   RW  W     .
 * ```
 *
 * The demos print it at exit with `--timeline`.
 * @module
 */
import { repr } from "../python/repr.ts";
import type { DefaultSelector, FileObj, ReadyList } from "../python/selectors.ts";
import { isSocket } from "../python/socket.ts";

const CELL = ["", "R", "W", "RW"];
/** Most columns printed; beyond it, the first and last halves with `…` between. */
const MAX_COLUMNS = 40;

interface Row {
  readonly label: string;
  readonly order: number;
}

/** One group of identical consecutive calls: first and last call number, and what each row showed. */
interface Column {
  first: number;
  last: number;
  readonly cells: ReadonlyMap<Row, number>;
}

/** Records what each `select()` of a selector reported, and renders it as a text timeline. */
export class Timeline<F extends FileObj, D> {
  private readonly rows = new Map<unknown, Row>();
  private readonly columns: Column[] = [];
  private calls = 0;

  /** Start recording `selector`'s `select()` results (after any observer the selector already had). */
  constructor(selector: DefaultSelector<D, F>) {
    const previous = selector.onSelect;
    selector.onSelect = (ready, timeout) => {
      previous?.(ready, timeout);
      this.record(ready);
    };
  }

  /** How many `select()` calls were recorded. */
  get length(): number {
    return this.calls;
  }

  /** Add one `select()` result. */
  record(ready: ReadyList<F, D>): void {
    this.calls += 1;
    const cells = new Map<Row, number>();
    for (const [key, mask] of ready) cells.set(this.row(key.fileobj, key.fd), mask);
    const last = this.columns.at(-1);
    if (last !== undefined && sameCells(last.cells, cells)) last.last = this.calls;
    else this.columns.push({ first: this.calls, last: this.calls, cells });
  }

  /** The timeline as text (see the module example); a line saying so when nothing was recorded. */
  render(): string {
    if (this.calls === 0) return "select() was not called";
    let columns: (Column | null)[] = this.columns;
    if (columns.length > MAX_COLUMNS) {
      const half = MAX_COLUMNS / 2;
      columns = [...this.columns.slice(0, half), null, ...this.columns.slice(-half)];
    }
    const rows = [...this.rows.values()].sort((a, b) => a.order - b.order);
    const labelWidth = Math.max("select() call".length, ...rows.map((r) => r.label.length));
    const heads = columns.map((c) =>
      c === null ? "…" : c.first === c.last ? `${c.first}` : `${c.first}-${c.last}`,
    );
    const widths = heads.map((h) => Math.max(h.length, 2));
    const line = (label: string, cells: string[]): string =>
      [label.padEnd(labelWidth), ...cells.map((cell, i) => cell.padEnd(widths[i] ?? 2))]
        .join("  ")
        .trimEnd();
    const out = [line("select() call", heads)];
    for (const row of rows) {
      out.push(
        line(
          row.label,
          columns.map((c) => {
            if (c === null) return "…";
            const mask = c.cells.get(row);
            if (mask === undefined) return ".";
            return mask === 0 ? "0" : (CELL[mask] ?? String(mask));
          }),
        ),
      );
    }
    return out.join("\n");
  }

  private row(fileobj: unknown, fd: number): Row {
    const id = typeof fileobj === "object" && fileobj !== null ? fileobj : fd;
    let row = this.rows.get(id);
    if (row === undefined) {
      row = { label: socketLabel(fileobj, fd), order: this.rows.size };
      this.rows.set(id, row);
    }
    return row;
  }
}

/**
 * How the timeline (and `explorer.ts`) names a registered file object: `fd 4 ('127.0.0.1', 55892)`, with the
 * socket's peer address, or its own when it has no peer (a listening socket); `fd 4` for anything else.
 */
export function socketLabel(fileobj: unknown, fd: number): string {
  return `fd ${fd} ${describe(fileobj)}`.trimEnd();
}

/** A socket's peer address, or its own address when listening; empty for anything else. */
function describe(fileobj: unknown): string {
  if (!isSocket(fileobj)) return "";
  for (const get of [() => fileobj.getpeername(), () => fileobj.getsockname()]) {
    try {
      return repr(get());
    } catch {
      // not connected (yet): try the next
    }
  }
  return "";
}

function sameCells(a: ReadonlyMap<Row, number>, b: ReadonlyMap<Row, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [row, mask] of a) if (b.get(row) !== mask) return false;
  return true;
}
