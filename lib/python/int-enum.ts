/**
 * Python's `IntEnum` members, as the `socket` module has them (`AddressFamily`, `SocketKind`, `AddressInfo`).
 *
 * The rules, as Python 3.11 prints them:
 * - `repr(member)` is `<AddressFamily.AF_INET: 2>`; `str(member)` and `f"{member}"` are the number, `2`;
 * - a member is a number: `Number(m)`, `m + 1`, `m | 0`, `${m}` and `m == 2` work on its value.
 *
 * JavaScript has no integer subclass, so a member is a `Number` object: one per value, made once, so `===`
 * between two members (`sock.family === socket.AF_INET`) holds exactly when Python's `==` does. Compared with a
 * plain number, `===` is false: write `Number(sock.family) === 2`, or compare with the module's constant. The
 * calls that take a member also take the plain number (`socket.socket(2, 1)`).
 * @module
 */
import { inspect } from "node:util";

import { reprSymbol, strSymbol, type Reprable } from "./repr.ts";

/** The plain number of `value`, a member (a `Number` object typed as a number) or a number. */
export function int(value: number): number {
  const boxed: unknown = value;
  return Number(boxed);
}

/** One member of an `IntEnum`: a `Number` object that prints as Python prints the member. */
export class IntEnumMember extends Number implements Reprable {
  /**
   * @param enumName the enum's name (`AddressFamily`)
   * @param name the member's name (`AF_INET`)
   * @param value its number
   */
  constructor(
    readonly enumName: string,
    readonly name: string,
    value: number,
  ) {
    super(value);
    Object.freeze(this);
  }

  /** The member's number, as Python's `.value`. */
  get value(): number {
    return this.valueOf();
  }

  /** `<AddressFamily.AF_INET: 2>`. */
  [reprSymbol](): string {
    return `<${this.enumName}.${this.name}: ${this.valueOf()}>`;
  }

  /** `2`: Python 3.11's `str()` of an `IntEnum` member is its number's. */
  [strSymbol](): string {
    return String(this.valueOf());
  }

  /** `console.log(member)` shows the Python repr. */
  [inspect.custom](): string {
    return this[reprSymbol]();
  }
}

/** An `IntEnum`: its members by name, and the lookup of a number. */
export class IntEnum<Name extends string> {
  private readonly byValue = new Map<number, IntEnumMember>();
  /** The members by name; typed as numbers, so that they go wherever Python's `int` goes. */
  readonly members: Readonly<Record<Name, number>>;

  /**
   * @param name the enum's name, as Python prints it
   * @param values each member's number, by name (the first name of a number is its member, as in Python)
   */
  constructor(
    readonly name: string,
    values: Readonly<Record<Name, number>>,
  ) {
    const members = {} as Record<Name, number>;
    for (const [key, value] of Object.entries<number>(values)) {
      const member = this.byValue.get(value) ?? new IntEnumMember(name, key, value);
      if (!this.byValue.has(value)) this.byValue.set(value, member);
      members[key as Name] = member as unknown as number;
    }
    this.members = Object.freeze(members);
  }

  /**
   * The member for `value` (a member or its number), or `value` itself as a plain number when no member has it:
   * Python's `_intenum_converter`, which the `socket` module uses for `sock.family` and getaddrinfo()'s tuples.
   */
  of(value: number): number {
    const number = int(value);
    return (this.byValue.get(number) as unknown as number | undefined) ?? number;
  }

  /** Is `value` this enum's member (not a plain number)? */
  has(value: unknown): boolean {
    return value instanceof IntEnumMember && this.byValue.get(value.valueOf()) === value;
  }
}
