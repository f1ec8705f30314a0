# The client of rr_server.py: N connections of two lines each, one datagram.
import socket, sys, time

n = int(sys.argv[1]) if len(sys.argv) > 1 else 3
for i in range(n):
    with socket.create_connection(("localhost", 8000), timeout=5) as c:
        f = c.makefile("rwb")
        f.write(b"hello %d\nworld\n" % i)
        f.flush()
        c.shutdown(socket.SHUT_WR)
        print(f.read().decode().split())
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(1)
u.sendto(b"dgram", ("127.0.0.1", 8001))
print(u.recv(100))
