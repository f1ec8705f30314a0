# A client with a non-blocking connect (connect_ex, EINPROGRESS,
# select, SO_ERROR), then select.poll for the reply.
import errno
import select
import socket
import sys
import time

name = sys.argv[1]
time.sleep(float(sys.argv[2]) if len(sys.argv) > 2 else 0)
s = socket.socket()
s.setblocking(False)
rc = s.connect_ex(("127.0.0.1", 9000))
print(name, "connect_ex:", errno.errorcode.get(rc, rc))
r, w, x = select.select([], [s], [], 5)
print(name, "writable:", w == [s], "SO_ERROR:", s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR))
try:
    s.recv(10)
except BlockingIOError as e:
    print(name, "recv before data:", type(e).__name__)
s.send(b"hi from " + name.encode())
p = select.poll()
p.register(s, select.POLLIN)
print(name, "poll:", p.poll(5000))
print(name, "got", s.recv(100))
s.close()

# A refused non-blocking connect: writable, with the error in SO_ERROR.
s = socket.socket()
s.setblocking(False)
print(name, "connect_ex to port 9:", errno.errorcode.get(s.connect_ex(("127.0.0.1", 9))))
r, w, x = select.select([s], [s], [], 5)
print(name, "readable, writable:", r == [s], w == [s], "SO_ERROR:",
      errno.errorcode.get(s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)))
s.close()
# select with no sockets is a sleep on the virtual clock.
t = time.monotonic()
select.select([], [], [], 0.25)
print(name, "slept %.3f" % (time.monotonic() - t))
