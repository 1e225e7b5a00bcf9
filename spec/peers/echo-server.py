#!/usr/bin/env python3
"""Echo server: blocking sockets, one connection, then exit.

Test peer for selectors-ts, written to behave like the course's echo-server.py.
Test-only addition: optional HOST PORT arguments (defaults 127.0.0.1 65432).
"""

import socket
import sys

HOST = "127.0.0.1"  # Standard loopback interface address (localhost)
PORT = 65432  # Port to listen on (non-privileged ports are > 1023)

# Test-only: `echo-server.py HOST PORT` lets tests use an ephemeral port.
if len(sys.argv) == 3:
    HOST, PORT = sys.argv[1], int(sys.argv[2])

with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
    s.bind((HOST, PORT))
    s.listen()
    conn, addr = s.accept()
    with conn:
        print(f"Connected by {addr}")
        while True:
            data = conn.recv(1024)
            if not data:
                break
            conn.sendall(data)
