# A UDP client that retries on timeout, and a TCP sender with sleeps, under
# loss: each attempt and how long it took, on the virtual clock.
import socket, time

u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(0.2)
for i in range(10):
    t0 = time.monotonic()
    for attempt in range(1, 20):
        u.sendto(b"ping %d" % i, ("127.0.0.1", 9000))
        try:
            d, _ = u.recvfrom(100)
            break
        except socket.timeout:
            pass
    print(i, d, "attempts", attempt, "%.3f s" % (time.monotonic() - t0))
u.sendto(b"stop", ("127.0.0.1", 9000))
c = socket.create_connection(("127.0.0.1", 9001))
for i in range(3):
    c.sendall(b"x" * 100)
    time.sleep(0.05)
c.close()
print("done at %.6f" % (time.monotonic() - 1))
