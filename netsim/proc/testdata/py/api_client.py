# The client half of TestAPI.
import errno, socket, sys, time

# Nothing listens yet: refused, as on Linux.
s = socket.socket()
try:
    s.connect(("127.0.0.1", 24000))
    raise SystemExit("connect did not fail")
except ConnectionRefusedError as e:
    assert e.errno == errno.ECONNREFUSED
assert s.connect_ex(("127.0.0.1", 24000)) == errno.ECONNREFUSED
s.close()
try:
    s.send(b"x")
    raise SystemExit("send on a closed socket")
except OSError as e:
    assert e.errno == errno.EBADF, e

time.sleep(2)  # the server's accept times out meanwhile
infos = socket.getaddrinfo("localhost", 24000, socket.AF_INET, socket.SOCK_STREAM)
assert infos[0][4] == ("127.0.0.1", 24000), infos
try:
    socket.getaddrinfo("nosuchhost", 80)
    raise SystemExit("getaddrinfo found nosuchhost")
except socket.gaierror as e:
    assert e.errno == socket.EAI_NONAME

# Bind before connect: the connection leaves from that port.
c = socket.socket()
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
c.bind(("127.0.0.1", 40000))
c.settimeout(2)
c.connect(("localhost", 24000))
assert c.getsockname() == ("127.0.0.1", 40000), c.getsockname()
assert c.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
c.sendall(b"hello")
c.send(b" world")
f = c.makefile("rwb")
f.write(b"line 1\n")
f.flush()
assert f.readline() == b"reply\n"
f.close()
c.sendall(b"bye")
c.shutdown(socket.SHUT_WR)
assert c.recv(10) == b""
c.close()

c6 = socket.create_connection(("::1", 24001))
assert c6.family == socket.AF_INET6
c6.sendall(b"v6")
assert c6.recv(10, socket.MSG_WAITALL) == b"six"
c6.close()

u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(1)
u.sendto(b"ping", ("127.0.0.1", 24002))
d, a = u.recvfrom(100)
assert d == b"PING" and a == ("127.0.0.1", 24002), (d, a)
print("ok", u.getsockname()[0], u.getsockname()[1] > 1024)
