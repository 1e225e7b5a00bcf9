#!/usr/bin/env python3
# The Socket Programming HOWTO's non-blocking loop ("Non-blocking Sockets"): select.select() over the
# listening socket and its connections, echoing what each one sends. Quoted in docs/GUIDE.md beside
# spec/fixtures/programs/select-echo-server.ts; spec/selector-classes.spec.ts runs both with the same client.
# Usage: select-echo-server.py <host> <port>. Exits after 60 s with nothing to do.
import select
import socket
import sys

host, port = sys.argv[1], int(sys.argv[2])
lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
lsock.bind((host, port))
lsock.listen()
print(f"Listening on {(host, port)}", flush=True)
lsock.setblocking(False)

potential_readers = [lsock]
potential_writers = []
potential_errs = []
outgoing = {}

while True:
    ready_to_read, ready_to_write, in_error = select.select(
        potential_readers, potential_writers, potential_errs, 60
    )
    if not (ready_to_read or ready_to_write or in_error):
        print("Nothing for 60 s, exiting", flush=True)
        break
    for s in ready_to_read:
        if s is lsock:
            conn, addr = lsock.accept()
            conn.setblocking(False)
            print(f"Accepted connection from {addr}", flush=True)
            potential_readers.append(conn)
            outgoing[conn] = b""
        else:
            data = s.recv(1024)
            if data:
                outgoing[s] += data
                if s not in potential_writers:
                    potential_writers.append(s)
            else:
                print(f"Closing connection to {s.getpeername()}", flush=True)
                potential_readers.remove(s)
                if s in potential_writers:
                    potential_writers.remove(s)
                del outgoing[s]
                s.close()
    for s in ready_to_write:
        if s in outgoing:
            print(f"Echoing {outgoing[s]!r} to {s.getpeername()}", flush=True)
            sent = s.send(outgoing[s])
            outgoing[s] = outgoing[s][sent:]
            if not outgoing[s]:
                potential_writers.remove(s)
