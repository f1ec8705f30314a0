# The server half of TestAPI: each block checks one feature of the shim.
import datetime, os, random, socket, sys, time

assert socket.gethostname() == "localhost"
assert datetime.datetime.now() == datetime.datetime(2000, 1, 1), datetime.datetime.now()
assert time.time() >= 946684800.0
t0 = time.monotonic()
time.sleep(0.25)
assert abs(time.monotonic() - t0 - 0.25) < 0.001, time.monotonic() - t0

# An accept with a timeout times out on the virtual clock.
ln = socket.create_server(("127.0.0.1", 24000))
ln.settimeout(1.5)
t0 = time.time()
try:
    ln.accept()
    raise SystemExit("accept did not time out")
except socket.timeout as e:
    assert isinstance(e, OSError) and str(e) == "timed out"  # TimeoutError from 3.10
print("accept timed out after %.3f s" % (time.time() - t0))
ln.settimeout(None)

assert ln.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR) == 1
assert ln.getsockname() == ("127.0.0.1", 24000)
conn, addr = ln.accept()
assert conn.gettimeout() is None
print("accepted", addr[0], conn.getpeername() == addr, conn.getsockname())

# MSG_PEEK, then the same bytes again; recv_into; MSG_WAITALL.
assert conn.recv(5, socket.MSG_PEEK) == b"hello"
buf = bytearray(5)
assert conn.recv_into(buf) == 5 and buf == b"hello"
assert conn.recv(6, socket.MSG_WAITALL) == b" world"
# makefile: lines.
f = conn.makefile("rwb")
assert f.readline() == b"line 1\n"
f.write(b"reply\n")
f.flush()
f.close()
# shutdown(SHUT_WR) from the client: recv returns b"" at the end.
assert conn.recv(100) == b"bye"
assert conn.recv(100) == b""
conn.close()

# IPv6.
ln6 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
ln6.bind(("::1", 24001))
ln6.listen()
c6, a6 = ln6.accept()
assert len(a6) == 4 and a6[0] == "::1", a6
print("v6 from port", a6[1], c6.recv(10))
c6.sendall(b"six")
c6.close()

# UDP with recvfrom and sendto back.
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", 24002))
d, a = u.recvfrom(100)
u.sendto(d.upper(), a)
print("udp", d, a)
print("random", random.randint(0, 10**6), os.urandom(4).hex())
