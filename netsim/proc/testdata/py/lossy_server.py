# The server of lossy_client.py: echoes datagrams until "stop", then reads
# a TCP stream to its end.
import socket

u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", 9000))
ln = socket.create_server(("127.0.0.1", 9001))
while True:
    d, a = u.recvfrom(100)
    if d == b"stop":
        break
    u.sendto(d, a)
c, _ = ln.accept()
total = 0
while True:
    d = c.recv(1000)
    if not d:
        break
    total += len(d)
print("received", total)
