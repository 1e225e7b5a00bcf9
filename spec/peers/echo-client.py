#!/usr/bin/env python3
"""Echo client: blocking sockets, send one message and print the echo.

Test peer for selectors-ts, written to behave like the course's echo-client.py.
Test-only addition: optional HOST PORT arguments (defaults 127.0.0.1 65432).
"""

import socket
import sys

HOST = "127.0.0.1"  # The server's hostname or IP address
PORT = 65432  # The port used by the server

# Test-only: `echo-client.py HOST PORT` lets tests use an ephemeral port.
if len(sys.argv) == 3:
    HOST, PORT = sys.argv[1], int(sys.argv[2])

with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
    s.connect((HOST, PORT))
    s.sendall(b"Hello, world")
    data = s.recv(1024)

print(f"Received {data!r}")
