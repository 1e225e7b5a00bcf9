/**
 * The services database (`/etc/services`), as glibc reads it for `getservbyname()`, `getservbyport()`,
 * getaddrinfo()'s named ports and getnameinfo()'s service names.
 *
 * The rules: a line is `name port/proto [aliases...] [# comment]`; a name or an alias matches; the first line
 * that matches wins; with no protocol given, the first line of any protocol. The file is read once, at the first
 * look-up. Where the machine has no `/etc/services` (a slim container), a small built-in table of the well-known
 * services the course and Python's tests name is used instead ({@link FALLBACK_SERVICES}); {@link servicesSource}
 * says which.
 * @module
 */
import { readFileSync } from "node:fs";

/** One entry of the services database. */
export interface Service {
  /** The official name (`http`). */
  readonly name: string;
  /** The port number. */
  readonly port: number;
  /** The protocol, `tcp` or `udp`. */
  readonly proto: string;
  /** Other names (`www`). */
  readonly aliases: readonly string[];
}

/** Where the table is read from. */
export const SERVICES_FILE = "/etc/services";

/**
 * The table used when {@link SERVICES_FILE} is missing: lines in the file's own format, from Debian's
 * `netbase` (the services Python's `test_socket.py` and the course ask for).
 */
export const FALLBACK_SERVICES = `
tcpmux 1/tcp
echo 7/tcp
echo 7/udp
discard 9/tcp sink null
discard 9/udp sink null
daytime 13/tcp
daytime 13/udp
ftp-data 20/tcp
ftp 21/tcp
ssh 22/tcp
telnet 23/tcp
smtp 25/tcp mail
time 37/tcp timserver
time 37/udp timserver
domain 53/tcp
domain 53/udp
gopher 70/tcp
finger 79/tcp
http 80/tcp www
pop3 110/tcp pop-3
sunrpc 111/tcp portmapper
sunrpc 111/udp portmapper
auth 113/tcp authentication tap ident
ntp 123/udp
imap2 143/tcp imap
snmp 161/udp
ldap 389/tcp
https 443/tcp
https 443/udp
submission 587/tcp
ldaps 636/tcp
imaps 993/tcp
pop3s 995/tcp
http-alt 8080/tcp webcache
`;

let table: readonly Service[] | null = null;
let source: "file" | "fallback" = "file";

/** Parse lines in `/etc/services`' format. */
export function parseServices(text: string): Service[] {
  const services: Service[] = [];
  for (const line of text.split("\n")) {
    const fields = (line.split("#", 1)[0] ?? "").trim().split(/\s+/);
    const [name, portProto, ...aliases] = fields;
    if (name === undefined || name === "" || portProto === undefined) continue;
    const match = /^(\d+)\/(\w+)$/.exec(portProto);
    if (match === null) continue;
    services.push({ name, port: Number(match[1]), proto: match[2] ?? "", aliases });
  }
  return services;
}

function services(): readonly Service[] {
  if (table !== null) return table;
  let text: string;
  try {
    text = readFileSync(SERVICES_FILE, "utf8");
    source = "file";
  } catch {
    text = FALLBACK_SERVICES;
    source = "fallback";
  }
  table = parseServices(text);
  return table;
}

/** Which table the look-ups use: `/etc/services` (`"file"`) or the built-in one (`"fallback"`). */
export function servicesSource(): "file" | "fallback" {
  services();
  return source;
}

/** The first service named `name` (or with that alias), of `proto` when given. */
export function serviceByName(name: string, proto?: string): Service | undefined {
  return services().find(
    (s) =>
      (proto === undefined || s.proto === proto) && (s.name === name || s.aliases.includes(name)),
  );
}

/** The first service on `port`, of `proto` when given. */
export function serviceByPort(port: number, proto?: string): Service | undefined {
  return services().find((s) => s.port === port && (proto === undefined || s.proto === proto));
}
