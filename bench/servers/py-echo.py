#!/usr/bin/env python3
"""The course's multiconn-server.py, without the per-message printing: the Python echo baseline.

One selector, non-blocking sockets, every connection registered for READ|WRITE, recv(1024) and one send() per
select() turn, exactly the course's design. Only `Listening on (HOST, PORT)` is printed (flushed, so a parent
reading a pipe sees it).
Usage: py-echo.py <host> <port>
"""

import selectors
import socket
import sys
import types

sel = selectors.DefaultSelector()


def accept_wrapper(sock):
    conn, addr = sock.accept()  # Should be ready to read
    conn.setblocking(False)
    data = types.SimpleNamespace(addr=addr, inb=b"", outb=b"")
    events = selectors.EVENT_READ | selectors.EVENT_WRITE
    sel.register(conn, events, data=data)


def service_connection(key, mask):
    sock = key.fileobj
    data = key.data
    if mask & selectors.EVENT_READ:
        try:
            recv_data = sock.recv(1024)  # Should be ready to read
        except ConnectionError:
            recv_data = b""  # The load generator reset the connection when it exited.
        if recv_data:
            data.outb += recv_data
        else:
            sel.unregister(sock)
            sock.close()
            return
    if mask & selectors.EVENT_WRITE:
        if data.outb:
            try:
                sent = sock.send(data.outb)  # Should be ready to write
            except ConnectionError:
                sel.unregister(sock)
                sock.close()
                return
            data.outb = data.outb[sent:]


if len(sys.argv) != 3:
    print(f"Usage: {sys.argv[0]} <host> <port>")
    sys.exit(1)

host, port = sys.argv[1], int(sys.argv[2])
lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
lsock.bind((host, port))
lsock.listen()
print(f"Listening on {(host, port)}", flush=True)
lsock.setblocking(False)
sel.register(lsock, selectors.EVENT_READ, data=None)

try:
    while True:
        events = sel.select(timeout=None)
        for key, mask in events:
            if key.data is None:
                accept_wrapper(key.fileobj)
            else:
                service_connection(key, mask)
except KeyboardInterrupt:
    pass
finally:
    sel.close()
