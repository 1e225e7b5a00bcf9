/**
 * What the `socket` module exports beside sockets, each from the file that holds it: the enum constants
 * (`socket-constants.ts`), the name look-ups (`netdb.ts`), the address helpers (`inet.ts`) and the byte-order
 * helpers (`byteorder.ts`). `socket.ts` re-exports this module.
 * @module
 */
export * from "./socket-constants.ts";
export * from "./netdb.ts";
export * from "./inet.ts";
export * from "./byteorder.ts";
