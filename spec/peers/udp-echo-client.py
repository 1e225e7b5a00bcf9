#!/usr/bin/env python3
"""UDP echo client: send one datagram and print the one that comes back.

Test peer for selectors-ts, the Python twin of demos/udp-echo-client.ts.
"""

import socket
import sys

if len(sys.argv) != 3:
    print(f"Usage: {sys.argv[0]} <host> <port>")
    sys.exit(1)

HOST, PORT = sys.argv[1], int(sys.argv[2])

with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
    s.sendto(b"Hello, world", (HOST, PORT))
    data, addr = s.recvfrom(1024)

print(f"Received {data!r}")
