#!/usr/bin/env python3
"""UDP echo server: one datagram socket answers each datagram where it came from, until Ctrl-C.

Test peer for selectors-ts, the Python twin of demos/udp-echo-server.ts.
"""

import socket
import sys

if len(sys.argv) != 3:
    print(f"Usage: {sys.argv[0]} <host> <port>")
    sys.exit(1)

HOST, PORT = sys.argv[1], int(sys.argv[2])

with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
    s.bind((HOST, PORT))
    print(f"Listening on {(HOST, PORT)}")
    try:
        while True:
            data, addr = s.recvfrom(1024)
            print(f"Echoing {data!r} to {addr}")
            s.sendto(data, addr)
    except KeyboardInterrupt:
        print("Caught keyboard interrupt, exiting")
