# The server of errors_client.py: a bulk transfer read with MSG_WAITALL,
# a connection reset (SO_LINGER 0), a UDP datagram peeked then read.
import socket, struct

ln = socket.create_server(("127.0.0.1", 6000))
c, _ = ln.accept()
data = c.recv(1 << 20, socket.MSG_WAITALL)
print("bulk", len(data), data[:3], data[-3:])
c.sendall(b"done")
c.close()
c, _ = ln.accept()
c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
c.close()  # RST
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", 6001))
d1, a1 = u.recvfrom(100, socket.MSG_PEEK)
d2, a2 = u.recvfrom(100)
print("peek", d1, a1 == a2, d2)
