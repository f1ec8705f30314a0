# The client: 1 MiB in one sendall; then errors as on Linux.
import errno, socket, time

c = socket.create_connection(("127.0.0.1", 6000))
c.sendall(bytes(range(256)) * 4096)
c.shutdown(socket.SHUT_WR)
print(c.recv(10))
c.close()

c = socket.create_connection(("127.0.0.1", 6000))
time.sleep(0.1)  # the server resets the connection meanwhile
try:
    c.recv(10)
    print("no reset")
except ConnectionResetError as e:
    print("reset", e.errno == errno.ECONNRESET)
try:
    c.sendall(b"x")
    c.sendall(b"x")
    print("sent")
except (BrokenPipeError, ConnectionResetError) as e:
    print("send:", type(e).__name__)
c.close()
c = socket.socket()
c.settimeout(0.5)
t0 = time.monotonic()
try:
    c.connect(("10.9.9.9", 80))  # no route on the book's one machine
except OSError as e:
    print("connect:", type(e).__name__, e.errno)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.sendto(b"peekaboo", ("127.0.0.1", 6001))
