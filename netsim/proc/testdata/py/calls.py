# Makes N proxied calls (getsockopt on one socket), for BenchmarkCall.
import socket, sys
s = socket.socket()
for i in range(int(sys.argv[1])):
    s.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE)
