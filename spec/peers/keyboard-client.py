#!/usr/bin/env python3
# The course's echo client, extended to wait on the keyboard and the server at once: sys.stdin and the socket
# in one selector. Each line typed is sent; each echo is printed; at end of input (Ctrl-D) the client shuts its
# sending side down and leaves when the server closes. The Python side of docs/GUIDE.md's "Waiting on the
# keyboard too".

import selectors
import socket
import sys

HOST = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
PORT = int(sys.argv[2]) if len(sys.argv) > 2 else 65432

sel = selectors.DefaultSelector()
sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.connect((HOST, PORT))
sock.setblocking(False)
sel.register(sock, selectors.EVENT_READ, "server")
sel.register(sys.stdin, selectors.EVENT_READ, "keyboard")

open = True
while open:
    events = sel.select()
    for key, mask in events:
        if key.data == "keyboard":
            line = sys.stdin.readline()
            if line == "":
                sel.unregister(sys.stdin)  # end of input: send nothing more
                sock.shutdown(socket.SHUT_WR)
            else:
                sock.sendall(line.encode())
        else:
            data = sock.recv(1024)
            if data:
                print(f"Received {data!r}", flush=True)
            else:
                print("Server closed the connection", flush=True)
                open = False
sel.close()
sock.close()
